/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A cache of compiled seccomp filters. The key is a canonical serialization of the whole
 * profile (plus libseccomp's version, whose syscall tables decide the BPF); the file name is
 * a hash of the key, and the file holds the key itself, compared in full before the BPF is
 * trusted. The directory must be ours and not writable by others, or it is not used.
 */
#include <fcntl.h>
#include <linux/filter.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "err.h"
#include "fileio.h"
#include "path.h"
#include "security/security.h"

#define CACHE_MAGIC "HSCC3\n" /* 2: binary-tree filters; 3: only profiles that can start */
#define CACHE_MAX_FILE (1u << 20)

struct buf {
	char *data;
	size_t len, cap;
	bool oom;
};

static void put(struct buf *b, const void *p, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n > b->cap) {
		size_t cap = MAX(b->cap * 2, b->len + n + 256);
		char *nd = realloc(b->data, cap);
		if (!nd) {
			b->oom = true;
			return;
		}
		b->data = nd;
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

static void put_u64(struct buf *b, uint64_t v)
{
	put(b, &v, sizeof(v));
}

/* Length-prefixed, so no two different profiles serialize alike; NULL differs from "". */
static void put_str(struct buf *b, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	put_u64(b, s ? n + 1 : 0);
	if (s)
		put(b, s, n);
}

static void put_strv(struct buf *b, char *const *v)
{
	size_t n = 0;
	while (v && v[n])
		n++;
	put_u64(b, n);
	for (size_t i = 0; i < n; i++)
		put_str(b, v[i]);
}

static void serialize(const struct spec_seccomp *s, struct buf *b)
{
	/* The format in the key too: versions of hutch that differ in it then keep their own
	 * files instead of taking turns overwriting one (and recompiling on every run). */
	put(b, CACHE_MAGIC, strlen(CACHE_MAGIC));
	const struct scmp_version *v = seccomp_version();
	put_u64(b, v ? (v->major << 16) | (v->minor << 8) | v->micro : 0);
	put_str(b, s->default_action);
	put_u64(b, s->has_default_errno_ret);
	put_u64(b, s->default_errno_ret);
	put_strv(b, s->architectures);
	put_strv(b, s->flags);
	put_str(b, s->listener_path);
	put_u64(b, s->n_syscalls);
	for (size_t i = 0; i < s->n_syscalls; i++) {
		const struct spec_seccomp_syscall *c = &s->syscalls[i];
		put_strv(b, c->names);
		put_str(b, c->action);
		put_u64(b, c->has_errno_ret);
		put_u64(b, c->errno_ret);
		put_u64(b, c->n_args);
		for (size_t k = 0; k < c->n_args; k++) {
			put_u64(b, c->args[k].index);
			put_u64(b, c->args[k].value);
			put_u64(b, c->args[k].value_two);
			put_str(b, c->args[k].op);
		}
	}
}

/*
 * FNV-1a over 8-byte words (the tail byte by byte): only a file name, the key itself is
 * compared in full. Bytewise it cost more than the rest of the lookup (the key is ~10 KiB).
 */
static uint64_t fnv1a(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, p + i, sizeof(w));
		h = (h ^ w) * 0x100000001b3ULL;
	}
	for (; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 0x100000001b3ULL;
	return h;
}

const char *seccomp_cache_dir(void)
{
	static char *dir;
	if (!dir)
		dir = runtime_dir("cache");
	return dir;
}

/* The cache dir, made if missing; refused unless it is ours and closed to others. */
static int open_dir(const char *dir)
{
	if (mkdir_p(dir, 0700) < 0)
		return -1;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	struct stat st;
	if (fd >= 0 && (fstat(fd, &st) < 0 || st.st_uid != geteuid() || (st.st_mode & 0077)))
		fd = safe_close(fd);
	return fd;
}

/* musl's memcmp goes byte by byte; the key is ~10 KiB. Equality only, word by word. */
static bool mem_equal(const char *a, const char *b, size_t n)
{
	uint64_t diff = 0;
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t x, y;
		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		diff |= x ^ y;
	}
	for (; i < n; i++)
		diff |= (uint64_t)(unsigned char)(a[i] ^ b[i]);
	return diff == 0;
}

static int load(int dirfd, const char *name, const struct buf *key, struct seccomp_program **ret)
{
	_cleanup_free_ char *data = NULL;
	size_t len;
	if (read_file_at(dirfd, name, CACHE_MAX_FILE, &data, &len) < 0)
		return -ENOENT;
	size_t hdr = strlen(CACHE_MAGIC) + sizeof(uint64_t);
	uint64_t klen;
	if (len < hdr || memcmp(data, CACHE_MAGIC, strlen(CACHE_MAGIC)) != 0)
		return -EBADMSG;
	memcpy(&klen, data + strlen(CACHE_MAGIC), sizeof(klen));
	if (klen != key->len || len < hdr + klen + 8 || !mem_equal(data + hdr, key->data, klen))
		return -ESTALE;
	uint32_t flags, n;
	memcpy(&flags, data + hdr + klen, 4);
	memcpy(&n, data + hdr + klen + 4, 4);
	if (len != hdr + klen + 8 + (size_t)n * sizeof(struct sock_filter))
		return -EBADMSG;
	return seccomp_program_from_bpf((const struct sock_filter *)(data + hdr + klen + 8), n,
					flags, ret);
}

static void store(int dirfd, const char *name, const struct buf *key,
		  const struct seccomp_program *p)
{
	size_t n;
	unsigned int flags;
	const struct sock_filter *insns = seccomp_program_bpf(p, &n, &flags);
	struct buf f = { 0 };
	put(&f, CACHE_MAGIC, strlen(CACHE_MAGIC));
	put_u64(&f, key->len);
	put(&f, key->data, key->len);
	uint32_t fl = flags, nn = (uint32_t)n;
	put(&f, &fl, 4);
	put(&f, &nn, 4);
	put(&f, insns, n * sizeof(*insns));
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", dirfd, name);
	if (!f.oom)
		(void)write_file_atomic(path, f.data, f.len, 0600);
	free(f.data);
}

static int compile_with_key(const struct spec_seccomp *s, const struct buf *key,
			    const char *cache_dir, struct seccomp_program **ret, struct hutch_err *err)
{
	_cleanup_close_ int dirfd = key->oom ? -1 : open_dir(cache_dir);
	if (dirfd < 0)
		return seccomp_compile(s, ret, err);
	char name[32];
	snprintf(name, sizeof(name), "%016llx.bpf", (unsigned long long)fnv1a(key->data, key->len));
	if (load(dirfd, name, key, ret) == 0)
		return 0;
	int r = seccomp_compile(s, ret, err);
	if (r >= 0)
		store(dirfd, name, key, *ret);
	return r;
}

int seccomp_compile_cached(const struct spec_seccomp *s, const char *cache_dir,
			   struct seccomp_program **ret, struct hutch_err *err)
{
	/* A listener (notify) is per load: nothing to share, and nothing to gain. */
	if (!cache_dir || s->listener_path)
		return seccomp_compile(s, ret, err);
	struct buf key = { 0 };
	serialize(s, &key);
	int r = compile_with_key(s, &key, cache_dir, ret, err);
	free(key.data);
	return r;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for the pathfs node table (src/lib/pathfs/pathfs-node.c): identity by path,
 * renames of cached trees, unhashing, forgetting and the node bound. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "path.h"
#include "pathfs/pathfs-internal.h"

static struct pnode *add(struct pfs *fs, const char *path)
{
	struct stat st = {.st_mode = S_IFDIR, .st_ino = fs->nnodes + 100};
	struct pnode *n = NULL;
	int fd = open("/", O_PATH | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(pnode_new(fs, strdup(path), fd, &st, &n), 0);
	return n;
}

static void table(struct pfs *fs, size_t max)
{
	*fs = (struct pfs){.nodes_max = max};
	assert_int_equal(pnode_table_init(fs), 0);
}

static void test_paths(void **state)
{
	char *p = NULL;
	assert_int_equal(path_child("/work", "a", &p), 0);
	assert_string_equal(p, "/work/a");
	free(p);
	assert_int_equal(path_child("/", "a", &p), 0);
	assert_string_equal(p, "/a");
	free(p);
	char big[PATH_MAX];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(path_child("/work", big, &p), -ENAMETOOLONG);
	assert_true(path_is_under("/work/a", "/work"));
	assert_true(path_is_under("/work", "/work"));
	assert_false(path_is_under("/workx", "/work"));
	assert_true(path_is_under("/x", "/"));
	assert_int_equal(pfs_name_check("a"), 0);
	assert_int_equal(pfs_name_check(".."), -EINVAL);
	assert_int_equal(pfs_name_check("."), -EINVAL);
	assert_int_equal(pfs_name_check("a/b"), -EINVAL);
	assert_int_equal(pfs_name_check(""), -EINVAL);
	memset(big, 'x', 256);
	big[256] = '\0';
	assert_int_equal(pfs_name_check(big), -ENAMETOOLONG);
}

static void test_ids_and_lookup(void **state)
{
	struct pfs fs;
	table(&fs, 100);
	struct pnode *root = add(&fs, "/work");
	assert_int_equal(root->id, FUSE_ROOT_ID);
	struct pnode *a = add(&fs, "/work/a"), *b = add(&fs, "/work/b");
	assert_ptr_equal(pnode_get(&fs, a->id), a);
	assert_ptr_equal(pnode_find(&fs, "/work/b"), b);
	assert_null(pnode_find(&fs, "/work/c"));
	assert_null(pnode_get(&fs, 12345));
	fuse_ino_t id = a->id;
	uint64_t gen = a->generation;
	a->nlookup = 2;
	pnode_forget(&fs, a, 1);
	assert_ptr_equal(pnode_get(&fs, id), a);
	pnode_forget(&fs, a, 1);
	assert_null(pnode_get(&fs, id));
	assert_null(pnode_find(&fs, "/work/a"));
	struct pnode *c = add(&fs, "/work/c"); /* the freed id is reused, with a new generation */
	assert_int_equal(c->id, id);
	assert_true(c->generation > gen);
	pnode_forget(&fs, root, 100); /* the root is never forgotten */
	assert_ptr_equal(pnode_get(&fs, FUSE_ROOT_ID), root);
	pnode_table_release(&fs);
}

static void test_bound(void **state)
{
	struct pfs fs;
	char p[32];
	table(&fs, 10);
	for (int i = 0; i < 10; i++) {
		snprintf(p, sizeof(p), "/w/%d", i);
		add(&fs, p);
	}
	struct stat st = {.st_mode = S_IFREG};
	struct pnode *n;
	assert_int_equal(pnode_new(&fs, strdup("/w/x"), open("/", O_PATH | O_CLOEXEC), &st, &n),
			 -ENOMEM);
	pnode_forget(&fs, pnode_find(&fs, "/w/3"), 1);
	assert_int_equal(pnode_new(&fs, strdup("/w/x"), open("/", O_PATH | O_CLOEXEC), &st, &n), 0);
	pnode_table_release(&fs);
}

static void test_move_and_exchange(void **state)
{
	struct pfs fs;
	struct pnode_move *m = NULL;
	table(&fs, 100);
	add(&fs, "/work");
	struct pnode *a = add(&fs, "/work/a"), *ab = add(&fs, "/work/a/b");
	struct pnode *ax = add(&fs, "/work/ax"), *c = add(&fs, "/work/c");
	struct pnode *cd = add(&fs, "/work/c/d");
	/* a rename over c: c and beneath are replaced (unhashed), a moves */
	assert_int_equal(pnode_move_prepare(&fs, "/work/a", "/work/c", false, &m), 0);
	pnode_move_commit(&fs, m);
	pnode_move_free(m);
	assert_string_equal(a->path, "/work/c");
	assert_string_equal(ab->path, "/work/c/b");
	assert_string_equal(ax->path, "/work/ax"); /* a sibling sharing the prefix stays */
	assert_false(c->hashed);
	assert_false(cd->hashed);
	assert_ptr_equal(pnode_find(&fs, "/work/c"), a);
	assert_ptr_equal(pnode_find(&fs, "/work/c/b"), ab);
	assert_null(pnode_find(&fs, "/work/a"));
	assert_null(pnode_find(&fs, "/work/c/d"));
	/* exchange swaps both trees */
	assert_int_equal(pnode_move_prepare(&fs, "/work/c", "/work/ax", true, &m), 0);
	pnode_move_commit(&fs, m);
	pnode_move_free(m);
	assert_string_equal(a->path, "/work/ax");
	assert_string_equal(ab->path, "/work/ax/b");
	assert_string_equal(ax->path, "/work/c");
	assert_ptr_equal(pnode_find(&fs, "/work/c"), ax);
	/* a prepared move that is not committed changes nothing */
	assert_int_equal(pnode_move_prepare(&fs, "/work/ax", "/work/z", false, &m), 0);
	pnode_move_free(m);
	assert_string_equal(a->path, "/work/ax");
	/* unhash a tree (rmdir) */
	pnode_unhash_path(&fs, "/work/ax", true);
	assert_false(a->hashed);
	assert_false(ab->hashed);
	assert_true(ax->hashed);
	pnode_table_release(&fs);
}

static void test_many_nodes_rehash(void **state)
{
	struct pfs fs;
	char p[32];
	table(&fs, 5000);
	for (int i = 0; i < 4000; i++) {
		snprintf(p, sizeof(p), "/w/%d", i);
		add(&fs, p);
	}
	for (int i = 0; i < 4000; i += 97) {
		snprintf(p, sizeof(p), "/w/%d", i);
		struct pnode *n = pnode_find(&fs, p);
		assert_non_null(n);
		assert_string_equal(n->path, p);
	}
	assert_true(fs.nbuckets >= 4000);
	pnode_table_release(&fs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_paths),
	    cmocka_unit_test(test_ids_and_lookup),
	    cmocka_unit_test(test_bound),
	    cmocka_unit_test(test_move_and_exchange),
	    cmocka_unit_test(test_many_nodes_rehash),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

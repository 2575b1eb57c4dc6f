/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Corpus replayer: without libFuzzer, a fuzz target becomes a program that feeds every file
 * named on the command line (directories are walked one level deep) to LLVMFuzzerTestOneInput.
 * Prints one TAP line. A crash is a test failure (the process dies; the runner sees it).
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "fileio.h"
#include "macro.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(int dirfd, const char *name)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r = read_file_at(dirfd, name, 16u << 20, &buf, &len);
	if (r < 0) {
		fprintf(stderr, "cannot read '%s': %s\n", name, strerror(-r));
		return r;
	}
	LLVMFuzzerTestOneInput((const uint8_t *)buf, len);
	return 1;
}

static int replay_dir(const char *path)
{
	DIR *d = opendir(path);
	if (!d)
		return negative_errno();
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		int r = replay_file(dirfd(d), de->d_name);
		if (r < 0) {
			closedir(d);
			return r;
		}
		n += r;
	}
	closedir(d);
	return n;
}

int main(int argc, char **argv)
{
	int total = 0;
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) < 0) {
			printf("not ok 1 - %s: cannot stat '%s'\n", argv[0], argv[i]);
			return 1;
		}
		int r = S_ISDIR(st.st_mode) ? replay_dir(argv[i]) : replay_file(AT_FDCWD, argv[i]);
		if (r < 0) {
			printf("not ok 1 - %s: %s\n", argv[0], strerror(-r));
			return 1;
		}
		total += r;
	}
	printf("1..1\nok 1 - %s replayed %d input(s)\n", strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0], total);
	return 0;
}

/*
 * tests/fuzz/driver/replay.c - run a fuzz target without libFuzzer, as
 * zstd's tests/fuzz/regression_driver.c does: each argument is a file, or
 * a directory whose files are fed one by one to LLVMFuzzerTestOneInput.
 * Built with gcc beside every tests/fuzz/<target>.c, so `make test`
 * replays the committed corpora (and `make asan` under ASan + UBSan).
 *
 *   <target> tests/fuzz/corpus/<target>/    exit 0, or 1 if a file could
 *                                            not be read
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t n = 0, cap = 0;

	if (!f) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	for (;;) {
		size_t got;
		if (n == cap) {
			uint8_t *p = realloc(buf, cap ? cap * 2 : 65536);
			if (!p) {
				fclose(f);
				free(buf);
				fprintf(stderr, "%s: out of memory\n", path);
				return -1;
			}
			buf = p;
			cap = cap ? cap * 2 : 65536;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	fclose(f);
	/* an exact-size copy, so ASan sees reads past the end */
	{
		uint8_t *exact = malloc(n ? n : 1);
		if (!exact) {
			free(buf);
			return -1;
		}
		memcpy(exact, buf, n);
		free(buf);
		LLVMFuzzerTestOneInput(exact, n);
		free(exact);
	}
	return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

int main(int argc, char **argv)
{
	int bad = 0, files = 0;

	for (int i = 1; i < argc; i++) {
		struct stat st;
		struct dirent **ents;
		int n;
		if (stat(argv[i], &st) < 0) {
			fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
			bad = 1;
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			bad |= run_file(argv[i]) < 0;
			files++;
			continue;
		}
		n = scandir(argv[i], &ents, NULL, by_name);
		for (int k = 0; k < n; k++) {
			char path[4096];
			if (ents[k]->d_name[0] != '.') {
				snprintf(path, sizeof(path), "%s/%s", argv[i],
					 ents[k]->d_name);
				bad |= run_file(path) < 0;
				files++;
			}
			free(ents[k]);
		}
		free(ents);
	}
	printf("%s: %d inputs replayed\n", argv[0], files);
	return bad;
}

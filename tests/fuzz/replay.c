/*
 * Run a fuzz target over files without libFuzzer: every file named on the
 * command line, and every file of each directory named, is passed once to
 * LLVMFuzzerTestOneInput.  make check uses it to replay the seeds and the
 * crashes kept as regression tests in tests/fuzz/regress.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Feed one file to the target; -1 when it cannot be read. */
static int
replay_file(const char *path)
{
	FILE *f;
	uint8_t *buf;
	long n;
	int rv = -1;

	if ((f = fopen(path, "rb")) == NULL)
		return -1;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n + 1)) != NULL) {
		if (fread(buf, 1, (size_t)n, f) == (size_t)n) {
			LLVMFuzzerTestOneInput(buf, (size_t)n);
			rv = 0;
		}
		free(buf);
	}
	fclose(f);
	return rv;
}

/* Replay a file or every regular file of a directory; returns the count. */
static int
replay_path(const char *path)
{
	char sub[4096];
	struct dirent *de;
	struct stat st;
	DIR *d;
	int n = 0;

	if (stat(path, &st) < 0) {
		perror(path);
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return replay_file(path) < 0 ? -1 : 1;
	if ((d = opendir(path)) == NULL) {
		perror(path);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		if (de->d_name[0] == '.' || stat(sub, &st) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		if (replay_file(sub) < 0) {
			perror(sub);
			n = -1;
			break;
		}
		n++;
	}
	closedir(d);
	return n;
}

int
main(int argc, char **argv)
{
	int i, n, total = 0;

	for (i = 1; i < argc; i++) {
		if ((n = replay_path(argv[i])) < 0)
			return EXIT_FAILURE;
		total += n;
	}
	printf("%s: %d inputs replayed\n", argv[0], total);
	return EXIT_SUCCESS;
}

/* Replay driver for fuzz targets in builds without libFuzzer: feeds every
 * file named on the command line (directories are walked one level) to
 * LLVMFuzzerTestOneInput once, so corpora run as plain regression tests. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
run_file(const char *path)
{
    FILE *f = NULL;
    uint8_t *buf = NULL;
    long len;
    int ret = 1;

    if (!(f = fopen(path, "rb"))) {
        perror(path);
        goto cleanup;
    }
    if (fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
        perror(path);
        goto cleanup;
    }
    /* malloc(0) may return NULL; always allocate one byte. */
    if (!(buf = malloc((size_t)len + 1))) {
        fprintf(stderr, "%s: out of memory\n", path);
        goto cleanup;
    }
    if (len && fread(buf, 1, (size_t)len, f) != (size_t)len) {
        fprintf(stderr, "%s: short read\n", path);
        goto cleanup;
    }
    LLVMFuzzerTestOneInput(buf, (size_t)len);
    ret = 0;

cleanup:
    free(buf);
    if (f) {
        fclose(f);
    }
    return ret;
}

int
main(int argc, char **argv)
{
    struct stat st;
    struct dirent *de;
    DIR *d;
    char path[4096];
    int i, fails = 0, runs = 0;

    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
        return 2;
    }
    for (i = 1; i < argc; i++) {
        if (stat(argv[i], &st)) {
            perror(argv[i]);
            return 2;
        }
        if (!S_ISDIR(st.st_mode)) {
            fails += run_file(argv[i]);
            runs++;
            continue;
        }
        if (!(d = opendir(argv[i]))) {
            perror(argv[i]);
            return 2;
        }
        while ((de = readdir(d))) {
            if (de->d_name[0] == '.') {
                continue;
            }
            if (snprintf(path, sizeof path, "%s/%s", argv[i], de->d_name) >= (int)sizeof path) {
                fprintf(stderr, "%s/%s: path too long\n", argv[i], de->d_name);
                fails++;
                continue;
            }
            if (!stat(path, &st) && S_ISREG(st.st_mode)) {
                fails += run_file(path);
                runs++;
            }
        }
        closedir(d);
    }
    /* An empty corpus would make the test pass vacuously. */
    if (!runs) {
        fprintf(stderr, "no inputs found\n");
        return 2;
    }
    printf("replayed %d input(s), %d unreadable\n", runs, fails);
    return fails ? 1 : 0;
}

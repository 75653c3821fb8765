/*
 * replay.c - a main() for the fuzz targets when libFuzzer is not there: runs
 * LLVMFuzzerTestOneInput once per file named on the command line (a
 * directory stands for the files in it).  It lets the ordinary build, with
 * any compiler and under the sanitizer builds, replay the corpora as
 * regression tests (fuzz_<target>_replay); the real fuzzing needs clang
 * (scripts/fuzz.sh).
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "replay: cannot open %s\n", path);
        return 1;
    }
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap);
    for (size_t r; buf && (r = fread(buf + n, 1, cap - n, f)) > 0;) {
        n += r;
        if (n == cap)
            buf = realloc(buf, cap *= 2);
    }
    fclose(f);
    if (!buf)
        return 1;
    /* A copy of exactly n bytes, so that reads past the end are caught by
     * the sanitizer builds as they would be under libFuzzer. */
    uint8_t *exact = malloc(n ? n : 1);
    if (!exact)
        return 1;
    memcpy(exact, buf, n);
    free(buf);
    LLVMFuzzerTestOneInput(exact, n);
    free(exact);
    return 0;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
    int bad = 0, runs = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            DIR *d = opendir(argv[i]);
            if (!d)
                return 1;
            char **names = NULL;
            size_t nn = 0;
            for (struct dirent *e; (e = readdir(d));) {
                if (e->d_name[0] == '.')
                    continue;
                names = realloc(names, (nn + 1) * sizeof *names);
                if (!names)
                    return 1;
                size_t len = strlen(argv[i]) + strlen(e->d_name) + 2;
                names[nn] = malloc(len);
                if (!names[nn])
                    return 1;
                snprintf(names[nn++], len, "%s/%s", argv[i], e->d_name);
            }
            closedir(d);
            qsort(names, nn, sizeof *names, name_cmp); /* same order every time */
            for (size_t k = 0; k < nn; k++) {
                bad |= run_file(names[k]);
                runs++;
                free(names[k]);
            }
            free(names);
        } else {
            bad |= run_file(argv[i]);
            runs++;
        }
    }
    printf("replay: %d inputs%s\n", runs, bad ? ", some unreadable" : "");
    return bad;
}

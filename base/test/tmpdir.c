/* tmpdir.c - scratch directories for the unit tests. */
#define _XOPEN_SOURCE 700
#include "config.h"

#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/test/tmpdir.h"

char *tmpdir_create(void)
{
    const char *base = getenv("TMPDIR");
    char *dir;

    if (!base || !base[0])
        base = "/tmp";
    if (!(dir = malloc(strlen(base) + 32)))
        return NULL;
    sprintf(dir, "%s/tessera-test-XXXXXX", base);
    if (!mkdtemp(dir)) {
        free(dir);
        return NULL;
    }
    return dir;
}

static int rm_one(const char *path, const struct stat *st, int flag,
                  struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    return flag == FTW_DP ? rmdir(path) : unlink(path);
}

int tmpdir_remove(const char *dir)
{
    return nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static const char *count_part;
static int count_n;

static int count_one(const char *path, const struct stat *st, int flag,
                     struct FTW *ftw)
{
    (void)st;
    if (flag == FTW_F && strstr(path + ftw->base, count_part))
        count_n++;
    return 0;
}

int tmpdir_count(const char *dir, const char *part)
{
    count_part = part;
    count_n = 0;
    if (nftw(dir, count_one, 16, FTW_PHYS) < 0)
        return -1;
    return count_n;
}

char *tmpdir_suite;

int tmpdir_suite_init(void)
{
    return (tmpdir_suite = tmpdir_create()) ? 0 : -1;
}

int tmpdir_suite_clean(void)
{
    int rc = tmpdir_remove(tmpdir_suite);
    free(tmpdir_suite);
    tmpdir_suite = NULL;
    return rc;
}

char *tmpdir_path(char *buf, const char *fmt, ...)
{
    int n = snprintf(buf, PATH_MAX, "%s/", tmpdir_suite);
    va_list ap;
    va_start(ap, fmt);
    if (n > 0 && n < PATH_MAX)
        vsnprintf(buf + n, PATH_MAX - (size_t)n, fmt, ap);
    va_end(ap);
    return buf;
}

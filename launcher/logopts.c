/* logopts.c - --quiet, --verbose, --log-level for every command (see
 * logopts.h). */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "launcher/logopts.h"

static logopts_level_t level = LOGOPTS_INFO;
static double interval = 30;

static const char *const names[] = {"error", "warn", "info", "debug"};

logopts_level_t logopts_level(void)
{
    return level;
}

void logopts_set_level(logopts_level_t l)
{
    level = l;
}

double logopts_progress_interval(void)
{
    return interval;
}

int logopts_parse_level(const char *s, logopts_level_t *out)
{
    for (int i = 0; i <= LOGOPTS_DEBUG; i++)
        if (strcmp(s, names[i]) == 0) {
            *out = (logopts_level_t)i;
            return 0;
        }
    if (strcmp(s, "warning") == 0 || strcmp(s, "quiet") == 0 ||
        strcmp(s, "verbose") == 0) {
        *out = s[0] == 'w' ? LOGOPTS_WARN : s[0] == 'q' ? LOGOPTS_ERROR
                                                        : LOGOPTS_DEBUG;
        return 0;
    }
    return -1;
}

static int parse_interval(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= 0) || v > 86400)
        return -1;
    *out = v;
    return 0;
}

int logopts_parse(int *argc, char **argv)
{
    const char *env = getenv("TESS_LOG_LEVEL");
    if (env && *env && logopts_parse_level(env, &level) < 0) {
        fprintf(stderr, "tessera: TESS_LOG_LEVEL='%s': not one of error, "
                "warn, info, debug\n", env);
        return -1;
    }
    env = getenv("TESS_PROGRESS_INTERVAL");
    if (env && *env && parse_interval(env, &interval) < 0) {
        fprintf(stderr, "tessera: TESS_PROGRESS_INTERVAL='%s': not a number "
                "of seconds (0 to 86400)\n", env);
        return -1;
    }
    int out = 1, rest = 0;
    for (int i = 1; i < *argc; i++) {
        const char *a = argv[i];
        if (rest || strcmp(a, "--") == 0) {
            rest = 1;
            argv[out++] = argv[i];
            continue;
        }
        if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
            level = LOGOPTS_ERROR;
        } else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
            level = LOGOPTS_DEBUG;
        } else if (strcmp(a, "--log-level") == 0 ||
                   strcmp(a, "--progress-interval") == 0) {
            const char *v = i + 1 < *argc ? argv[i + 1] : NULL;
            if (!v) {
                fprintf(stderr, "tessera: %s needs a value\n", a);
                return -1;
            }
            i++;
            if (a[2] == 'l' && logopts_parse_level(v, &level) < 0) {
                fprintf(stderr, "tessera: %s '%s': not one of error, warn, "
                        "info, debug\n", a, v);
                return -1;
            }
            if (a[2] == 'p' && parse_interval(v, &interval) < 0) {
                fprintf(stderr, "tessera: %s '%s': not a number of seconds "
                        "(0 to 86400)\n", a, v);
                return -1;
            }
        } else {
            argv[out++] = argv[i];
        }
    }
    *argc = out;
    argv[out] = NULL;
    char buf[32];
    setenv("TESS_LOG_LEVEL", names[level], 1);
    snprintf(buf, sizeof(buf), "%g", interval);
    setenv("TESS_PROGRESS_INTERVAL", buf, 1);
    return 0;
}

void logopts_msg(logopts_level_t l, const char *fmt, ...)
{
    if (l > level)
        return;
    va_list ap;
    va_start(ap, fmt);
    fputs("tessera: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* namelist.c - ','-separated lists of names. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/namelist.h"

/* The next item of *p (blanks trimmed) as start and length; advances *p
 * past it. false at the end of the list. */
static bool next_item(const char **p, const char **item, size_t *len)
{
    while (*p && **p) {
        const char *s = *p;
        size_t n = strcspn(s, ",");
        *p = s[n] ? s + n + 1 : s + n;
        while (n && (*s == ' ' || *s == '\t')) {
            s++;
            n--;
        }
        while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
            n--;
        if (n) {
            *item = s;
            *len = n;
            return true;
        }
    }
    return false;
}

bool namelist_contains(const char *list, const char *name)
{
    const char *item;
    size_t n, want = strlen(name);
    while (next_item(&list, &item, &n))
        if (n == want && memcmp(item, name, n) == 0)
            return true;
    return false;
}

int namelist_add(char *buf, size_t len, const char *name)
{
    if (namelist_contains(buf, name))
        return 0;
    size_t used = strlen(buf), n = strlen(name);
    if (used + (used ? 1 : 0) + n + 1 > len) {
        errno = ENOSPC;
        return -1;
    }
    snprintf(buf + used, len - used, "%s%s", used ? "," : "", name);
    return 0;
}

char *namelist_first(const char *list, char *buf, size_t len)
{
    const char *item;
    size_t n;
    if (len == 0)
        return buf;
    buf[0] = '\0';
    if (next_item(&list, &item, &n)) {
        if (n >= len)
            n = len - 1;
        memcpy(buf, item, n);
        buf[n] = '\0';
    }
    return buf;
}

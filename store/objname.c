/* objname.c - names of store objects (rules in objname.h). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "store/objname.h"

static bool name_char(unsigned char c, bool first)
{
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
        || (c >= '0' && c <= '9'))
        return true;
    return !first && (c == '.' || c == '_' || c == '-');
}

/* Why @p name is refused, "" if it is not. */
static const char *refusal(const char *name, char *why, size_t len)
{
    size_t n;

    if (!name)
        return "no name given";
    n = strnlen(name, TESS_STORE_NAME_MAX + 1);
    if (n == 0)
        return "the name is empty";
    if (n > TESS_STORE_NAME_MAX) {
        snprintf(why, len, "longer than %d bytes", TESS_STORE_NAME_MAX);
        return why;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (name_char(c, i == 0))
            continue;
        if (i == 0 && (c == '.' || c == '_' || c == '-'))
            snprintf(why, len, "it starts with '%c' (names start with a "
                     "letter or a digit; '.' names are the store's own)", c);
        else if (c == '/')
            snprintf(why, len, "'/' at byte %zu (a name is not a path)", i);
        else if (c < 0x20 || c == 0x7f)
            snprintf(why, len, "control character \\x%02x at byte %zu", c, i);
        else if (c >= 0x80)
            snprintf(why, len, "byte \\x%02x at byte %zu is not ASCII", c, i);
        else
            snprintf(why, len, "character '%c' at byte %zu", c, i);
        return why;
    }
    return "";
}

bool objname_valid(const char *name)
{
    char why[96];
    return refusal(name, why, sizeof(why))[0] == '\0';
}

char *objname_quote(char *buf, size_t len, const char *name)
{
    size_t o = 0;

    if (len == 0)
        return buf;
    if (!name) {
        snprintf(buf, len, "(null)");
        return buf;
    }
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        char piece[5];
        int w = (*p < 0x20 || *p >= 0x7f || *p == '\'' || *p == '\\')
                    ? snprintf(piece, sizeof(piece), "\\x%02x", *p)
                    : snprintf(piece, sizeof(piece), "%c", *p);
        if (o + (size_t)w + 4 > len) { /* room for "..." and NUL */
            snprintf(buf + o, len - o, "...");
            return buf;
        }
        memcpy(buf + o, piece, (size_t)w);
        o += (size_t)w;
    }
    buf[o] = '\0';
    return buf;
}

int tess_store_check_name(const char *name, tess_error_t *err)
{
    char why[96], shown[64];
    const char *r = refusal(name, why, sizeof(why));

    if (!r[0])
        return 0;
    errno = EINVAL;
    return tess_errprintf(err, "object name '%s' refused: %s (allowed: 1 to "
                          "%d characters A-Z a-z 0-9 . _ -, starting with a "
                          "letter or a digit)",
                          objname_quote(shown, sizeof(shown), name), r,
                          TESS_STORE_NAME_MAX);
}

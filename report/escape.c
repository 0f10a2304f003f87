/* escape.c - user text in XML, dot and JSON (see escape.h). */
#include "config.h"

#include <stdio.h>

#include "base/utf8.h"
#include "report/escape.h"

/* The one loop: each character is looked up in @p esc (NULL: as it is;
 * "": dropped); bytes that are not UTF-8 become U+FFFD. */
static void put(FILE *f, const char *s, const char *(*esc)(unsigned char c))
{
    while (s && *s) {
        size_t n = utf8_seq_len(s);
        if (n == 0) {
            fputs(UTF8_REPLACEMENT, f);
            s++;
            continue;
        }
        const char *e = n == 1 ? esc((unsigned char)*s) : NULL;
        if (e)
            fputs(e, f);
        else
            fwrite(s, 1, n, f);
        s += n;
    }
}

static const char *xml(unsigned char c)
{
    switch (c) {
    case '&': return "&amp;";
    case '<': return "&lt;";
    case '>': return "&gt;";
    case '"': return "&quot;";
    case '\'': return "&apos;";
    case '\n': case '\t': return NULL;
    default: return c < 0x20 || c == 0x7f ? "" : NULL;
    }
}

static const char *dot(unsigned char c)
{
    switch (c) {
    case '"': return "\\\"";
    case '\\': return "\\\\";
    case '\n': return "\\n";
    case '\t': return NULL;
    default: return c < 0x20 ? "" : NULL;
    }
}

static const char *json(unsigned char c)
{
    static const char *const ctl[32] = {
        "\\u0000", "\\u0001", "\\u0002", "\\u0003", "\\u0004", "\\u0005",
        "\\u0006", "\\u0007", "\\b", "\\t", "\\n", "\\u000b", "\\f", "\\r",
        "\\u000e", "\\u000f", "\\u0010", "\\u0011", "\\u0012", "\\u0013",
        "\\u0014", "\\u0015", "\\u0016", "\\u0017", "\\u0018", "\\u0019",
        "\\u001a", "\\u001b", "\\u001c", "\\u001d", "\\u001e", "\\u001f"};
    if (c == '"')
        return "\\\"";
    if (c == '\\')
        return "\\\\";
    return c < 0x20 ? ctl[c] : NULL;
}

void escape_xml(FILE *f, const char *s)
{
    put(f, s, xml);
}

void escape_dot(FILE *f, const char *s)
{
    put(f, s, dot);
}

void escape_json(FILE *f, const char *s)
{
    put(f, s, json);
}

/* csv.c - RFC 4180 records (see csv.h). */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/csv.h"

struct csv_reader {
    FILE *f;
    char *buf;        /* the record's fields, each NUL-terminated */
    size_t len, cap;
    size_t *start;    /* offset of each field in buf */
    size_t nfields, fcap;
    char **fields;    /* what csv_next returns */
    size_t fields_cap;
    size_t line;      /* current line (1-based) */
    size_t rec_line;  /* line the last record began on */
    bool torn;
};

csv_reader_t *csv_reader_create(FILE *f)
{
    csv_reader_t *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->f = f;
    r->line = 1;
    return r;
}

void csv_reader_destroy(csv_reader_t *r)
{
    int saved = errno;
    if (!r)
        return;
    free(r->buf);
    free(r->start);
    free(r->fields);
    free(r);
    errno = saved;
}

static int put(csv_reader_t *r, char c)
{
    if (r->len == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 256;
        char *b = realloc(r->buf, cap);
        if (!b)
            return -1;
        r->buf = b;
        r->cap = cap;
    }
    r->buf[r->len++] = c;
    return 0;
}

/* Close the current field and open the next one. */
static int end_field(csv_reader_t *r)
{
    if (put(r, '\0') < 0)
        return -1;
    if (r->nfields + 1 >= r->fcap) {
        size_t cap = r->fcap ? 2 * r->fcap : 32;
        size_t *s = realloc(r->start, cap * sizeof(*s));
        if (!s)
            return -1;
        r->start = s;
        r->fcap = cap;
    }
    r->start[++r->nfields] = r->len;
    return 0;
}

/* After a CR: true (and LF consumed) if an LF follows. */
static bool crlf(csv_reader_t *r)
{
    int c = getc(r->f);
    if (c == '\n') {
        r->line++;
        return true;
    }
    if (c != EOF)
        ungetc(c, r->f);
    return false;
}

enum { FIELD_START, UNQUOTED, QUOTED, QUOTE_IN_QUOTED };

int csv_next(csv_reader_t *r, char ***fields, size_t *nfields)
{
    int state = FIELD_START;
    bool any = false; /* consumed a character of this record */

    r->len = 0;
    r->nfields = 0;
    if (!r->start) {
        if (!(r->start = malloc(32 * sizeof(*r->start))))
            return -1;
        r->fcap = 32;
    }
    r->start[0] = 0;
    r->rec_line = r->line;
    for (;;) {
        int c = getc(r->f);
        if (c == EOF) {
            if (ferror(r->f))
                return -1;
            r->torn = any;
            return 0;
        }
        if (c == '\n' && state != QUOTED)
            r->line++;
        switch (state) {
        case FIELD_START:
        case UNQUOTED:
            if (c == '"' && state == FIELD_START) {
                state = QUOTED;
                any = true;
                continue;
            }
            if (c == '\n' || (c == '\r' && crlf(r))) {
                if (!any) { /* a blank line */
                    r->rec_line = r->line;
                    continue;
                }
                goto record;
            }
            any = true;
            if (c == ',') {
                if (end_field(r) < 0)
                    return -1;
                state = FIELD_START;
                continue;
            }
            state = UNQUOTED;
            break;
        case QUOTED:
            if (c == '"') {
                state = QUOTE_IN_QUOTED;
                continue;
            }
            if (c == '\n')
                r->line++;
            break;
        case QUOTE_IN_QUOTED:
            if (c == '"') { /* a doubled quote */
                state = QUOTED;
                break;
            }
            if (c == ',') {
                if (end_field(r) < 0)
                    return -1;
                state = FIELD_START;
                continue;
            }
            if (c == '\n' || (c == '\r' && crlf(r)))
                goto record;
            /* text after a closing quote: not RFC 4180; kept as text */
            state = UNQUOTED;
            break;
        }
        if (put(r, (char)c) < 0)
            return -1;
    }
record:
    if (end_field(r) < 0)
        return -1;
    if (r->fields_cap < r->fcap) {
        char **f = realloc(r->fields, r->fcap * sizeof(*f));
        if (!f)
            return -1;
        r->fields = f;
        r->fields_cap = r->fcap;
    }
    char **f = r->fields;
    for (size_t i = 0; i < r->nfields; i++)
        f[i] = r->buf + r->start[i];
    *fields = f;
    *nfields = r->nfields;
    return 1;
}

size_t csv_line(const csv_reader_t *r)
{
    return r->rec_line;
}

bool csv_torn(const csv_reader_t *r)
{
    return r->torn;
}

int csv_write_field(FILE *f, const char *s)
{
    if (!s)
        s = "";
    if (!strpbrk(s, ",\"\r\n"))
        return fputs(s, f) < 0 ? -1 : 0;
    if (putc('"', f) == EOF)
        return -1;
    for (; *s; s++)
        if ((*s == '"' && putc('"', f) == EOF) || putc(*s, f) == EOF)
            return -1;
    return putc('"', f) == EOF ? -1 : 0;
}

/*
 * csv.h - RFC 4180 records: the tables of a run directory (trace.csv,
 * edges.csv) are written and read with these.
 *
 * A record ends with LF or CRLF outside double quotes; a quoted field may
 * hold commas, line breaks and quotes (doubled). Fields are returned as
 * NUL-terminated strings: a field holding a NUL byte is cut there.
 *
 * Tables are appended while a run goes on, and a run may be killed in the
 * middle of a write: a last record without its line break is incomplete,
 * so csv_next() never returns it (csv_torn() says that there was one).
 * A reader of a live file thus sees whole rows only. Blank lines are
 * skipped.
 */
#ifndef TESS_BASE_CSV_H
#define TESS_BASE_CSV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef struct csv_reader csv_reader_t;

/* A reader of @p f (borrowed: the caller closes it after destroy), from
 * its current position. NULL with errno ENOMEM. */
csv_reader_t *csv_reader_create(FILE *f);

/* Free the reader. Accepts NULL, preserves errno. */
void csv_reader_destroy(csv_reader_t *r);

/* The next complete record: 1 with @p *fields pointing to @p *nfields
 * strings (borrowed until the next call), 0 at the end of the file (and
 * for an incomplete last record), -1 with errno (ENOMEM, or a read
 * error's errno). */
int csv_next(csv_reader_t *r, char ***fields, size_t *nfields);

/* Line (1-based) on which the record last returned began, for messages. */
size_t csv_line(const csv_reader_t *r);

/* true once csv_next() returned 0 and the file ended inside a record (a
 * torn last line or an unterminated quote). */
bool csv_torn(const csv_reader_t *r);

/* Write @p s (NULL: empty) as one field to @p f, in double quotes if it
 * holds a comma, a quote, CR or LF (quotes doubled). The caller writes the
 * separators and the line end. 0, or -1 with errno if the write failed. */
int csv_write_field(FILE *f, const char *s);

#endif

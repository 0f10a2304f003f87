/*
 * escape.h - user text (task, kernel, node and data names, messages) put
 * into the formats the views write: XML (the SVG chart, dot's HTML-like
 * labels), dot strings and JSON strings. Each escapes what its syntax
 * needs, drops control characters it cannot hold, and writes U+FFFD for
 * bytes that are not UTF-8, so that what a kernel says never breaks the
 * file.
 */
#ifndef TESS_REPORT_ESCAPE_H
#define TESS_REPORT_ESCAPE_H

#include <stdio.h>

/* & < > " ' as entities; line breaks and tabs kept, other control
 * characters dropped (XML 1.0 forbids them). NULL writes nothing. */
void escape_xml(FILE *f, const char *s);

/* Inside a dot "string": " and \ escaped, a line break as \n. */
void escape_dot(FILE *f, const char *s);

/* Inside a JSON string (without the quotes): " \ \n \r \t escaped, other
 * control characters as \u00XX. */
void escape_json(FILE *f, const char *s);

#endif

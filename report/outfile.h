/*
 * outfile.h - the files the views write (chart, graph, trace): written
 * beside their path and renamed into place, so that a browser or a viewer
 * reloading one never sees half of it; a path that is not a regular file
 * (/dev/stdout, a pipe) is written directly.
 */
#ifndef TESS_REPORT_OUTFILE_H
#define TESS_REPORT_OUTFILE_H

#include <stdio.h>

#include "tessera.h"

typedef struct outfile {
    FILE *f;        /* write here */
    char *path;
    char *tmp;      /* NULL: written directly */
} outfile_t;

/* Open @p path for writing. 0, or -1 with errno and @p err naming it. */
int outfile_open(outfile_t *o, const char *path, tess_error_t *err);

/* Close and move into place if @p ok (errno then set by a failed write
 * is reported), else remove what was written and report @p why_errno.
 * 0, or -1 with errno and @p err naming the file. */
int outfile_close(outfile_t *o, int ok, int why_errno, tess_error_t *err);

#endif

/*
 * palette.h - the colours of kernels, the same in every picture (Gantt
 * chart, DAG): kernel k of runrec_t.kernel (longest total time first)
 * gets colour k. Ten distinct, colour-blind-friendly hues first (none
 * red: red marks failures), then hues spread by the golden angle.
 */
#ifndef TESS_REPORT_PALETTE_H
#define TESS_REPORT_PALETTE_H

#include <stddef.h>

/* The colour of kernel @p k as "#rrggbb" into @p buf (8 bytes). */
char *palette_colour(size_t k, char *buf);

/* "#000000" or "#ffffff", whichever reads better on kernel @p k's colour. */
const char *palette_text_colour(size_t k);

/* The colour of failures. */
#define PALETTE_FAILED "#d62728"

#endif

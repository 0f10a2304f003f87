/*
 * fmt.h - quantities as people read them, the same in every view (report,
 * status, progress line, chart): durations, byte counts, rates.
 */
#ifndef TESS_REPORT_FMT_H
#define TESS_REPORT_FMT_H

#include <stddef.h>
#include <stdint.h>

/* @p s seconds: "850 us", "12.3 ms", "4.56 s", "3m05s", "2h07m"; "-" if
 * negative (unknown). Returns @p buf. */
char *fmt_duration(char *buf, size_t len, double s);

/* A duration known to the second (status.txt's times): "under 1 s",
 * "42 s", "3m05s"; "-" if negative. Returns @p buf. */
char *fmt_elapsed(char *buf, size_t len, double s);

/* @p bytes in SI units: "512 B", "1.5 kB", "95.3 MB", "1.20 GB". */
char *fmt_bytes(char *buf, size_t len, uint64_t bytes);

/* A percentage of @p part in @p whole with one decimal ("93.4%"), "-" if
 * whole is 0. */
char *fmt_percent(char *buf, size_t len, double part, double whole);

#endif

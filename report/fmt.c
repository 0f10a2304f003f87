/* fmt.c - quantities as people read them (see fmt.h). */
#include "config.h"

#include <stdio.h>

#include "report/fmt.h"

char *fmt_duration(char *buf, size_t len, double s)
{
    if (s < 0)
        snprintf(buf, len, "-");
    else if (s < 1e-3)
        snprintf(buf, len, "%.0f us", s * 1e6);
    else if (s < 0.1)
        snprintf(buf, len, "%.1f ms", s * 1e3);
    else if (s < 1)
        snprintf(buf, len, "%.0f ms", s * 1e3);
    else if (s < 60)
        snprintf(buf, len, "%.2f s", s);
    else if (s < 3600)
        snprintf(buf, len, "%dm%02ds", (int)(s / 60), (int)s % 60);
    else
        snprintf(buf, len, "%dh%02dm", (int)(s / 3600), (int)(s / 60) % 60);
    return buf;
}

char *fmt_elapsed(char *buf, size_t len, double s)
{
    if (s >= 0 && s < 1)
        snprintf(buf, len, "under 1 s");
    else if (s >= 1 && s < 10)
        snprintf(buf, len, "%.1f s", s);
    else if (s >= 10 && s < 60)
        snprintf(buf, len, "%.0f s", s);
    else
        fmt_duration(buf, len, s);
    return buf;
}

char *fmt_bytes(char *buf, size_t len, uint64_t bytes)
{
    static const char *unit[] = {"B", "kB", "MB", "GB", "TB", "PB"};
    double v = (double)bytes;
    int u = 0;
    while (v >= 1000 && u < 5) {
        v /= 1000;
        u++;
    }
    if (u == 0)
        snprintf(buf, len, "%llu B", (unsigned long long)bytes);
    else
        snprintf(buf, len, v < 10 ? "%.2f %s" : v < 100 ? "%.1f %s"
                                                        : "%.0f %s", v, unit[u]);
    return buf;
}

char *fmt_percent(char *buf, size_t len, double part, double whole)
{
    if (whole <= 0)
        snprintf(buf, len, "-");
    else
        snprintf(buf, len, "%.1f%%", 100.0 * part / whole);
    return buf;
}

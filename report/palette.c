/* palette.c - kernel colours (see palette.h). */
#include "config.h"

#include <math.h>
#include <stdio.h>

#include "report/palette.h"

static const unsigned base[] = {
    0x4e79a7, 0xf28e2b, 0x59a14f, 0xb07aa1, 0x76b7b2,
    0xedc948, 0x9c755f, 0xff9da7, 0xbab0ac, 0x86bcb6,
};
#define NBASE (sizeof(base) / sizeof(base[0]))

static unsigned rgb(size_t k)
{
    if (k < NBASE)
        return base[k];
    /* HSL(h, 55%, 60%) with h stepping by the golden angle */
    double h = fmod(37.0 + 137.508 * (double)(k - NBASE), 360.0) / 60.0;
    double s = 0.55, l = 0.60;
    double c = (1 - fabs(2 * l - 1)) * s, x = c * (1 - fabs(fmod(h, 2) - 1));
    double r = 0, g = 0, b = 0;
    switch ((int)h) {
    case 0: r = c; g = x; break;
    case 1: r = x; g = c; break;
    case 2: g = c; b = x; break;
    case 3: g = x; b = c; break;
    case 4: r = x; b = c; break;
    default: r = c; b = x; break;
    }
    double m = l - c / 2;
    return (unsigned)lround((r + m) * 255) << 16 |
           (unsigned)lround((g + m) * 255) << 8 | (unsigned)lround((b + m) * 255);
}

char *palette_colour(size_t k, char *buf)
{
    snprintf(buf, 8, "#%06x", rgb(k) & 0xffffff);
    return buf;
}

const char *palette_text_colour(size_t k)
{
    unsigned c = rgb(k);
    double lum = 0.299 * (c >> 16 & 0xff) + 0.587 * (c >> 8 & 0xff) +
                 0.114 * (c & 0xff);
    return lum > 150 ? "#000000" : "#ffffff";
}

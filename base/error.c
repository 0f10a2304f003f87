/* error.c - tess_error_t: the one way a message for a person is produced. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "tessera.h"

int tess_errprintf(tess_error_t *err, const char *fmt, ...)
{
    int saved = errno;
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->text, sizeof(err->text), fmt, ap);
        va_end(ap);
    }
    errno = saved;
    return -1;
}

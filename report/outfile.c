/* outfile.c - the views' files, renamed into place (see outfile.h). */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report/outfile.h"

int outfile_open(outfile_t *o, const char *path, tess_error_t *err)
{
    struct stat sb;
    memset(o, 0, sizeof(*o));
    if (!(o->path = strdup(path)))
        return tess_errprintf(err, "%s: out of memory", path);
    if (stat(path, &sb) < 0 || S_ISREG(sb.st_mode)) {
        size_t n = strlen(path) + 32;
        if (!(o->tmp = malloc(n))) {
            free(o->path);
            return tess_errprintf(err, "%s: out of memory", path);
        }
        snprintf(o->tmp, n, "%s.tmp.%ld", path, (long)getpid());
    }
    if (!(o->f = fopen(o->tmp ? o->tmp : path, "w"))) {
        int e = errno;
        tess_errprintf(err, "%s: %s", o->tmp ? o->tmp : path, strerror(e));
        free(o->tmp);
        free(o->path);
        errno = e;
        return -1;
    }
    return 0;
}

int outfile_close(outfile_t *o, int ok, int why_errno, tess_error_t *err)
{
    int rc = 0;
    errno = 0;
    if (!ok) {
        fclose(o->f);
        errno = why_errno;
        rc = tess_errprintf(err, "%s: %s", o->path, strerror(why_errno));
    } else if (ferror(o->f) | (fclose(o->f) != 0)) {
        if (!errno)
            errno = EIO;
        rc = tess_errprintf(err, "%s: cannot write: %s", o->path,
                            strerror(errno));
    } else if (o->tmp && rename(o->tmp, o->path) < 0) {
        rc = tess_errprintf(err, "%s: cannot rename %s into place: %s",
                            o->path, o->tmp, strerror(errno));
    }
    int e = errno;
    if (rc < 0 && o->tmp)
        unlink(o->tmp);
    free(o->tmp);
    free(o->path);
    memset(o, 0, sizeof(*o));
    errno = e;
    return rc;
}

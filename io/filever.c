/* filever.c - file versions: naming, copies, atomic publication. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/filever.h"

char *filever_path(const char *workdir, uint64_t data_id, uint32_t version,
                   const char *user_path)
{
    const char *base = strrchr(user_path, '/');
    base = base ? base + 1 : user_path;
    size_t n = strlen(workdir) + strlen(base) + 64;
    char *path = malloc(n);
    if (path)
        snprintf(path, n, "%s/d%llu.v%u.%s", workdir,
                 (unsigned long long)data_id, version, base);
    return path;
}

int filever_copy(const char *from, const char *to, tess_error_t *err)
{
    char buf[65536];
    int in = open(from, O_RDONLY), out;
    if (in < 0) {
        tess_errprintf(err, "cannot read %s: %s", from, strerror(errno));
        return -1;
    }
    out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out < 0) {
        tess_errprintf(err, "cannot create %s: %s", to, strerror(errno));
        close(in);
        return -1;
    }
    ssize_t n;
    int rc = 0;
    while (rc == 0 && (n = read(in, buf, sizeof(buf))) != 0) {
        if (n < 0) {
            tess_errprintf(err, "reading %s: %s", from, strerror(errno));
            rc = -1;
            break;
        }
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(out, buf + off, (size_t)(n - off));
            if (w < 0) {
                tess_errprintf(err, "writing %s: %s", to, strerror(errno));
                rc = -1;
                break;
            }
            off += w;
        }
    }
    close(in);
    if (close(out) < 0 && rc == 0) {
        tess_errprintf(err, "writing %s: %s", to, strerror(errno));
        rc = -1;
    }
    return rc;
}

int filever_publish(const char *from, const char *to, tess_error_t *err)
{
    size_t n = strlen(to) + 32;
    char *tmp = malloc(n);
    if (!tmp) {
        tess_errprintf(err, "out of memory");
        return -1;
    }
    snprintf(tmp, n, "%s.tess-tmp.%ld", to, (long)getpid());
    int rc = filever_copy(from, tmp, err);
    if (rc == 0 && rename(tmp, to) < 0) {
        tess_errprintf(err, "cannot rename onto %s: %s", to, strerror(errno));
        rc = -1;
    }
    if (rc < 0)
        unlink(tmp);
    free(tmp);
    return rc;
}

/* filever.c - file versions: naming, copies, atomic publication. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/fault.h"
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

/* Fill @p err with "WHAT PATH: strerror(errno)", keep errno; -1. */
static int sys_fail(tess_error_t *err, const char *what, const char *path)
{
    return tess_errprintf(err, "%s %s: %s", what, path, strerror(errno));
}

/* Write all of buf[0..n) to @p fd. 0, or -1 with errno. */
static int write_all(int fd, const char *buf, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, buf, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        buf += w;
        n -= (size_t)w;
    }
    return 0;
}

int filever_copy(const char *from, const char *to, tess_error_t *err)
{
    char buf[65536];
    int in = open(from, O_RDONLY | O_CLOEXEC), out, rc = 0;
    if (in < 0)
        return sys_fail(err, "cannot read", from);
    out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0) {
        sys_fail(err, "cannot create", to);
        int e = errno;
        close(in);
        errno = e;
        return -1;
    }
    for (;;) {
        ssize_t n = read(in, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = sys_fail(err, "reading", from);
            break;
        }
        if (n == 0)
            break;
        if (write_all(out, buf, (size_t)n) < 0) {
            rc = sys_fail(err, "writing", to);
            break;
        }
    }
    int e = errno;
    close(in);
    if (close(out) < 0 && rc == 0) { /* NFS reports write errors here */
        rc = sys_fail(err, "writing", to);
        e = errno;
    }
    errno = e;
    return rc;
}

/* Remove "TO.tess-tmp.PID" left by a publisher of this host that died
 * (killed between its copy and its rename): a resume publishes again. */
static void remove_stale(const char *to)
{
    const char *slash = strrchr(to, '/');
    const char *base = slash ? slash + 1 : to;
    size_t dlen = slash ? (size_t)(slash - to) : 1;
    char dir[4096], prefix[512], path[4096 + 512];
    if (dlen >= sizeof(dir) ||
        snprintf(prefix, sizeof(prefix), "%s.tess-tmp.", base) >=
            (int)sizeof(prefix))
        return;
    snprintf(dir, sizeof(dir), "%.*s", (int)dlen, slash ? to : ".");
    if (slash && dlen == 0)
        snprintf(dir, sizeof(dir), "/");
    DIR *d = opendir(dir);
    struct dirent *e;
    size_t plen = strlen(prefix);
    while (d && (e = readdir(d)) != NULL) {
        char *end;
        if (strncmp(e->d_name, prefix, plen) != 0)
            continue;
        long pid = strtol(e->d_name + plen, &end, 10);
        if (*end || pid <= 0 || (kill((pid_t)pid, 0) == 0 || errno == EPERM))
            continue; /* not ours, or its writer lives */
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        unlink(path);
    }
    if (d)
        closedir(d);
}

int filever_publish(const char *from, const char *to, tess_error_t *err)
{
    size_t n = strlen(to) + 32;
    char *tmp = malloc(n);
    if (!tmp) {
        errno = ENOMEM;
        return tess_errprintf(err, "publishing %s: out of memory", to);
    }
    snprintf(tmp, n, "%s.tess-tmp.%ld", to, (long)getpid());
    remove_stale(to);
    int rc = filever_copy(from, tmp, err);
    if (rc == 0 && fault_hit("publish"))
        fault_die(); /* test hook (TESS_FAULT): copied, not renamed */
    if (rc == 0 && rename(tmp, to) < 0)
        rc = sys_fail(err, "cannot rename onto", to);
    if (rc < 0) {
        int e = errno;
        unlink(tmp);
        errno = e;
    }
    free(tmp);
    return rc;
}

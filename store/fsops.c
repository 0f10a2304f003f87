/* fsops.c - file-system operations of the store (see fsops.h). */
#define _GNU_SOURCE /* O_DIRECTORY, O_NOFOLLOW, O_CLOEXEC */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/fsops.h"

int fsops_mkdir(const char *path, const char *parent_dir)
{
    struct stat ps, st;

    if (mkdir(path, 0777) < 0)
        return -1;
    if (stat(parent_dir, &ps) < 0 || !(ps.st_mode & S_ISGID))
        return 0;
    /* A group's shared store: the new directory belongs to the store's
     * group and passes it on. Failures here are not fatal (the directory
     * is usable), but are what Linux would have done anyway. */
    if (stat(path, &st) == 0) {
        if (st.st_gid != ps.st_gid && chown(path, (uid_t)-1, ps.st_gid) < 0)
            return 0;
        if (!(st.st_mode & S_ISGID))
            (void)chmod(path, (st.st_mode & 07777) | S_ISGID);
    }
    return 0;
}

int fsops_mkdir_p(const char *path)
{
    char dir[PATH_MAX], parent[PATH_MAX];
    size_t n = strlen(path);
    struct stat st;

    if (n == 0 || n >= sizeof(dir)) {
        errno = n ? ENAMETOOLONG : ENOENT;
        return -1;
    }
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return 0;
        errno = ENOTDIR;
        return -1;
    }
    memcpy(dir, path, n + 1);
    strcpy(parent, path[0] == '/' ? "/" : ".");
    for (char *p = dir + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char c = *p;
        *p = '\0';
        if (stat(dir, &st) < 0) {
            if (fsops_mkdir(dir, parent) < 0 && errno != EEXIST)
                return -1;
        } else if (!S_ISDIR(st.st_mode)) {
            errno = ENOTDIR;
            return -1;
        }
        strcpy(parent, dir);
        *p = c;
        if (c == '\0')
            return 0;
    }
}

int fsops_write_file(const char *dir, const char *name, const void *data,
                     size_t len, bool sync)
{
    static atomic_ulong counter;
    char path[PATH_MAX], tmp[PATH_MAX];
    int fd = -1, e;

    if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path)
        || snprintf(tmp, sizeof(tmp), "%s.tmp.%ld.%lu", path, (long)getpid(),
                    atomic_fetch_add(&counter, 1)) >= (int)sizeof(tmp)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666)) < 0)
        return -1;
    for (size_t off = 0; off < len;) {
        ssize_t w = write(fd, (const char *)data + off, len - off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            goto fail;
        }
        off += (size_t)w;
    }
    /* Data before name (as h5frag_write): after an OS crash the name
     * holds the old content or the new, never a part. */
    if ((sync && fsync(fd) < 0) || close(fd) < 0) {
        fd = -1;
        goto fail;
    }
    fd = -1;
    if (rename(tmp, path) < 0)
        goto fail;
    return 0;
fail:
    e = errno;
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    errno = e;
    return -1;
}

FILE *fsops_text_open(fsops_text_t *t)
{
    t->text = NULL;
    t->len = 0;
    return t->f = open_memstream(&t->text, &t->len);
}

int fsops_text_commit(fsops_text_t *t, const char *dir, const char *name,
                      bool sync)
{
    int rc = -1, e = ENOMEM;

    if (fclose(t->f) == 0) {
        rc = fsops_write_file(dir, name, t->text, t->len, sync);
        e = errno;
    }
    free(t->text);
    t->text = NULL;
    t->f = NULL;
    errno = e;
    return rc;
}

int fsops_read_file(const char *path, size_t max, char **out, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    size_t cap = 4096, n = 0;
    char *buf = NULL;
    int e;

    if (fd < 0)
        return -1;
    if (!(buf = malloc(cap)))
        goto fail;
    for (;;) {
        if (n + 1 >= cap) {
            if (cap > max) {
                errno = EFBIG;
                goto fail;
            }
            char *b = realloc(buf, cap * 2);
            if (!b)
                goto fail;
            buf = b;
            cap *= 2;
        }
        ssize_t r = read(fd, buf + n, cap - 1 - n);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            goto fail;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    if (n > max) {
        errno = EFBIG;
        goto fail;
    }
    close(fd);
    buf[n] = '\0';
    *out = buf;
    if (len)
        *len = n;
    return 0;
fail:
    e = errno;
    free(buf);
    close(fd);
    errno = e;
    return -1;
}

int fsops_sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    if (fsync(fd) < 0 && errno != EINVAL) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return close(fd);
}

/* Empty the directory open as @p fd (closed here), depth first, never
 * following a symbolic link. @p path names it for messages. */
static int empty_dir(int fd, const char *path, char *failed, size_t len)
{
    DIR *d = fdopendir(fd);
    struct dirent *de;
    int rc = 0;

    if (!d) {
        int e = errno;
        close(fd);
        errno = e;
        snprintf(failed, len, "%s", path);
        return -1;
    }
    while ((de = readdir(d))) {
        const char *n = de->d_name;
        if (strcmp(n, ".") == 0 || strcmp(n, "..") == 0)
            continue;
        if (unlinkat(dirfd(d), n, 0) == 0 || errno == ENOENT)
            continue;
        if (errno != EISDIR && errno != EPERM) {
            snprintf(failed, len, "%s/%s", path, n);
            rc = -1;
            break;
        }
        /* a directory (unlink says EISDIR on Linux, EPERM elsewhere) */
        char sub[PATH_MAX];
        snprintf(sub, sizeof(sub), "%s/%s", path, n);
        int sfd = openat(dirfd(d), n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW
                                          | O_CLOEXEC);
        if (sfd < 0) {
            if (errno == ENOENT)
                continue;
            snprintf(failed, len, "%s", sub);
            rc = -1;
            break;
        }
        if (empty_dir(sfd, sub, failed, len) < 0) {
            rc = -1;
            break;
        }
        if (unlinkat(dirfd(d), n, AT_REMOVEDIR) < 0 && errno != ENOENT) {
            snprintf(failed, len, "%s", sub);
            rc = -1;
            break;
        }
    }
    int e = errno;
    closedir(d);
    errno = e;
    return rc;
}

int fsops_remove_tree(const char *path, char *failed, size_t len)
{
    for (int round = 0;; round++) {
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
            if (errno == ENOENT)
                return 0;
            if (errno == ENOTDIR || errno == ELOOP) { /* a file or a link */
                if (unlink(path) == 0 || errno == ENOENT)
                    return 0;
            }
            snprintf(failed, len, "%s", path);
            return -1;
        }
        if (empty_dir(fd, path, failed, len) < 0)
            return -1;
        if (rmdir(path) == 0 || errno == ENOENT)
            return 0;
        /* ENOTEMPTY: a writer added a file meanwhile (or NFS keeps a
         * .nfsXXXX of a file some process of this node still has open) */
        if (errno != ENOTEMPTY && errno != EEXIST) {
            snprintf(failed, len, "%s", path);
            return -1;
        }
        if (round == 4) {
            snprintf(failed, len, "%s", path);
            errno = ENOTEMPTY;
            return -1;
        }
        usleep(1000u << round);
    }
}

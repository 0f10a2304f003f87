/* plock.c - the producer lock (see plock.h). */
#define _GNU_SOURCE /* F_OFD_SETLK, F_OFD_GETLK */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "store/meta.h"
#include "store/plock.h"

#ifndef F_OFD_SETLK /* not Linux >= 3.15: POSIX record locks only */
#define F_OFD_SETLK F_SETLK
#define F_OFD_GETLK F_GETLK
#endif

/* fcntl lock call: OFD, or POSIX where the kernel has no OFD locks. */
static int lock_call(int fd, int ofd_cmd, int posix_cmd, struct flock *fl)
{
    fl->l_pid = 0; /* required by OFD locks */
    if (fcntl(fd, ofd_cmd, fl) == 0)
        return 0;
    if (errno != EINVAL || ofd_cmd == posix_cmd)
        return -1;
    return fcntl(fd, posix_cmd, fl);
}

int plock_acquire(const char *objdir)
{
    char path[PATH_MAX];
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0,
                       .l_len = 1};

    snprintf(path, sizeof(path), "%s/" META_LOCK, objdir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0)
        return -1;
    if (lock_call(fd, F_OFD_SETLK, F_SETLK, &fl) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

int plock_probe(const char *objdir)
{
    char path[PATH_MAX];
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0,
                       .l_len = 1};

    snprintf(path, sizeof(path), "%s/" META_LOCK, objdir);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = lock_call(fd, F_OFD_GETLK, F_GETLK, &fl);
    close(fd);
    if (rc < 0)
        return -1;
    return fl.l_type != F_UNLCK;
}

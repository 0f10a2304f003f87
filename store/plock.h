/*
 * plock.h - is the producer of an object alive? The producer lock.
 *
 * The creator of an object holds a write lock on OBJECT_DIR/lock for as
 * long as its handle is open; the kernel (or the NFS server, or the
 * parallel file system's lock manager) drops it when the process ends,
 * however it ends, kill -9 included. Readers test the lock without taking
 * it. Open-file-description locks (F_OFD_SETLK, Linux >= 3.15) are used,
 * so a test from another handle of the same process sees the lock and
 * closing that handle does not drop it. Where OFD locks are missing,
 * classic POSIX record locks (then a process cannot see its own lock, and
 * a test from the producer's own process would drop it). How the file systems propagate these locks and
 * release those of dead nodes: docs/store.md.
 */
#ifndef TESS_STORE_PLOCK_H
#define TESS_STORE_PLOCK_H

/* Take the producer lock of the object in @p objdir, creating the lock
 * file (mode 0666 less the umask). Returns the descriptor holding it
 * (close-on-exec; closing it releases the lock), or -1 with errno
 * (ENOLCK, EOPNOTSUPP, ENOSYS: the file system has no locks). */
int plock_acquire(const char *objdir);

/* Test the producer lock of the object in @p objdir: 1 held (producer
 * alive), 0 free (producer gone), -1 unknown (no lock file, or a file
 * system without locks). */
int plock_probe(const char *objdir);

#endif

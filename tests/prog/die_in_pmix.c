/*
 * die_in_pmix.c - an LD_PRELOAD module for tests/t5150-mpirun-hang.t: the
 * MPI rank named by TESS_TEST_DIE_RANK kills itself (SIGKILL) right after
 * its first write on its first connected socket, which is its handshake
 * with mpirun's PMIx server inside MPI_Init: the instant that a kill -9
 * from outside hits only now and then (tests/t5110-fault-kill.t on a
 * loaded machine, 1 run in 10), hit every time. OpenMPI 4.1's mpirun then
 * nearly always prints "PMIX ERROR: UNREACHABLE" and never ends, though
 * every rank has (12 of 13 tries here; once, under load, it saw the death
 * first and ended by itself).
 *
 * Every other process (the launcher, mpirun, the other ranks) is left
 * alone: only a process whose OMPI_COMM_WORLD_RANK matches is touched.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

static int handshake_fd = -1; /* the first socket connected, or -1 */
static int armed = -1;        /* this is the rank to kill (-1: unknown) */

static int is_victim(void)
{
    if (armed < 0) {
        const char *rank = getenv("OMPI_COMM_WORLD_RANK");
        const char *victim = getenv("TESS_TEST_DIE_RANK");
        armed = rank && victim && strcmp(rank, victim) == 0;
    }
    return armed;
}

static void die_after_write(int fd, ssize_t written)
{
    if (fd == handshake_fd && written > 0) {
        static const char msg[] = "die_in_pmix: rank dies in MPI_Init\n";
        ssize_t w = write(2, msg, sizeof(msg) - 1);
        (void)w;
        raise(SIGKILL);
    }
}

int connect(int fd, const struct sockaddr *sa, socklen_t len)
{
    int (*real)(int, const struct sockaddr *, socklen_t);
    *(void **)&real = dlsym(RTLD_NEXT, "connect");
    int rc = real(fd, sa, len);
    if (handshake_fd < 0 && is_victim())
        handshake_fd = fd;
    return rc;
}

ssize_t write(int fd, const void *buf, size_t n)
{
    ssize_t (*real)(int, const void *, size_t);
    *(void **)&real = dlsym(RTLD_NEXT, "write");
    ssize_t rc = real(fd, buf, n);
    die_after_write(fd, rc);
    return rc;
}

ssize_t send(int fd, const void *buf, size_t n, int flags)
{
    ssize_t (*real)(int, const void *, size_t, int);
    *(void **)&real = dlsym(RTLD_NEXT, "send");
    ssize_t rc = real(fd, buf, n, flags);
    die_after_write(fd, rc);
    return rc;
}

ssize_t writev(int fd, const struct iovec *iov, int n)
{
    ssize_t (*real)(int, const struct iovec *, int);
    *(void **)&real = dlsym(RTLD_NEXT, "writev");
    ssize_t rc = real(fd, iov, n);
    die_after_write(fd, rc);
    return rc;
}

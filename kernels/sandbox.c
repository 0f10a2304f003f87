/* sandbox.c - kernels in executor processes (see sandbox.h). */
#define _GNU_SOURCE
#include "config.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "kernels/sandbox.h"

/* ---- the shared arena ------------------------------------------------------ */

/* The control block at the start of every slot's arena. Sequence numbers
 * and sleeping flags are the only fields both sides touch concurrently;
 * the rest is written by one side before it bumps a sequence number and
 * read by the other after it saw the bump (seq_cst atomics order them). */
struct ctl {
    _Atomic uint32_t req_seq;       /* bumped by the worker: a request */
    _Atomic uint32_t done_seq;      /* set by the executor: its reply */
    _Atomic int32_t exec_sleeping;  /* the executor blocks in read() */
    _Atomic int32_t owner_sleeping; /* the worker blocks in poll() */
    uint64_t arena_size;            /* bytes of the memfd now */
    uint64_t args_off;              /* the wire arguments */
    uint32_t nargs;
    int64_t mem_limit;              /* bytes beyond the base, 0: none */
    uint64_t task_id;
    uint64_t msg_off, msg_len;      /* the failure message buffer */
    int32_t rc;                     /* the kernel's return value */
    int32_t unknown;                /* 1: kernel not found (msg says why) */
    uint64_t fn;                    /* the worker's function pointer: valid
                                       here if its module was loaded when
                                       the zygote forked (dladdr tells) */
    char kernel[1024];
};

#define CTL_SIZE 4096
#define ALIGN(n) (((n) + 63) & ~(size_t)63)

/* One argument, pointers as offsets from the arena's base (0: NULL; the
 * control block sits at 0, so no argument data can). */
struct wire_arg {
    int32_t kind, dir, type, rank;
    uint64_t start, count, buf, path, str;
    int64_t i;
    double d;
};

_Static_assert(sizeof(struct ctl) <= CTL_SIZE, "control block too large");
_Static_assert(sizeof(tess_kernel_f) == sizeof(uint64_t),
               "function pointers travel as 64-bit words");

/* ---- zygote protocol --------------------------------------------------------- */

enum { Z_SPAWN = 1, Z_KILL = 2, Z_REAP = 3 };

struct zreq {
    int op;
    pid_t pid;
    long spin_ns;
};

struct zrep {
    int err;     /* errno, 0 ok */
    pid_t pid;
    int status;  /* wait status */
};

struct slot {
    int memfd;
    uint8_t *base;
    size_t size;
    int cmd_wr, reply_rd; /* the worker's ends of the executor's pipes */
    pid_t pid;            /* executor, 0: none */
    uint32_t seq;
    int log_fd;
    char *log_path;
    void *private;        /* in-process arena when there is no zygote */
    size_t private_size;
};

struct sandbox {
    int nslots;
    int processes;
    long spin_ns;
    int64_t memory_mb;
    pid_t zygote;
    int zsock;
    pthread_mutex_t zlock; /* one request at a time on zsock */
    struct slot *slots;
    atomic_ullong crashes;
};

/* Send a request with descriptors attached; read the reply. */
static int zcall(sandbox_t *s, const struct zreq *rq, const int *fds, int nfds,
                 struct zrep *rp)
{
    struct iovec iov = {(void *)rq, sizeof(*rq)};
    union {
        char buf[CMSG_SPACE(sizeof(int) * 4)];
        struct cmsghdr align;
    } u;
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
    if (nfds > 0) {
        memset(&u, 0, sizeof(u));
        m.msg_control = u.buf;
        m.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
        struct cmsghdr *c = CMSG_FIRSTHDR(&m);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
        memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
    }
    pthread_mutex_lock(&s->zlock);
    ssize_t n = sendmsg(s->zsock, &m, MSG_NOSIGNAL);
    if (n == (ssize_t)sizeof(*rq))
        n = recv(s->zsock, rp, sizeof(*rp), 0);
    pthread_mutex_unlock(&s->zlock);
    if (n != (ssize_t)sizeof(*rp)) {
        errno = n < 0 ? errno : EPIPE;
        return -1;
    }
    if (rp->err) {
        errno = rp->err;
        return -1;
    }
    return 0;
}

/* ---- the executor process ---------------------------------------------------- */

/* Virtual memory of this process now, in bytes. */
static int64_t vm_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0;
    if (f) {
        if (fscanf(f, "%ld", &pages) != 1)
            pages = 0;
        fclose(f);
    }
    return (int64_t)pages * sysconf(_SC_PAGESIZE);
}

static void *map(int fd, size_t size)
{
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    return p == MAP_FAILED ? NULL : p;
}

/* Offset to pointer inside [base, base+size), NULL for 0 or outside. */
static void *at(uint8_t *base, size_t size, uint64_t off)
{
    return off && off < size ? base + off : NULL;
}

static void executor_main(int memfd, int cmd_rd, int reply_wr, int log_fd,
                          kreg_t *kernels, long spin_ns)
{
    if (log_fd >= 0) {
        dup2(log_fd, 2);
        close(log_fd);
    }
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    size_t size = CTL_SIZE;
    uint8_t *base = map(memfd, size);
    if (!base)
        _exit(120);
    struct ctl *ctl = (struct ctl *)(void *)base;
    const int64_t base_vm = vm_bytes();
    int64_t limit_set = -1;
    /* the worker set done_seq before forking us: anything newer in
     * req_seq is a request, even one made before we got here */
    uint32_t last = atomic_load(&ctl->done_seq);
    struct tess_arg *args = NULL;
    uint32_t args_cap = 0;
    for (;;) {
        /* wait for a request: spin, then sleep in read() */
        long t0 = clock_mono_ns();
        while (atomic_load(&ctl->req_seq) == last && clock_mono_ns() - t0 < spin_ns)
            sched_yield();
        while (atomic_load(&ctl->req_seq) == last) {
            char b[64];
            atomic_store(&ctl->exec_sleeping, 1);
            if (atomic_load(&ctl->req_seq) != last) {
                atomic_store(&ctl->exec_sleeping, 0);
                break;
            }
            ssize_t n = read(cmd_rd, b, sizeof(b));
            atomic_store(&ctl->exec_sleeping, 0);
            if (n == 0 || (n < 0 && errno != EINTR))
                _exit(0); /* the worker is gone */
        }
        last = atomic_load(&ctl->req_seq);
        if (ctl->arena_size > size) {
            size_t grown = ctl->arena_size;
            munmap(base, size);
            size = grown;
            base = map(memfd, size);
            if (!base)
                _exit(121);
            ctl = (struct ctl *)(void *)base;
        }
        /* the task's memory limit, on top of what this process maps */
        int64_t want = ctl->mem_limit > 0
                           ? base_vm + (int64_t)size + ctl->mem_limit +
                                 ((int64_t)64 << 20)
                           : 0;
        if (want != limit_set) {
            struct rlimit rl = {RLIM_INFINITY, RLIM_INFINITY};
            if (want > 0)
                rl.rlim_cur = (rlim_t)want;
            struct rlimit cur;
            getrlimit(RLIMIT_AS, &cur);
            rl.rlim_max = cur.rlim_max;
            if (rl.rlim_cur > rl.rlim_max)
                rl.rlim_cur = rl.rlim_max;
            setrlimit(RLIMIT_AS, &rl);
            limit_set = want;
        }
        char *msg = at(base, size, ctl->msg_off);
        size_t msglen = msg ? ctl->msg_len : 0;
        uint32_t k;
        tess_error_t err;
        ctl->kernel[sizeof(ctl->kernel) - 1] = '\0';
        ctl->unknown = 0;
        tess_kernel_f fn = NULL;
        if (kreg_resolve(kernels, ctl->kernel, &k, &err) == 0) {
            fn = kreg_fn(kernels, k);
        } else if (ctl->fn) {
            /* registered after the fork, but compiled into a module this
             * process has too */
            Dl_info info;
            void *p;
            memcpy(&p, &ctl->fn, sizeof(p));
            if (dladdr(p, &info))
                memcpy(&fn, &ctl->fn, sizeof(fn));
        }
        if (!fn) {
            ctl->unknown = 1;
            if (msg && msglen)
                snprintf(msg, msglen, "%s (in the executor process)",
                         err.text);
        } else {
            if (ctl->nargs > args_cap) {
                struct tess_arg *na = realloc(args, ctl->nargs * sizeof(*na));
                if (!na)
                    _exit(122);
                args = na;
                args_cap = ctl->nargs;
            }
            const struct wire_arg *w = at(base, size, ctl->args_off);
            for (uint32_t i = 0; w && i < ctl->nargs; i++) {
                struct tess_arg *a = &args[i];
                memset(a, 0, sizeof(*a));
                a->kind = (tess_param_kind_t)w[i].kind;
                a->dir = (tess_dir_t)w[i].dir;
                a->type = (tess_type_t)w[i].type;
                a->rank = w[i].rank;
                a->start = at(base, size, w[i].start);
                a->count = at(base, size, w[i].count);
                a->buf = at(base, size, w[i].buf);
                a->path = at(base, size, w[i].path);
                if (a->kind == TESS_P_INT)
                    a->value.i = w[i].i;
                else if (a->kind == TESS_P_DOUBLE)
                    a->value.d = w[i].d;
                else if (a->kind == TESS_P_STRING)
                    a->value.s = at(base, size, w[i].str);
            }
            struct tess_args ta = {.kernel = ctl->kernel,
                                   .task_id = ctl->task_id,
                                   .n = (int)ctl->nargs, .a = args,
                                   .msg = msg, .msglen = msglen};
            ctl->rc = fn(&ta);
        }
        atomic_store(&ctl->done_seq, last);
        if (atomic_load(&ctl->owner_sleeping)) {
            ssize_t n = write(reply_wr, "d", 1);
            (void)n;
        }
    }
}

/* ---- the zygote ---------------------------------------------------------------- */

static void close_others(int keep)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return;
    int dfd = dirfd(d);
    struct dirent *e;
    int fds[1024], n = 0;
    while ((e = readdir(d)) && n < 1024) {
        int fd = atoi(e->d_name);
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        if (fd > 2 && fd != keep && fd != dfd)
            fds[n++] = fd;
    }
    closedir(d);
    for (int i = 0; i < n; i++)
        close(fds[i]);
}

/* Reset sig to its default action with the raw system call: a sanitizer
 * (or MPI) may intercept sigaction() to keep its own crash handler, which
 * would turn the kernel's segfault into the worker's report and exit. */
static void raw_action(int sig, void (*handler)(int))
{
    struct {
        void (*handler)(int);
        unsigned long flags;
        void (*restorer)(void);
        uint64_t mask;
    } ksa = {handler, 0, NULL, 0};
    syscall(SYS_rt_sigaction, sig, &ksa, NULL, sizeof(ksa.mask));
}

static void default_signals(void)
{
    sigset_t all;
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    /* the worker's handlers (MPI installs some for SIGSEGV & co, which
     * would print the worker's backtrace) are not the kernel's */
    int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGCHLD, SIGQUIT,
                  SIGUSR1, SIGUSR2, SIGALRM, SIGSEGV, SIGBUS, SIGFPE,
                  SIGILL, SIGABRT, SIGTRAP, SIGSYS, SIGXCPU, SIGXFSZ};
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
        signal(sigs[i], SIG_DFL);
        raw_action(sigs[i], SIG_DFL);
    }
    /* ...except the signals that stop a whole job: scancel, the time
     * limit and a terminal's ^C send them to every process of the job at
     * once. The engine decides what they mean (the run is cancelled or
     * stopped, the running tasks are "not run"); an executor killed by
     * one first would report its task failed, and the failure would cancel
     * the task's successors instead. Executors are stopped with SIGKILL
     * (time-outs, the worker's end). */
    int stops[] = {SIGTERM, SIGINT, SIGHUP};
    for (size_t i = 0; i < sizeof(stops) / sizeof(stops[0]); i++) {
        signal(stops[i], SIG_IGN);
        raw_action(stops[i], SIG_IGN);
    }
}

static int wait_pid(pid_t pid, int *status)
{
    /* bounded: the worker only asks once the executor is gone or killed */
    for (int i = 0; i < 400; i++) {
        pid_t r = waitpid(pid, status, WNOHANG);
        if (r == pid)
            return 0;
        if (r < 0 && errno != EINTR)
            return -1;
        struct timespec ts = {0, 5000000L};
        nanosleep(&ts, NULL);
    }
    kill(pid, SIGKILL);
    return waitpid(pid, status, 0) == pid ? 0 : -1;
}

static void zygote_main(int sock, const kreg_t *kernels, pid_t worker)
{
    default_signals();
    close_others(sock);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != worker)
        _exit(0);
    pid_t kids[1024];
    int nkids = 0;
    for (;;) {
        struct zreq rq;
        int fds[4] = {-1, -1, -1, -1};
        union {
            char buf[CMSG_SPACE(sizeof(int) * 4)];
            struct cmsghdr align;
        } u;
        struct iovec iov = {&rq, sizeof(rq)};
        struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1,
                           .msg_control = u.buf,
                           .msg_controllen = sizeof(u.buf)};
        ssize_t n = recvmsg(sock, &m, 0);
        if (n <= 0) {
            if (n < 0 && errno == EINTR)
                continue;
            break; /* the worker closed the socket or died */
        }
        int nfds = 0;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
                nfds = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
                if (nfds > 4)
                    nfds = 4;
                memcpy(fds, CMSG_DATA(c), sizeof(int) * (size_t)nfds);
            }
        struct zrep rp = {0, 0, 0};
        if (rq.op == Z_SPAWN && nfds == 4 && nkids < 1024) {
            pid_t pid = fork();
            if (pid == 0) {
                close(sock);
                executor_main(fds[0], fds[1], fds[2], fds[3],
                              (kreg_t *)kernels /* our private copy */,
                              rq.spin_ns);
                _exit(0);
            }
            if (pid < 0)
                rp.err = errno;
            else
                kids[nkids++] = rp.pid = pid;
        } else if (rq.op == Z_KILL || rq.op == Z_REAP) {
            if (rq.op == Z_KILL)
                kill(rq.pid, SIGKILL);
            if (wait_pid(rq.pid, &rp.status) < 0)
                rp.err = errno ? errno : ECHILD;
            rp.pid = rq.pid;
            for (int i = 0; i < nkids; i++)
                if (kids[i] == rq.pid)
                    kids[i] = kids[--nkids];
        } else {
            rp.err = EINVAL;
        }
        for (int i = 0; i < nfds; i++)
            if (fds[i] >= 0)
                close(fds[i]);
        if (send(sock, &rp, sizeof(rp), MSG_NOSIGNAL) != (ssize_t)sizeof(rp))
            break;
    }
    for (int i = 0; i < nkids; i++)
        kill(kids[i], SIGKILL);
    for (int i = 0; i < nkids; i++)
        waitpid(kids[i], NULL, 0);
    _exit(0);
}

/* ---- life cycle ---------------------------------------------------------------- */

sandbox_t *sandbox_create(const sandbox_config_t *c, tess_error_t *err)
{
    sandbox_t *s = calloc(1, sizeof(*s));
    if (!s || c->nslots < 1) {
        free(s);
        errno = c->nslots < 1 ? EINVAL : ENOMEM;
        tess_errprintf(err, "sandbox: %s", c->nslots < 1 ? "no slots"
                                                         : "out of memory");
        return NULL;
    }
    s->nslots = c->nslots;
    s->spin_ns = c->spin_ns;
    s->memory_mb = c->memory_mb;
    s->zsock = -1;
    atomic_init(&s->crashes, 0);
    pthread_mutex_init(&s->zlock, NULL);
    s->slots = calloc((size_t)c->nslots, sizeof(*s->slots));
    if (!s->slots)
        goto nomem;
    for (int i = 0; i < s->nslots; i++) {
        s->slots[i].memfd = s->slots[i].cmd_wr = s->slots[i].reply_rd = -1;
        s->slots[i].log_fd = -1;
    }
    if (!c->processes)
        return s;
    for (int i = 0; i < s->nslots; i++) {
        struct slot *sl = &s->slots[i];
        char name[32];
        snprintf(name, sizeof(name), "tessera-slot%d", i);
        sl->memfd = memfd_create(name, MFD_CLOEXEC);
        if (sl->memfd < 0 || ftruncate(sl->memfd, CTL_SIZE) < 0 ||
            !(sl->base = map(sl->memfd, CTL_SIZE))) {
            tess_errprintf(err, "sandbox: shared memory for slot %d: %s", i,
                           strerror(errno));
            sandbox_destroy(s);
            return NULL;
        }
        sl->size = CTL_SIZE;
        memset(sl->base, 0, CTL_SIZE);
    }
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
        tess_errprintf(err, "sandbox: socketpair: %s", strerror(errno));
        sandbox_destroy(s);
        return NULL;
    }
    pid_t me = getpid();
    /* The zygote and its executors inherit this process's stdio buffers:
     * output still buffered here (trace.csv's header) would be written
     * again by any of them that flushes (a kernel calling exit()), into
     * whatever file has that descriptor number there. Empty them first. */
    fflush(NULL);
    pid_t z = fork();
    if (z == 0) {
        close(sv[0]);
        zygote_main(sv[1], c->kernels, me);
    }
    close(sv[1]);
    if (z < 0) {
        close(sv[0]);
        tess_errprintf(err, "sandbox: cannot fork the executor server: %s",
                       strerror(errno));
        sandbox_destroy(s);
        return NULL;
    }
    s->zygote = z;
    s->zsock = sv[0];
    s->processes = 1;
    return s;
nomem:
    sandbox_destroy(s);
    errno = ENOMEM;
    tess_errprintf(err, "sandbox: out of memory");
    return NULL;
}

static void close_executor(struct slot *sl)
{
    if (sl->cmd_wr >= 0)
        close(sl->cmd_wr);
    if (sl->reply_rd >= 0)
        close(sl->reply_rd);
    sl->cmd_wr = sl->reply_rd = -1;
    sl->pid = 0;
}

void sandbox_destroy(sandbox_t *s)
{
    int saved = errno;
    if (!s)
        return;
    for (int i = 0; s->slots && i < s->nslots; i++)
        close_executor(&s->slots[i]); /* executors see EOF and exit */
    if (s->zsock >= 0)
        close(s->zsock); /* the zygote kills and reaps what is left */
    if (s->zygote > 0) {
        int st;
        while (waitpid(s->zygote, &st, 0) < 0 && errno == EINTR)
            ;
    }
    for (int i = 0; s->slots && i < s->nslots; i++) {
        struct slot *sl = &s->slots[i];
        if (sl->base)
            munmap(sl->base, sl->size);
        if (sl->memfd >= 0)
            close(sl->memfd);
        if (sl->log_fd >= 0)
            close(sl->log_fd);
        free(sl->log_path);
        free(sl->private);
    }
    pthread_mutex_destroy(&s->zlock);
    free(s->slots);
    free(s);
    errno = saved;
}

int sandbox_set_log(sandbox_t *s, const char *dir, const char *prefix)
{
    for (int i = 0; i < s->nslots; i++) {
        struct slot *sl = &s->slots[i];
        size_t n = strlen(dir) + strlen(prefix) + 32;
        char *path = malloc(n);
        if (!path)
            return -1;
        snprintf(path, n, "%s/%sslot%d.log", dir, prefix, i);
        int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd < 0) {
            free(path);
            return -1;
        }
        if (sl->log_fd >= 0)
            close(sl->log_fd);
        free(sl->log_path);
        sl->log_fd = fd;
        sl->log_path = path;
    }
    return 0;
}

int sandbox_isolates(const sandbox_t *s)
{
    return s->processes;
}

uint64_t sandbox_crashes(const sandbox_t *s)
{
    return atomic_load(&((sandbox_t *)s)->crashes);
}

pid_t sandbox_zygote_pid(const sandbox_t *s)
{
    return s->zygote;
}

pid_t sandbox_executor_pid(const sandbox_t *s, int slot)
{
    return slot >= 0 && slot < s->nslots ? s->slots[slot].pid : 0;
}

void *sandbox_reserve(sandbox_t *s, int slot, size_t bytes, int nargs)
{
    struct slot *sl = &s->slots[slot];
    size_t wire = ALIGN((size_t)(nargs > 0 ? nargs : 1) *
                        sizeof(struct wire_arg));
    size_t need = CTL_SIZE + wire + ALIGN(bytes ? bytes : 1);
    if (!s->processes) {
        if (need > sl->private_size) {
            void *p = realloc(sl->private, need);
            if (!p) {
                errno = ENOMEM;
                return NULL;
            }
            sl->private = p;
            sl->private_size = need;
        }
        return (uint8_t *)sl->private + CTL_SIZE + wire;
    }
    if (need > sl->size) {
        size_t size = sl->size;
        while (size < need)
            size *= 2;
        if (ftruncate(sl->memfd, (off_t)size) < 0)
            return NULL;
        void *p = mremap(sl->base, sl->size, size, MREMAP_MAYMOVE);
        if (p == MAP_FAILED)
            return NULL;
        sl->base = p;
        sl->size = size;
        ((struct ctl *)(void *)sl->base)->arena_size = size;
    }
    return sl->base + CTL_SIZE + wire;
}

/* ---- calls ---------------------------------------------------------------------- */

static int spawn_executor(sandbox_t *s, int slot, char *msg, size_t len)
{
    struct slot *sl = &s->slots[slot];
    int cmd[2], reply[2];
    if (pipe2(cmd, O_CLOEXEC) < 0)
        goto fail;
    if (pipe2(reply, O_CLOEXEC) < 0) {
        close(cmd[0]);
        close(cmd[1]);
        goto fail;
    }
    /* never block the worker on a full wake-up pipe */
    fcntl(cmd[1], F_SETFL, O_NONBLOCK);
    int devnull = -1, log = sl->log_fd;
    if (log < 0)
        log = devnull = dup(2);
    int fds[4] = {sl->memfd, cmd[0], reply[1], log};
    struct zreq rq = {Z_SPAWN, 0, s->spin_ns};
    struct zrep rp;
    struct ctl *ctl = (struct ctl *)(void *)sl->base;
    ctl->arena_size = sl->size;
    sl->seq = atomic_load(&ctl->req_seq);
    atomic_store(&ctl->done_seq, sl->seq);
    atomic_store(&ctl->exec_sleeping, 0);
    atomic_store(&ctl->owner_sleeping, 0);
    int rc = zcall(s, &rq, fds, 4, &rp);
    close(cmd[0]);
    close(reply[1]);
    if (devnull >= 0)
        close(devnull);
    if (rc < 0) {
        close(cmd[1]);
        close(reply[0]);
        goto fail;
    }
    sl->cmd_wr = cmd[1];
    sl->reply_rd = reply[0];
    sl->pid = rp.pid;
    return 0;
fail:
    snprintf(msg, len, "cannot start an executor process: %s",
             strerror(errno));
    return -1;
}

/* The last lines the executor wrote to its log since `from`, on one
 * line ("a | b | c"), into out. */
static void log_tail(const struct slot *sl, off_t from, char *out, size_t len)
{
    out[0] = '\0';
    if (sl->log_fd < 0 || len < 2)
        return;
    struct stat st;
    if (fstat(sl->log_fd, &st) < 0 || st.st_size <= from)
        return;
    char buf[1024];
    off_t start = st.st_size - (off_t)sizeof(buf) + 1;
    if (start < from)
        start = from;
    int fd = open(sl->log_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    ssize_t n = pread(fd, buf, sizeof(buf) - 1, start);
    close(fd);
    if (n <= 0)
        return;
    buf[n] = '\0';
    /* the last 3 non-empty lines */
    char *lines[3] = {0};
    int nl = 0;
    for (char *p = buf + n; p > buf && nl < 3;) {
        while (p > buf && (p[-1] == '\n' || p[-1] == '\r'))
            *--p = '\0';
        char *e = p;
        while (p > buf && p[-1] != '\n')
            p--;
        if (p < e)
            lines[nl++] = p;
    }
    size_t off = 0;
    for (int i = nl - 1; i >= 0 && off + 1 < len; i--)
        off += (size_t)snprintf(out + off, len - off, "%s%s",
                                off ? " | " : "", lines[i]);
}

static uint64_t off_of(const struct slot *sl, const void *p, int *bad)
{
    if (!p)
        return 0;
    const uint8_t *q = p;
    if (q < sl->base + CTL_SIZE || q >= sl->base + sl->size) {
        *bad = 1;
        return 0;
    }
    return (uint64_t)(q - sl->base);
}

static int run_isolated(sandbox_t *s, int slot, const sandbox_call_t *c,
                        sandbox_result_t *r)
{
    struct slot *sl = &s->slots[slot];
    struct tess_args *a = c->args;
    char *msg = a->msg;
    size_t mlen = a->msglen;
    if (sl->pid == 0 && spawn_executor(s, slot, msg, mlen) < 0) {
        r->state = SANDBOX_ERROR;
        return -1;
    }
    struct ctl *ctl = (struct ctl *)(void *)sl->base;
    struct wire_arg *w = (struct wire_arg *)(void *)(sl->base + CTL_SIZE);
    int bad = 0;
    for (int i = 0; i < a->n; i++) {
        const struct tess_arg *x = &a->a[i];
        memset(&w[i], 0, sizeof(w[i]));
        w[i].kind = x->kind;
        w[i].dir = x->dir;
        w[i].type = x->type;
        w[i].rank = x->rank;
        w[i].start = off_of(sl, x->start, &bad);
        w[i].count = off_of(sl, x->count, &bad);
        w[i].buf = off_of(sl, x->buf, &bad);
        w[i].path = off_of(sl, x->path, &bad);
        if (x->kind == TESS_P_INT)
            w[i].i = x->value.i;
        else if (x->kind == TESS_P_DOUBLE)
            w[i].d = x->value.d;
        else if (x->kind == TESS_P_STRING)
            w[i].str = off_of(sl, x->value.s, &bad);
    }
    ctl->msg_off = off_of(sl, msg, &bad);
    if (bad || strlen(c->kernel) >= sizeof(ctl->kernel)) {
        snprintf(msg, mlen, "internal error: argument outside the arena");
        r->state = SANDBOX_ERROR;
        return -1;
    }
    ctl->msg_len = mlen;
    ctl->args_off = CTL_SIZE;
    ctl->nargs = (uint32_t)a->n;
    ctl->task_id = a->task_id;
    int64_t mem = c->memory_mb > 0 ? c->memory_mb : s->memory_mb;
    ctl->mem_limit = mem > 0 ? mem << 20 : 0;
    ctl->arena_size = sl->size;
    snprintf(ctl->kernel, sizeof(ctl->kernel), "%s", c->kernel);
    ctl->fn = 0;
    if (c->fn)
        memcpy(&ctl->fn, &c->fn, sizeof(c->fn));
    ctl->rc = 0;
    ctl->unknown = 0;
    struct stat st;
    off_t log_from = sl->log_fd >= 0 && fstat(sl->log_fd, &st) == 0 ? st.st_size
                                                                   : 0;

    long t0 = clock_mono_ns();
    uint32_t seq = ++sl->seq;
    atomic_store(&ctl->req_seq, seq);
    if (atomic_load(&ctl->exec_sleeping)) {
        ssize_t n = write(sl->cmd_wr, "r", 1);
        (void)n; /* EAGAIN: wake-ups are pending anyway */
    }
    long deadline = c->timeout_ms ? t0 + (long)c->timeout_ms * 1000000L : 0;
    int died = 0, timed_out = 0;
    while (atomic_load(&ctl->done_seq) != seq && clock_mono_ns() - t0 < s->spin_ns)
        sched_yield();
    while (atomic_load(&ctl->done_seq) != seq) {
        atomic_store(&ctl->owner_sleeping, 1);
        if (atomic_load(&ctl->done_seq) == seq) {
            atomic_store(&ctl->owner_sleeping, 0);
            break;
        }
        int ms = -1;
        if (deadline) {
            long left = deadline - clock_mono_ns();
            if (left <= 0) {
                atomic_store(&ctl->owner_sleeping, 0);
                timed_out = 1;
                break;
            }
            ms = (int)(left / 1000000L) + 1;
        }
        struct pollfd pf = {sl->reply_rd, POLLIN, 0};
        int pr = poll(&pf, 1, ms);
        atomic_store(&ctl->owner_sleeping, 0);
        if (pr > 0) {
            char b[64];
            ssize_t n = read(sl->reply_rd, b, sizeof(b));
            if (n == 0 && atomic_load(&ctl->done_seq) != seq) {
                died = 1;
                break;
            }
        } else if (pr < 0 && errno != EINTR) {
            died = 1;
            break;
        }
    }
    r->seconds = (double)(clock_mono_ns() - t0) * 1e-9;
    if (!died && !timed_out) {
        r->code = ctl->rc;
        if (ctl->unknown) {
            r->state = SANDBOX_ERROR;
        } else {
            r->state = ctl->rc == 0 ? SANDBOX_OK : SANDBOX_FAILED;
            if (ctl->rc != 0 && msg && !msg[0]) {
                char tail[600];
                log_tail(sl, log_from, tail, sizeof(tail));
                snprintf(msg, mlen, "kernel returned %d%s%s", (int)ctl->rc,
                         tail[0] ? "; stderr: " : "", tail);
            }
        }
        return 0;
    }
    /* The executor is gone, or must go: the zygote reaps it. */
    struct zreq rq = {timed_out ? Z_KILL : Z_REAP, sl->pid, 0};
    struct zrep rp = {0, 0, 0};
    int zr = zcall(s, &rq, NULL, 0, &rp);
    close_executor(sl);
    atomic_fetch_add(&s->crashes, 1);
    char what[160], tail[600];
    log_tail(sl, log_from, tail, sizeof(tail));
    if (timed_out) {
        r->state = SANDBOX_TIMEOUT;
        r->code = 0;
        snprintf(what, sizeof(what), "timed out after %.3g s (its limit)",
                 c->timeout_ms / 1000.0);
    } else if (zr == 0 && WIFSIGNALED(rp.status)) {
        r->state = SANDBOX_CRASHED;
        r->code = WTERMSIG(rp.status);
        snprintf(what, sizeof(what), "killed by signal %d (%s)%s", r->code,
                 strsignal(r->code),
                 r->code == SIGKILL ? ", possibly by the out-of-memory killer"
                 : (r->code == SIGSEGV || r->code == SIGBUS ||
                    r->code == SIGABRT) && c->memory_mb > 0
                     ? "; it may have exceeded its memory limit"
                     : "");
    } else if (zr == 0 && WIFEXITED(rp.status)) {
        r->state = SANDBOX_CRASHED;
        r->code = -WEXITSTATUS(rp.status);
        snprintf(what, sizeof(what), "the kernel called exit(%d)",
                 WEXITSTATUS(rp.status));
    } else {
        r->state = SANDBOX_CRASHED;
        r->code = 0;
        snprintf(what, sizeof(what), "its executor process was lost (%s)",
                 strerror(errno));
    }
    snprintf(msg, mlen, "%s%s%s", what, tail[0] ? "; stderr: " : "", tail);
    return 0;
}

int sandbox_run(sandbox_t *s, int slot, const sandbox_call_t *c,
                sandbox_result_t *r)
{
    memset(r, 0, sizeof(*r));
    if (c->isolate && s->processes)
        return run_isolated(s, slot, c, r);
    if (!c->fn) {
        r->state = SANDBOX_ERROR;
        if (c->args->msg && c->args->msglen)
            snprintf(c->args->msg, c->args->msglen, "kernel '%s' not found",
                     c->kernel);
        return -1;
    }
    long t0 = clock_mono_ns();
    r->code = c->fn(c->args);
    r->seconds = (double)(clock_mono_ns() - t0) * 1e-9;
    r->state = r->code == 0 ? SANDBOX_OK : SANDBOX_FAILED;
    if (r->code != 0 && c->args->msg && !c->args->msg[0])
        snprintf(c->args->msg, c->args->msglen, "kernel returned %d",
                 (int)r->code);
    return 0;
}

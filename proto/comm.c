/* comm.c - MPI_Isend with owned buffers, non-blocking receives. */
#include "config.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "base/clock.h"
#include "proto/backoff.h"
#include "proto/comm.h"
#include "proto/proto.h"

struct pending {
    struct pending *next;
    uint8_t *data;
    MPI_Request req;
};

struct comm {
    MPI_Comm comm;
    struct pending *head;
    int n;
    uint8_t *in;
    size_t incap;
};

comm_t *comm_create(MPI_Comm mpicomm)
{
    comm_t *c = calloc(1, sizeof(*c));
    if (c)
        c->comm = mpicomm;
    return c;
}

void comm_destroy(comm_t *c, double timeout_s)
{
    int saved = errno;
    if (!c)
        return;
    if (comm_drain(c, timeout_s > 0 ? timeout_s : 10) < 0) {
        /* a peer that stopped receiving: abandon the sends (the buffers
         * must stay allocated while MPI may still read them) */
        for (struct pending *p = c->head; p; p = p->next)
            MPI_Request_free(&p->req);
        c->head = NULL;
    }
    free(c->in);
    free(c);
    errno = saved;
}

int comm_error(tess_error_t *err, int rc, const char *what)
{
    char s[MPI_MAX_ERROR_STRING];
    int n = 0;
    if (MPI_Error_string(rc, s, &n) != MPI_SUCCESS)
        snprintf(s, sizeof(s), "error %d", rc);
    errno = EIO;
    return tess_errprintf(err, "MPI %s: %s", what, s);
}

int comm_send(comm_t *c, pbuf_t *b, int dest, tess_error_t *err)
{
    if (b->err) {
        errno = ENOMEM;
        return tess_errprintf(err, "out of memory building a message");
    }
    struct pending *p = malloc(sizeof(*p));
    if (!p) {
        errno = ENOMEM;
        return tess_errprintf(err, "out of memory");
    }
    p->data = b->data;
    int rc = MPI_Isend(p->data, (int)b->len, MPI_BYTE, dest, PROTO_TAG,
                       c->comm, &p->req);
    pbuf_init(b); /* the buffer is the comm's now */
    if (rc != MPI_SUCCESS) {
        char what[48];
        snprintf(what, sizeof(what), "send to rank %d", dest);
        free(p->data);
        free(p);
        return comm_error(err, rc, what);
    }
    p->next = c->head;
    c->head = p;
    c->n++;
    return 0;
}

int comm_progress(comm_t *c)
{
    struct pending **pp = &c->head;
    while (*pp) {
        struct pending *p = *pp;
        int done = 0;
        MPI_Test(&p->req, &done, MPI_STATUS_IGNORE);
        if (done) {
            *pp = p->next;
            free(p->data);
            free(p);
            c->n--;
        } else {
            pp = &p->next;
        }
    }
    return c->n;
}

int comm_drain(comm_t *c, double timeout_s)
{
    backoff_t b;
    double t0 = clock_mono_s();
    backoff_reset(&b);
    while (comm_progress(c) > 0) {
        if (timeout_s > 0 && clock_mono_s() - t0 > timeout_s) {
            errno = ETIMEDOUT;
            return -1;
        }
        backoff_pause(&b);
    }
    return 0;
}

int comm_recv(comm_t *c, int from, int *src, const uint8_t **buf,
              size_t *len, tess_error_t *err)
{
    int flag = 0, count = 0;
    MPI_Status st;
    comm_progress(c);
    int rc = MPI_Iprobe(from, PROTO_TAG, c->comm, &flag, &st);
    /* OpenMPI's probe matches before it runs progress: a message that
     * arrived while this rank slept is only pulled in by the first probe,
     * and a second one finds it. Without it every hop after a pause
     * costs one more pause (tens of ms after long tasks; bench/profile.py) */
    if (rc == MPI_SUCCESS && !flag)
        rc = MPI_Iprobe(from, PROTO_TAG, c->comm, &flag, &st);
    if (rc != MPI_SUCCESS)
        return comm_error(err, rc, "probe");
    if (!flag)
        return 0;
    MPI_Get_count(&st, MPI_BYTE, &count);
    if ((size_t)count > c->incap) {
        uint8_t *n = realloc(c->in, (size_t)count);
        if (!n) {
            errno = ENOMEM;
            return tess_errprintf(err, "out of memory receiving %d bytes",
                                  count);
        }
        c->in = n;
        c->incap = (size_t)count;
    }
    rc = MPI_Recv(c->in, count, MPI_BYTE, st.MPI_SOURCE, PROTO_TAG, c->comm,
                  MPI_STATUS_IGNORE);
    if (rc != MPI_SUCCESS)
        return comm_error(err, rc, "receive");
    *src = st.MPI_SOURCE;
    *buf = c->in;
    *len = (size_t)count;
    return 1;
}

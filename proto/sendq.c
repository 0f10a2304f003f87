/* sendq.c - MPI_Isend with owned buffers, completed by polling. */
#include "config.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "proto/backoff.h"
#include "proto/proto.h"
#include "proto/sendq.h"

struct pending {
    struct pending *next;
    uint8_t *data;
    MPI_Request req;
};

struct sendq {
    MPI_Comm comm;
    struct pending *head;
    int n;
};

sendq_t *sendq_create(MPI_Comm comm)
{
    sendq_t *q = calloc(1, sizeof(*q));
    if (q)
        q->comm = comm;
    return q;
}

void sendq_destroy(sendq_t *q)
{
    if (!q)
        return;
    sendq_drain(q);
    free(q);
}

int sendq_post(sendq_t *q, pbuf_t *b, int dest, char *err, size_t errlen)
{
    struct pending *p = malloc(sizeof(*p));
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    p->data = b->data;
    int rc = MPI_Isend(p->data, (int)b->len, MPI_BYTE, dest, PROTO_TAG, q->comm,
                       &p->req);
    pbuf_init(b); /* the buffer is the queue's now */
    if (rc != MPI_SUCCESS) {
        char s[MPI_MAX_ERROR_STRING];
        int n = 0;
        MPI_Error_string(rc, s, &n);
        snprintf(err, errlen, "MPI send to rank %d: %s", dest, s);
        free(p->data);
        free(p);
        return -1;
    }
    p->next = q->head;
    q->head = p;
    q->n++;
    return 0;
}

int sendq_progress(sendq_t *q)
{
    struct pending **pp = &q->head;
    while (*pp) {
        struct pending *p = *pp;
        int done = 0;
        MPI_Test(&p->req, &done, MPI_STATUS_IGNORE);
        if (done) {
            *pp = p->next;
            free(p->data);
            free(p);
            q->n--;
        } else {
            pp = &p->next;
        }
    }
    return q->n;
}

void sendq_drain(sendq_t *q)
{
    backoff_t b;
    backoff_reset(&b);
    while (sendq_progress(q) > 0)
        backoff_pause(&b);
}

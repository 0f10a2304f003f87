/*
 * dot.h - the task graph as Graphviz dot, written while it is built.
 *
 * Streaming (a line per task and per edge) because the engine frees task
 * records as they complete: a graph of 10^6 tasks is exported without
 * keeping it. Nodes are tasks ("id: kernel"), edges carry the data version
 * they pass ("name v3"), like COMPSs' -g output.
 */
#ifndef TESS_ENGINE_DOT_H
#define TESS_ENGINE_DOT_H

#include <stdint.h>

#include "tessera.h"

typedef struct dot dot_t;

/* Open path for writing. NULL with err on failure. */
dot_t *dot_open(const char *path, tess_error_t *err);
void dot_task(dot_t *g, uint64_t id, const char *kernel, int priority);
void dot_edge(dot_t *g, uint64_t from, uint64_t to, const char *data,
              uint32_t version);
/* Finish the graph and close. Returns -1 if any write failed. Accepts NULL. */
int dot_close(dot_t *g);

#endif

/*
 * persist.h - persistent objects of the store as data of a run (tessera.h's
 * tess_persist_*, tess_block*, tess_blocks*; docs/store.md, "Blocks in
 * runs").
 *
 * An object opened or created in a run is an array of its whole shape;
 * each of its blocks is a version of the block's box of that array:
 *   - a block of an object opened for reading becomes, when the run first
 *     meets it (an iteration yields it, or the program names it), a
 *     complete version without a writer (dag_put) whose payload is the
 *     block's own file, linked into the run directory as the version's
 *     fragment (RUN_DIR/frags/d<id>/v<n>.h5): workers read it where it
 *     is, with the executors' ordinary fragment reads;
 *   - a block of an object the run creates is declared by the program
 *     (id and box) and written once by a task (OUT); when that task ends
 *     its output version is committed to the store: its fragment file is
 *     hard-linked as the block (no copy), a value held inline is written
 *     by the store (tess_store_put). The run completes its objects when
 *     the program says so or when it ends successfully.
 * Waiting for blocks of an object under construction runs the engine
 * (run_progress) between checks, so submitted tasks keep running.
 *
 * Resume: a resumed run takes its objects over again (inrun_adopt); a
 * replayed task's block is committed only if the store lacks it; the
 * order in which blocks of objects under construction became known is
 * kept in RUN_DIR/store.log and followed again, so the resumed program
 * submits the same tasks in the same order.
 *
 * Engine thread only, like the run.
 */
#ifndef TESS_RUNTIME_PERSIST_H
#define TESS_RUNTIME_PERSIST_H

#include <stddef.h>

#include "engine/dag.h"
#include "tessera.h"

typedef struct persist persist_t;

/* Free the persistent objects' state, closing their handles (objects not
 * completed stay as they are: incomplete once the process ends). Accepts
 * NULL; preserves errno. */
void persist_destroy(persist_t *p);

/* Before a task is submitted: its writes of persistent arrays must be
 * whole declared blocks of objects the run creates, not written before;
 * its reads must lie in blocks the run knows. -1 with err. */
int persist_check(persist_t *p, int nparams, const tess_param_t *params,
                  tess_error_t *err);

/* Task t was submitted: the blocks it writes are now being written. */
void persist_submitted(persist_t *p, const dag_task_t *t);

/* Task t ended successfully (replayed != 0: replayed from the journal, or
 * its failure was ignored: its outputs read as zeros): commit the blocks
 * it wrote, unless the store has them already (a commit repeated after a
 * crash). -1 with the reason in @p msg (a failed commit fails the task). */
int persist_commit(persist_t *p, dag_task_t *t, int replayed, char *msg,
                   size_t len);

/* The end of the run: complete the objects it created and has not
 * completed if @p ok (the run succeeded and its program met no error),
 * then close every handle (objects not completed become incomplete, and
 * a resumed run continues them). -1 with err if an object was left
 * incomplete or a completion failed. */
int persist_finish(persist_t *p, int ok, tess_error_t *err);

#endif

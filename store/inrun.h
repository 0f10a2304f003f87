/*
 * inrun.h - what a run needs from the store beyond tessera.h's
 * tess_store_* (runtime/persist.c, docs/store.md "Blocks in runs"):
 * committing a block that already exists as a fragment file of the run
 * (a hard link, no copy), taking an object over again as its producer
 * when its run resumes, and non-blocking steps of the waits, so that a
 * run keeps executing tasks while it waits for a block.
 *
 * Errors as tessera.h's store functions: -1 with errno and @p err naming
 * the store, the object and the block.
 */
#ifndef TESS_STORE_INRUN_H
#define TESS_STORE_INRUN_H

#include <stddef.h>
#include <stdint.h>

#include "tessera.h"

/* Commit the fragment file @p path (an io/h5frag file: complete, never
 * replaced, of the object's element type and rank, its box inside the
 * object's shape) as block @p block of @p obj, without copying its
 * elements: the file is synced (unless the object is TESS_STORE_NOSYNC),
 * given the group of the object's blocks directory if that one is setgid,
 * and link(2)ed as the block. Where the two directories are on different
 * file systems (EXDEV) or hard links are missing, the elements are copied
 * (tess_store_put). The run's name of the file stays its own. EEXIST if
 * the block exists (nothing changed), EROFS if the object is complete,
 * ESTALE if it was deleted, EINVAL if the file does not fit the object. */
int inrun_commit_file(tess_store_obj_t *obj, int64_t block, const char *path,
                      tess_error_t *err);

/* 1 if block @p block of @p obj exists with the box @p start/@p count
 * (rank entries), 0 if it does not exist, -1 with errno EEXIST if it
 * exists with another box, or another error. For commits repeated after a
 * crash: a block already there is the one committed before. */
int inrun_block_matches(tess_store_obj_t *obj, int64_t block,
                        const int64_t *start, const int64_t *count,
                        tess_error_t *err);

/* Open the object @p name of @p st as its producer again: it must have
 * been created by the run @p run (its meta says so) and have no live
 * producer; the producer lock is taken and the meta names this process.
 * A complete object is opened as it is (nothing more can be committed).
 * EEXIST (with who made it) if another run made it, EBUSY if its
 * producer is alive, ENOENT if there is no such object. Caller closes. */
tess_store_obj_t *inrun_adopt(tess_store_t *st, const char *name,
                              const char *run, tess_error_t *err);

/* 1 if this handle is the object's producer (it created or adopted it). */
int inrun_is_producer(const tess_store_obj_t *obj);

/* One step of tess_store_next() on an iteration made with
 * TESS_STORE_WAIT, without pausing: 1 with the next block in *@p blk, 0
 * at the end (the object is complete and every block was yielded), 2 if
 * no block is there yet, or -1 with errno (EPIPE: its producer ended
 * without completing it; ESTALE: deleted; ETIMEDOUT: no new block for
 * the iteration's time-out). */
int inrun_next(tess_store_iter_t *it, tess_store_block_t *blk,
               tess_error_t *err);

/* One step of tess_store_wait() for block @p block, without pausing:
 * 1 with the block in *@p blk once it is committed, 0 if not yet, -1
 * with errno (ENOENT: the object is complete without it; EPIPE, ESTALE
 * as tess_store_wait). */
int inrun_poll_block(tess_store_obj_t *obj, int64_t block,
                     tess_store_block_t *blk, tess_error_t *err);

/* The file of block @p block of @p obj into @p buf (it exists once the
 * block is committed, and is never replaced). -1, ENAMETOOLONG. */
int inrun_block_path(const tess_store_obj_t *obj, int64_t block, char *buf,
                     size_t len);

/* The directories whose changes a waiter on @p obj watches (the object's
 * and its blocks directory) into @p dirs (2 entries, pointing into
 * @p buf, 2 * PATH_MAX bytes). Returns 2. */
int inrun_watch_dirs(const tess_store_obj_t *obj, const char **dirs,
                     char *buf);

#endif

/*
 * store_private.h - the store's handles, shared by the store/ modules
 * that implement tessera.h's tess_store_* functions (store.c: stores,
 * objects, commits, deletion; iter.c: blocks, waits, reads).
 *
 * On-disk layout (docs/store.md):
 *   STORE/NAME -> .objects/ID     the name: a symbolic link, created with
 *                                 symlink(2) (exactly one creator wins),
 *                                 removed first on deletion
 *   STORE/.objects/ID/            one incarnation of an object (ID: 32
 *                                 random hex digits): meta, lock, index,
 *                                 blocks/ (meta.h, plock.h, blocks.h)
 *   STORE/.del.ID.RANDOM          a name being deleted (renamed away)
 */
#ifndef TESS_STORE_STORE_PRIVATE_H
#define TESS_STORE_STORE_PRIVATE_H

#include <stdbool.h>

#include "store/blocks.h"
#include "store/meta.h"
#include "tessera.h"

#define STORE_OBJECTS ".objects"
#define STORE_DELETING ".del."
#define STORE_ID_LEN 32

struct tess_store {
    char *dir;      /* absolute */
    char *objects;  /* dir/.objects */
    char host[256]; /* this node, for liveness without locks */
};

struct tess_store_obj {
    tess_store_t *store;     /* borrowed */
    char name[TESS_STORE_NAME_MAX + 1];
    char id[STORE_ID_LEN + 1];
    char *dir;               /* STORE/.objects/ID */
    int lock_fd;             /* >= 0: this handle is the producer */
    meta_t meta;             /* as last read */
    blocks_vec_t mine;       /* blocks committed through this handle */
    blocks_vec_t index;      /* complete objects: the final block list */
    bool index_loaded;
};

/* The id the name @p name of @p st refers to, into @p id (33 bytes).
 * -1 with errno ENOENT (no such name), EPROTO (not a Tessera object
 * link), others as readlink(2). */
int store_name_target(const tess_store_t *st, const char *name, char *id);

/* true if @p obj's name no longer refers to its incarnation (deleted,
 * maybe re-created). */
bool store_obj_deleted(const tess_store_obj_t *obj);

/* Re-read @p obj's meta. -1 with errno ESTALE (and err) if the object
 * was deleted, other errors as meta_read. */
int store_obj_refresh(tess_store_obj_t *obj, tess_error_t *err);

/* Is the producer of @p obj alive? 1, 0, or -1 unknown (plock.h; same
 * node without locks: the creator's pid). */
int store_obj_producer_alive(const tess_store_obj_t *obj);

/* Load the index of a complete object (once). -1, errno, err. */
int store_obj_load_index(tess_store_obj_t *obj, tess_error_t *err);

/* Before block @p block, box @p start/@p count, of @p obj is written:
 * the id and box are valid and inside the object's shape, the object is
 * not complete (EROFS); its file's path into @p path (@p len bytes). -1
 * with errno (EINVAL, EROFS, ESTALE) and err. */
int store_block_admit(tess_store_obj_t *obj, int64_t block,
                      const int64_t *start, const int64_t *count, char *path,
                      size_t len, tess_error_t *err);

/* Block @p item (id, start, count; offset) now exists at @p path: if the
 * object was deleted meanwhile it is taken back (ESTALE), else recorded
 * among the handle's commits (rank and bytes filled in). -1, errno, err. */
int store_block_landed(tess_store_obj_t *obj, const char *path,
                       blocks_item_t *item, tess_error_t *err);

/* Describe block @p id of @p obj from its file's header (type and rank
 * checked against the object's), with the data offset. -1, errno, err. */
int store_block_header(tess_store_obj_t *obj, int64_t id,
                       blocks_item_t *item, tess_error_t *err);

/* The error for a failure of @p obj that deletion may explain: ESTALE
 * with "was deleted" if it was, else errno @p e with @p what. Returns -1. */
int store_obj_fail(const tess_store_obj_t *obj, int e, tess_error_t *err,
                   const char *what);

/* One step of tess_store_next() (iter.c): 1 a block, 0 the end, 2 no
 * block yet (the caller pauses), -1 error. *@p alive: the producer's
 * liveness as last tested (-1 if not tested). */
int iter_step(tess_store_iter_t *it, tess_store_block_t *blk, int *alive,
              tess_error_t *err);
/* iter_step() that also reports the iteration's time-out (ETIMEDOUT). */
int iter_step_nowait(tess_store_iter_t *it, tess_store_block_t *blk,
                     tess_error_t *err);
/* One step of tess_store_wait(): 1 committed, 0 not yet, -1 error. */
int iter_wait_step(tess_store_obj_t *obj, int64_t block, tess_error_t *err);

/* "store DIR: object NAME" for messages, into @p buf. Returns @p buf. */
const char *store_obj_label(const tess_store_obj_t *obj, char *buf,
                            size_t len);

#endif

/*
 * blocks.h - the blocks of a store object on disk.
 *
 * Block files: OBJECT_DIR/blocks/b<id>.h5, id in decimal without leading
 * zeros; each one an io/h5frag fragment file (dataset /frag, attributes
 * start and tess_format_version: the block's elements and its position
 * in the whole array), committed with H5FRAG_NOREPLACE, so a block is
 * written once and never replaced. Anything else in blocks/ (a writer's
 * b<id>.h5.tmp.<pid>.<n>) is not a block.
 *
 * Index: OBJECT_DIR/index, written when the object is completed: the
 * final block list, so that readers of a complete object never list the
 * directory or open block files to learn shapes. Text:
 *   tessera-store-index 1 RANK NBLOCKS
 *   ID START_0 .. START_R-1 COUNT_0 .. COUNT_R-1 OFFSET
 * one line per block, ascending ids; OFFSET: where the block's elements
 * lie in its file (-1: unknown), so complete objects are read without
 * HDF5 (blocks are never replaced, so it stays true).
 */
#ifndef TESS_STORE_BLOCKS_H
#define TESS_STORE_BLOCKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tessera.h"

/* A block and where its elements lie in its file (the data offset of
 * h5frag_write3/h5frag_info2, read without HDF5 by h5frag_read_at), -1
 * if unknown. */
typedef struct blocks_item {
    tess_store_block_t blk;
    int64_t offset;
} blocks_item_t;

/* A growable array of blocks. Zero-initialise; free with blocks_vec_free. */
typedef struct blocks_vec {
    blocks_item_t *v;
    size_t n, cap;
} blocks_vec_t;

int blocks_vec_push(blocks_vec_t *vec, const blocks_item_t *item);
void blocks_vec_free(blocks_vec_t *vec);
/* Sort by id. */
void blocks_vec_sort(blocks_vec_t *vec);
/* The block with id @p id of a sorted vector, NULL if none. */
const blocks_item_t *blocks_vec_find(const blocks_vec_t *vec, int64_t id);

/* Path of block @p id of the object in @p objdir. -1, ENAMETOOLONG. */
int blocks_path(char *buf, size_t len, const char *objdir, int64_t id);

/* The block id a directory entry names ("b17.h5" -> 17), -1 if it names
 * no block. */
int64_t blocks_parse_name(const char *name);

/* The ids of the blocks in OBJECT_DIR/blocks now, ascending, into @p ids
 * (malloc'd, caller frees; *@p n of them). -1, errno (ENOENT: no blocks
 * directory). */
int blocks_list_ids(const char *objdir, int64_t **ids, size_t *n);

/* Open and close OBJECT_DIR/blocks: an NFS client revalidates a
 * directory it opens (close-to-open), so a lookup of a block another node
 * committed right after this sees it rather than a cached "no such
 * file". Costs a system call locally. */
void blocks_revalidate(const char *objdir);

/* The number of block files in OBJECT_DIR/blocks now. -1, errno. */
int64_t blocks_count(const char *objdir);

/* Write the index of the sorted @p vec (blocks of rank @p rank) into
 * OBJECT_DIR/index atomically. -1, errno. */
int blocks_index_write(const char *objdir, int rank, const blocks_vec_t *vec,
                       bool sync);

/* Read OBJECT_DIR/index into @p vec (emptied first): rank and count must
 * be @p rank and @p nblocks; bytes are computed with @p elsize. -1, errno
 * (EPROTO if malformed), err. */
int blocks_index_read(const char *objdir, int rank, size_t elsize,
                      int64_t nblocks, blocks_vec_t *vec, tess_error_t *err);

/* Remove leftover temporaries (b*.h5.tmp.*) of OBJECT_DIR/blocks. Returns
 * the number removed, or -1 with errno. */
int blocks_remove_temps(const char *objdir);

#endif

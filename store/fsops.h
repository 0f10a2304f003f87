/*
 * fsops.h - the file-system operations the store builds on, each with the
 * guarantee it relies on (docs/store.md, "File-system guarantees"):
 * directories shared with the store's group, small files replaced
 * atomically, directory syncs, removal of a tree that other processes may
 * still be reading.
 */
#ifndef TESS_STORE_FSOPS_H
#define TESS_STORE_FSOPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

/* mkdir(2) @p path with mode 0777 less the umask, like every directory of
 * the store, then make its group that of @p parent_dir's and set its
 * setgid bit when @p parent_dir has the setgid bit (Linux does this
 * itself; the explicit fix covers file systems that do not). Returns 0,
 * or -1 with errno (EEXIST if it exists). */
int fsops_mkdir(const char *path, const char *parent_dir);

/* mkdir -p @p path (each level as fsops_mkdir, inheriting from the
 * level above). 0 if it exists already. -1, errno. */
int fsops_mkdir_p(const char *path);

/* Write @p len bytes of @p data as the file @p dir/@p name, replacing it
 * atomically: a temporary beside it (O_EXCL, mode 0666 less the umask),
 * write, fsync unless !@p sync, rename(2). On failure the temporary is
 * removed and the old file, if any, is untouched. -1, errno. */
int fsops_write_file(const char *dir, const char *name, const void *data,
                     size_t len, bool sync);

/* A small text file composed in memory, then written as by
 * fsops_write_file(): fsops_text_open() gives the stream to print to,
 * fsops_text_commit() closes it, writes the file and frees the text
 * (whatever the outcome). */
typedef struct fsops_text {
    FILE *f;
    char *text;
    size_t len;
} fsops_text_t;

FILE *fsops_text_open(fsops_text_t *t);
int fsops_text_commit(fsops_text_t *t, const char *dir, const char *name,
                      bool sync);

/* Read the whole file @p path (at most @p max bytes) into a malloc'd,
 * NUL-terminated buffer (*@p out, caller frees; *@p len its length).
 * -1, errno (EFBIG if longer than @p max). */
int fsops_read_file(const char *path, size_t max, char **out, size_t *len);

/* fsync(2) the directory @p dir (its entries survive an OS crash). File
 * systems that cannot sync a directory (EINVAL) count as success. */
int fsops_sync_dir(const char *dir);

/* rm -rf @p path without following symbolic links. Entries that vanish
 * meanwhile (another remover) are not errors; a directory that gains
 * entries while it is emptied (a writer that resolved it earlier) is
 * emptied again a few times. Returns 0, or -1 with errno and the path
 * that could not be removed in @p failed (of @p len bytes). */
int fsops_remove_tree(const char *path, char *failed, size_t len);

#endif

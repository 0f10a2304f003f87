/*
 * filever.h - versions of files (FILE_IN/OUT/INOUT parameters).
 *
 * Version 0 of a file is the user's file. A task writing a file writes a
 * new version under the run's work directory (renaming, as for arrays), an
 * INOUT task first gets a copy of the version it reads; at the end (or at
 * wait_on_file) the last version is copied back onto the user's path,
 * atomically. Used by every executor, on the engine or on workers.
 */
#ifndef TESS_IO_FILEVER_H
#define TESS_IO_FILEVER_H

#include <stddef.h>
#include <stdint.h>

#include "tessera.h"

/* "WORKDIR/d<id>.v<version>.<basename of user_path>" into a new string
 * (caller frees), NULL/ENOMEM. */
char *filever_path(const char *workdir, uint64_t data_id, uint32_t version,
                   const char *user_path);

/* Copy file from -> to (created or truncated). -1 with errno and err
 * naming the file that could not be read or written. */
int filever_copy(const char *from, const char *to, tess_error_t *err);

/* Copy from onto to through a temporary and rename(2): readers of `to`
 * see the old or the new content, never a part. On failure `to` is
 * untouched and the temporary removed. */
int filever_publish(const char *from, const char *to, tess_error_t *err);

#endif

/*
 * filever.h - versions of files (FILE_IN/OUT/INOUT parameters).
 *
 * Version 0 of a file is the user's file. A task writing a file writes a
 * new version under the run's work directory (renaming, as for arrays), an
 * INOUT task first gets a copy of the version it reads; at the end (or at
 * wait_on_file) the last version is copied back onto the user's path,
 * atomically. Used by every executor, on the engine or on workers.
 *
 * Errors: -1 with errno set (that of the failing system call) and @p err
 * filled with a message naming the file and the operation.
 */
#ifndef TESS_IO_FILEVER_H
#define TESS_IO_FILEVER_H

#include <stdint.h>

#include "tessera.h"

/* "WORKDIR/d<id>.v<version>.<basename of user_path>" into a new string
 * (caller frees), NULL/ENOMEM. */
char *filever_path(const char *workdir, uint64_t data_id, uint32_t version,
                   const char *user_path);

/* Copy file @p from to @p to (created mode 0644, or truncated). On failure
 * @p to may be left partly written. */
int filever_copy(const char *from, const char *to, tess_error_t *err);

/* Copy @p from onto @p to through a temporary beside it
 * ("TO.tess-tmp.<pid>") and rename(2): readers of @p to see the old or the
 * new content, never a part. On failure @p to is untouched and the
 * temporary removed. A temporary of a dead process of this host (killed
 * while publishing) is removed first. */
int filever_publish(const char *from, const char *to, tess_error_t *err);

#endif

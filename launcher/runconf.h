/*
 * runconf.h - RUN_DIR/run.conf: what a run is and how it was started.
 *
 * Identity, by content: the workflow file's SHA-256, the directory it was
 * started in (relative file paths), every parameter's final value, every
 * input file (path and SHA-256), every kernel library (path and SHA-256). A run is resumed only when all of them are the same
 * (not when dates are); the first difference is the reason a resume is
 * refused. Launch: the workflow path, the --param overrides as given,
 * workers, slots, kernel path, so `tessera resume RUN_DIR` needs nothing
 * else. Text, "key: value" lines, format 1.
 */
#ifndef TESS_LAUNCHER_RUNCONF_H
#define TESS_LAUNCHER_RUNCONF_H

#include <stddef.h>

#include "launcher/cmd.h"
#include "tessera.h"
#include "workflow/wf.h"

/* The identity lines of wf (validated with inputs and kernels) into a new
 * string (caller frees), NULL with err. */
char *runconf_identity(const wf_t *wf, tess_error_t *err);

/* Write RUN_DIR/run.conf for wf started with options o (atomically). */
int runconf_write(const char *run_dir, const wf_t *wf, const wfopts_t *o,
                  tess_error_t *err);

/* Compare the identity of wf with the one of RUN_DIR/run.conf: 0 the
 * same, 1 different (why says what changed, naming it), -1 no readable
 * run.conf (why says so). */
int runconf_compare(const char *run_dir, const wf_t *wf, tess_error_t *why);

/* How the run of RUN_DIR was started, as `tessera run` arguments:
 * argv[0] = "run", the workflow, its --param overrides, -n, --slots,
 * --kernel-path, appended to an argument vector of at most max entries.
 * Returns the number added, -1 with err. The strings are allocated; free
 * them with runconf_free_args(). */
int runconf_args(const char *run_dir, char **argv, int max, tess_error_t *err);
void runconf_free_args(char **argv, int n);

/* The directory the run of RUN_DIR was started in (files the workflow
 * names by relative paths are relative to it), into buf. -1/ENOENT if
 * run.conf does not say. */
int runconf_cwd(const char *run_dir, char *buf, size_t len);

/* "lib path sha256" lines of the kernel libraries of wf (provenance),
 * into a new string; NULL if out of memory. */
char *runconf_kernels(const wf_t *wf);

#endif

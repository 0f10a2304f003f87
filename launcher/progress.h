/*
 * progress.h - the live progress of a run, shown by the `tessera run`
 * launcher while it waits for the job (mpirun, srun): it reads
 * RUN_DIR/status.txt (rewritten by the engine about once a second) and
 * shows tasks done / running / ready / waiting / failed, tasks per
 * second, elapsed and estimated remaining time.
 *
 * Modes: on a terminal, one status line on the last row of the screen,
 * redrawn in place, with the job's own output scrolling above it (a VT100
 * scroll region; a plain "\r" redraw where TERM is dumb or the size is
 * unknown); elsewhere (a batch log such as slurm-JOB.out) one plain line
 * every interval seconds; nothing at --quiet.
 *
 * No busy loop: progress_start() runs a thread that wakes every 0.5 s on
 * a timed condition wait (it blocks all signals, so they reach the
 * caller's threads). A caller that prefers its own wait loop uses
 * progress_create() and calls progress_tick() instead.
 *
 * The scroll region must be undone before the process exits: by
 * progress_stop(), or, on a signal, by progress_restore_terminal() (async-
 * signal-safe). progress_start() installs handlers doing that for SIGINT,
 * SIGTERM and SIGHUP where their disposition is the default (then re-
 * raises the signal); progress_stop() puts the previous ones back. A
 * caller with its own handlers calls progress_restore_terminal() in them.
 */
#ifndef TESS_LAUNCHER_PROGRESS_H
#define TESS_LAUNCHER_PROGRESS_H

#include <stdio.h>

typedef enum progress_mode {
    PROGRESS_NONE,
    PROGRESS_LIVE,  /* a line redrawn in place (a terminal) */
    PROGRESS_LOG,   /* a line every interval seconds */
} progress_mode_t;

typedef struct progress progress_t;

/* The mode for @p out given the log level and interval in force
 * (launcher/logopts.h): NONE below the info level or for a log interval
 * of 0, LIVE if @p out is a terminal, else LOG. */
progress_mode_t progress_mode_for(FILE *out);

/* Follow RUN_DIR/status.txt (@p run_dir copied) onto @p out (borrowed
 * until destroy), logging every @p interval_s seconds in LOG mode.
 * NULL with errno ENOMEM. Draws nothing until progress_tick(). */
progress_t *progress_create(const char *run_dir, progress_mode_t mode,
                            FILE *out, double interval_s);

/* Read the status and draw if due. Returns the milliseconds until the
 * next tick is due (about 500). */
int progress_tick(progress_t *p);

/* progress_create() with the mode of progress_mode_for(out) and the
 * logopts interval, then a thread ticking it. NULL (nothing shown, errno
 * set) if it cannot start; a NONE mode gives a handle that shows
 * nothing. */
progress_t *progress_start(const char *run_dir, FILE *out);

/* Stop the thread if any, erase the live line and give the terminal its
 * whole screen back. Accepts NULL, preserves errno. */
void progress_stop(progress_t *p);

/* Undo the scroll region of the live line, if one is set: only write(2),
 * for signal handlers. */
void progress_restore_terminal(void);

/* The status line for RUN_DIR/status.txt of @p run_dir (or "starting"
 * if there is none yet), for tests and the LOG mode: "12/20 done, 2
 * running, ...". @p elapsed_s is how long the launcher has waited.
 * Returns @p buf. */
char *progress_format(char *buf, size_t len, const char *run_dir,
                      double elapsed_s);

#endif

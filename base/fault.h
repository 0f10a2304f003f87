/*
 * fault.h - a test hook: die at the Nth operation of a kind, to prove that
 * a run killed there resumes (tests/t51*.t, docs/design.md "Fault
 * injection").
 *
 * TESS_FAULT="KIND:N[,KIND:N]..." (e.g. "journal:3", "fragment:10"): the
 * Nth time this process reaches fault_hit(KIND) it returns 1, and the
 * caller does the partial part of its operation it wants to leave behind
 * and calls fault_die() (SIGKILL: no handler, no flush, no atexit). Kinds:
 * "journal" (a journal write: half the records written), "fragment" (a
 * fragment file: data written, file not closed), "results" (results.h5: a
 * dataset box written, file not closed), "publish" (a file's last version
 * copied beside its path, not renamed onto it). Without TESS_FAULT a call costs
 * a pthread_once() check. Any thread.
 */
#ifndef TESS_BASE_FAULT_H
#define TESS_BASE_FAULT_H

/* 1 if this call is the Nth of kind (TESS_FAULT), else 0. */
int fault_hit(const char *kind);

/* Kill this process at once (SIGKILL). */
_Noreturn void fault_die(void);

#endif

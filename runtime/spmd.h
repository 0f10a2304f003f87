/*
 * spmd.h - helpers shared by tess_mpi_main() and the `tessera` command.
 */
#ifndef TESS_RUNTIME_SPMD_H
#define TESS_RUNTIME_SPMD_H

#include "kernels/kreg.h"
#include "tessera.h"

/* On rank 0 of MPI_COMM_WORLD (MPI initialised): a run whose executor is
 * the other ranks (threads if there are none). cfg->run_dir NULL:
 * a new ./tessera-run.PROGRAM.TIMESTAMP.XXXXXX. */
tess_run_t *spmd_run_create(const tess_config_t *cfg, tess_error_t *err);

#endif

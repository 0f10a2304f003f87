/* param.c - builders of task parameters (tess_in(), tess_rows(), ...): the
 * form in which dag_submit() receives a call. */
#include "config.h"

#include <string.h>

#include "tessera.h"

/* A parameter of @p kind, every other field zero. */
static tess_param_t param_of(tess_param_kind_t kind)
{
    tess_param_t p;
    memset(&p, 0, sizeof(p));
    p.kind = kind;
    return p;
}

static tess_param_t data_param(tess_dir_t dir, tess_data_t data)
{
    tess_param_t p = param_of(TESS_P_DATA);
    p.dir = dir;
    p.data = data;
    return p;
}

tess_param_t tess_in(tess_data_t data)
{
    return data_param(TESS_IN, data);
}

tess_param_t tess_out(tess_data_t data)
{
    return data_param(TESS_OUT, data);
}

tess_param_t tess_inout(tess_data_t data)
{
    return data_param(TESS_INOUT, data);
}

tess_param_t tess_region(tess_dir_t dir, tess_data_t data, int rank,
                         const int64_t *start, const int64_t *count)
{
    tess_param_t p = data_param(dir, data);
    if (rank < 0 || rank > TESS_MAX_RANK)
        rank = -1; /* rejected at submission */
    p.rank = rank;
    for (int d = 0; d < rank; d++) {
        p.start[d] = start[d];
        p.count[d] = count[d];
    }
    return p;
}

/* A row range is resolved against the data's shape at submission (the
 * builder does not know the rank): marked with TESS_ROWS_RANK. */
tess_param_t tess_rows(tess_dir_t dir, tess_data_t data, int64_t row_start,
                       int64_t row_end)
{
    tess_param_t p = data_param(dir, data);
    p.rank = TESS_ROWS_RANK;
    p.start[0] = row_start;
    p.count[0] = row_end - row_start;
    return p;
}

tess_param_t tess_int(int64_t value)
{
    tess_param_t p = param_of(TESS_P_INT);
    p.value.i = value;
    return p;
}

tess_param_t tess_double(double value)
{
    tess_param_t p = param_of(TESS_P_DOUBLE);
    p.value.d = value;
    return p;
}

tess_param_t tess_string(const char *value)
{
    tess_param_t p = param_of(TESS_P_STRING);
    p.value.s = value;
    return p;
}

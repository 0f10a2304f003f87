/*
 * wf_private.h - the compiled form of a workflow, shared by workflow/wf_*.c.
 *
 * Everything lives in index-addressed vectors owned by the wf_t (no pointers
 * between records, so vectors may grow while compiling).  Strings are offsets
 * into one arena (wf->strs).  Integer values (parameters, input dims, lets,
 * loop variables) live in numbered slots of an int64 environment, so an
 * expression is a few bytecode instructions over that array.
 */
#ifndef TESS_WORKFLOW_WF_PRIVATE_H
#define TESS_WORKFLOW_WF_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "workflow/wf.h"

/* -------- expressions (wf_expr.c) -------- */

enum wf_op {
    WF_OP_CONST = 1,
    WF_OP_LOAD,
    WF_OP_NEG,
    WF_OP_ADD,
    WF_OP_SUB,
    WF_OP_MUL,
    WF_OP_DIV,
    WF_OP_MOD,
    WF_OP_MIN,
    WF_OP_MAX,
};

typedef struct wf_insn {
    uint8_t op;
    uint16_t pos; /* offset of the operator/operand in the source text */
    int64_t arg;  /* CONST: value; LOAD: slot */
} wf_insn_t;

/* When a value is known: after load (parameters), after binding the inputs
 * (their dims), or only while expanding (loop variables). */
enum wf_cls { WF_CLS_CONST = 0, WF_CLS_INPUT = 1, WF_CLS_LOOP = 2 };

#define WF_EXPR_STACK (WF_MAX_EXPR_DEPTH * 4 + 8)

typedef struct wf_expr {
    uint32_t code;  /* first instruction in the code vector */
    uint16_t ncode;
    uint16_t depth; /* stack needed */
    uint32_t src;   /* source text (strs offset) */
    wf_loc_t loc;   /* place of the first character of the text */
    uint8_t cls;
} wf_expr_t;

typedef struct wf_codevec {
    wf_insn_t *v;
    size_t n, cap;
} wf_codevec_t;

/* An error of an expression: offset in its text and the message. */
typedef struct wf_exprerr {
    size_t pos;
    char msg[256];
} wf_exprerr_t;

/* Name lookup for the compiler: fills *slot and *cls of integer symbol
 * name[0..len), or returns -1 with e->msg set. */
typedef int (*wf_resolve_f)(void *ctx, const char *name, size_t len,
                            uint32_t *slot, uint8_t *cls, wf_exprerr_t *e);

/* Compile text[0..len) (one expression, or a list separated by @p sep when
 * @p max > 1) into @p code. Writes up to @p max expressions (code, ncode,
 * depth, cls; src/loc are the caller's) and their number to *n.
 * Returns 0 or -1 with @p e filled (pos relative to text). */
int wf_expr_compile(const char *text, size_t len, char sep, size_t max,
                    wf_resolve_f resolve, void *ctx, wf_codevec_t *code,
                    wf_expr_t *out, size_t *n, wf_exprerr_t *e);

/* Evaluate @p x over @p env. Returns 0, or -1 with @p e filled (division by
 * zero, overflow). */
int wf_expr_eval(const wf_insn_t *code, const wf_expr_t *x,
                 const int64_t *env, int64_t *out, wf_exprerr_t *e);

/* Is name[0..len) a valid identifier (and not a reserved word)? */
bool wf_is_ident(const char *name, size_t len);

/* -------- symbols, data, tasks, statements -------- */

enum wf_symkind {
    WF_SYM_INT = 1,  /* int parameter */
    WF_SYM_FLOAT,    /* float parameter */
    WF_SYM_STRING,   /* string parameter */
    WF_SYM_PATH,     /* path parameter */
    WF_SYM_DIM,      /* dimension of an input */
    WF_SYM_LET,      /* <let> */
    WF_SYM_LOOP,     /* foreach variable */
};

typedef struct wf_sym {
    uint32_t name;  /* strs */
    uint8_t kind;
    uint8_t cls;
    uint32_t slot;  /* integer kinds */
    double d;       /* float parameter */
    uint32_t str;   /* string/path parameter value (strs) */
    wf_loc_t loc;
} wf_sym_t;

/* A template: text with {name} / {expression} substitutions. */
enum wf_segkind { WF_SEG_TEXT = 1, WF_SEG_STR, WF_SEG_FLOAT, WF_SEG_INT };
typedef struct wf_seg {
    uint8_t kind;
    uint32_t off, len; /* TEXT: strs range */
    uint32_t sym;      /* STR, FLOAT */
    uint32_t expr;     /* INT */
} wf_seg_t;

typedef struct wf_tpl {
    uint32_t seg, nseg;
    uint8_t cls;
    wf_loc_t loc;
} wf_tpl_t;

enum wf_datakind { WF_DATA_ARRAY = 1, WF_DATA_FILE, WF_DATA_INPUT,
                   WF_DATA_OBJECT /* <persistent>: an object of the store */ };

typedef struct wf_data {
    uint32_t name;
    uint8_t kind;
    uint8_t type;      /* tess_type_t (arrays, inputs) */
    uint8_t rank;
    bool zero;         /* <array init="zero">: readable before written */
    bool local;        /* declared in a loop body */
    uint32_t shape;    /* first of rank expressions (arrays) */
    uint32_t tpl;      /* path template (files, inputs); object name
                          template (objects) */
    uint32_t dataset;  /* strs (inputs) */
    uint32_t dim_sym;  /* first of rank symbols (inputs) */
    bool create;       /* objects: open="create" (else read) */
    bool dims;         /* objects read: dims= names bound to the shape
                          the store has (dim_sym), else shape= */
    uint32_t nblocks;  /* objects: blocks= expression + 1, 0: none */
    double wait;       /* objects read: seconds to wait (wait=) */
    wf_loc_t loc;
} wf_data_t;

enum wf_pkind { WF_P_ARRAY = 1, WF_P_FILE, WF_P_INT, WF_P_FLOAT, WF_P_STRING };

typedef struct wf_formal {
    uint32_t name;
    uint8_t kind;
    uint8_t dir;  /* tess_dir_t, data kinds */
    uint8_t elem; /* tess_type_t or 0 (any) */
    uint8_t rank; /* 0: any */
    uint32_t slot; /* int parameters the task's cpus expression uses: env
                      slot + 1 (set per call before evaluating it); 0: none */
    wf_loc_t loc;
} wf_formal_t;

/* <implementation arch= kernel=> of a task definition. */
typedef struct wf_impl {
    uint32_t arch;   /* strs */
    uint32_t kernel; /* strs: "lib:symbol" */
    uint32_t lib;    /* index in wf->libs */
    uint32_t symbol; /* strs */
    wf_loc_t loc;
} wf_impl_t;

typedef struct wf_taskdef {
    uint32_t name;
    uint32_t kernel; /* "lib:symbol" */
    uint32_t lib;    /* index in wf->libs */
    uint32_t symbol; /* strs */
    unsigned flags;
    uint32_t formal, nformal;
    uint32_t failure;  /* strs: failure policy ("fail" by default) */
    int64_t retries;
    uint8_t on_failure; /* tess_on_failure_t */
    uint8_t isolation;  /* tess_isolation_t */
    double timeout;     /* seconds, 0: none */
    uint32_t cpus;     /* expression index + 1, 0: none; class LOOP when it
                          uses the task's int parameters (per call) */
    uint32_t arch;     /* <constraints arch>: strs offset + 1, 0: any */
    int64_t memory_mb; /* <constraints memory> (MiB), 0: none */
    uint32_t impl, nimpl; /* implementations in wf->impls */
    wf_loc_t loc;
} wf_taskdef_t;

typedef struct wf_lib {
    uint32_t name; /* as written */
    char *path;    /* resolved (owned), NULL until checked */
    wf_loc_t loc;  /* first use */
} wf_lib_t;

enum wf_argkind {
    WF_A_DATA = 1, /* data, maybe a region */
    WF_A_PATH,     /* inline file path template */
    WF_A_INT,      /* expression */
    WF_A_FLOAT,    /* constant or float parameter */
    WF_A_FLOATX,   /* integer expression converted */
    WF_A_STRING,   /* template */
};
enum wf_region { WF_R_NONE = 0, WF_R_ROWS, WF_R_SLAB };

typedef struct wf_arg {
    uint8_t kind;
    uint8_t region;
    uint8_t rank;  /* WF_R_SLAB */
    uint8_t dir;
    uint32_t data; /* data index (WF_A_DATA) */
    uint32_t expr; /* first expression: INT 1, ROWS 2, SLAB 2*rank */
    uint32_t block; /* block= expression + 1 (objects), 0: none; with a
                       SLAB region it declares the block's box */
    uint32_t tpl;
    double d;
    wf_loc_t loc;
} wf_arg_t;

enum wf_stkind {
    WF_ST_LET = 1,
    WF_ST_INPUT,
    WF_ST_ARRAY,
    WF_ST_FILE,
    WF_ST_CALL,
    WF_ST_FOREACH,
    WF_ST_BARRIER,
    WF_ST_WAIT,
    WF_ST_DELETE,
    WF_ST_OBJECT,        /* <persistent>: open or create an object */
    WF_ST_BLOCKS,        /* <foreach blocks=>: over the blocks of one */
    WF_ST_COMPLETE,      /* <complete data=> */
    WF_ST_DELETE_OBJECT, /* <delete-object object=> */
};

typedef struct wf_stmt {
    uint8_t kind;
    wf_loc_t loc;
    uint32_t a;   /* LET: sym; INPUT/ARRAY/FILE/WAIT/DELETE/OBJECT/
                     COMPLETE: data; CALL: taskdef; FOREACH, BLOCKS: loop
                     symbol; DELETE_OBJECT: name template */
    uint32_t b;   /* LET: expr; CALL: first arg; FOREACH: from,to,step exprs;
                     BLOCKS: from, to exprs (as flags say) */
    uint32_t c;   /* CALL: nargs; FOREACH, BLOCKS: first local (in
                     wf->locals) */
    uint32_t d;   /* FOREACH, BLOCKS: number of locals */
    uint32_t e;   /* BLOCKS: the object's data */
    uint32_t end; /* FOREACH, BLOCKS: index of the statement after the
                     body */
    unsigned flags; /* CALL: TESS_PRIORITY; BLOCKS: WF_BLOCKS_FROM,
                       WF_BLOCKS_TO */
} wf_stmt_t;

#define WF_BLOCKS_FROM 0x1u /* ids >= from (expression b) */
#define WF_BLOCKS_TO 0x2u   /* ids < to (expression b + 1) */

typedef struct wf_result {
    uint32_t data;
    uint32_t dataset; /* strs */
    wf_loc_t loc;
} wf_result_t;

typedef struct wf_param {
    uint32_t sym;
    const char *type;
    uint32_t text; /* final value as text (strs) */
} wf_param_t;

#define WF_VEC(T) struct { T *v; size_t n, cap; }

struct wf {
    char *path; /* as given, for messages */
    char *dir;  /* absolute directory of the workflow */
    char *name;
    char *kernel_path;
    char *run_dir;
    char *store_dir;    /* wf_set_store(), NULL: not given */
    bool wait_objects;  /* wf_set_wait_objects() */
    bool objects_unbound; /* dims of an object read that may still come:
                             not bound, no dry run */

    WF_VEC(char) strs;
    wf_codevec_t code;
    WF_VEC(wf_expr_t) exprs;
    WF_VEC(wf_seg_t) segs;
    WF_VEC(wf_tpl_t) tpls;
    WF_VEC(wf_sym_t) syms;
    WF_VEC(wf_data_t) data;
    WF_VEC(wf_formal_t) formals;
    WF_VEC(wf_taskdef_t) tasks;
    WF_VEC(wf_impl_t) impls;
    tess_impl_t *impl_view; /* impls as tess_impl_t (into strs), after
                               compiling */
    WF_VEC(wf_lib_t) libs;
    WF_VEC(wf_arg_t) args;
    WF_VEC(wf_stmt_t) stmts;
    WF_VEC(uint32_t) locals;
    WF_VEC(wf_result_t) results;
    WF_VEC(wf_param_t) params;
    WF_VEC(tess_data_t) result_handles;

    uint32_t nslots;
    int64_t *env;       /* nslots: parameter and dim values */
    bool inputs_bound;
    uint64_t calls;      /* task calls of the last expansion (or dry run) */
    bool calls_inexact;  /* ... a dry run guessed block loops */
    unsigned validated; /* WF_CHECK_* done */
    char *res_archs;    /* wf_set_resources(): worker architectures */
    int res_max_cpus;   /* ... largest slot count, 0: unknown */
    int64_t res_max_memory_mb; /* ... largest memory (MiB), 0: unknown */
    bool res_set;       /* wf_set_resources() was called */
    uint64_t max_steps; /* expansion limit (0: none) */
    uint64_t steps;
};

/* Grow vector @p vec (WF_VEC) by one zeroed element; returns its index or
 * -1/ENOMEM. */
#define WF_PUSH(vec) \
    wf_vec_push((void **)&(vec).v, &(vec).n, &(vec).cap, sizeof(*(vec).v))
long wf_vec_push(void **v, size_t *n, size_t *cap, size_t size);

static inline const char *wf_str(const wf_t *wf, uint32_t off)
{
    return wf->strs.v + off;
}

/* Message helpers: "file:line:col: " + fmt. Return -1. */
int wf_err_at(const wf_t *wf, tess_error_t *err, wf_loc_t loc,
              const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Place of character @p pos of expression/template text starting at @p loc
 * (same line assumed unless the text contains newlines). */
wf_loc_t wf_loc_add(const wf_t *wf, wf_loc_t loc, uint32_t src, size_t pos);

/* Expand template @p t over @p env into buf[size]. -1 with err (naming the
 * place) on overflow of the buffer or of arithmetic. */
int wf_tpl_eval(const wf_t *wf, const wf_tpl_t *t, const int64_t *env,
                char *buf, size_t size, tess_error_t *err);

/* Join @p base and relative @p path into an allocated string (path as is if
 * absolute or base NULL). NULL/ENOMEM. */
char *wf_path_join(const char *base, const char *path);

/* -------- validation helpers (wf_validate.c) -------- */

/* The store given to check against: wf_set_store()'s, else
 * $TESSERA_STORE if set; NULL if none was given. */
const char *wf_store_given(const wf_t *wf);

/* Bind input dims from the HDF5 files, evaluate input-class lets. */
int wf_bind_inputs(wf_t *wf, tess_error_t *err);

/* Expansion with options (wf_expand.c). @p dry: check only, tracking files
 * written and checking that files read before exist. @p check_res: check
 * per-call cpus against wf->res_max_cpus (WF_CHECK_RESOURCES). */
int wf_expand_internal(wf_t *wf, const wf_sink_ops_t *ops, void *ctx,
                       bool dry, bool check_res, tess_error_t *err);

#endif /* TESS_WORKFLOW_WF_PRIVATE_H */

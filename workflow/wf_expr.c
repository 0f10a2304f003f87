/*
 * wf_expr.c - integer expressions of workflows: compile once to a small
 * stack bytecode, evaluate per iteration.
 *
 * Grammar (int64, C semantics: / and % truncate toward zero):
 *   list    := expr (SEP expr)*
 *   expr    := term (('+' | '-') term)*
 *   term    := unary (('*' | '/' | '%') unary)*
 *   unary   := '-' unary | '+' unary | primary
 *   primary := INTEGER | NAME | ('min' | 'max') '(' expr ',' expr ')'
 *            | '(' expr ')'
 * Overflow and division by zero are errors, at compile time when both
 * operands are constants (folded), else at evaluation.
 */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workflow/wf_private.h"

typedef struct cstate {
    const char *s;
    size_t len, i;
    int depth;
    int sp, maxsp; /* simulated stack */
    uint8_t cls;
    wf_codevec_t *code;
    size_t first; /* first instruction of the current expression */
    wf_resolve_f resolve;
    void *ctx;
    wf_exprerr_t *e;
} cstate_t;

static int fail(cstate_t *c, size_t pos, const char *fmt, const char *arg)
{
    c->e->pos = pos;
    snprintf(c->e->msg, sizeof(c->e->msg), fmt, arg);
    return -1;
}

static void skip_ws(cstate_t *c)
{
    while (c->i < c->len && (c->s[c->i] == ' ' || c->s[c->i] == '\t' ||
                             c->s[c->i] == '\n' || c->s[c->i] == '\r'))
        c->i++;
}

static bool is_alpha(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_';
}

static bool is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

bool wf_is_ident(const char *name, size_t len)
{
    if (len == 0 || len > WF_MAX_NAME || !is_alpha(name[0]))
        return false;
    for (size_t i = 1; i < len; i++)
        if (!is_alpha(name[i]) && !is_digit(name[i]))
            return false;
    if ((len == 3 && memcmp(name, "min", 3) == 0) ||
        (len == 3 && memcmp(name, "max", 3) == 0))
        return false;
    return true;
}

static int emit(cstate_t *c, uint8_t op, size_t pos, int64_t arg)
{
    wf_codevec_t *v = c->code;
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 64;
        wf_insn_t *p = realloc(v->v, cap * sizeof(*p));
        if (!p)
            return fail(c, pos, "%s", "out of memory");
        v->v = p;
        v->cap = cap;
    }
    v->v[v->n++] = (wf_insn_t){.op = op, .pos = (uint16_t)pos, .arg = arg};
    return 0;
}

/* Apply a binary operator; -1 with a static message on error. */
static int binop(uint8_t op, int64_t a, int64_t b, int64_t *r,
                 const char **why)
{
    switch (op) {
    case WF_OP_ADD:
        if (__builtin_add_overflow(a, b, r))
            goto overflow;
        return 0;
    case WF_OP_SUB:
        if (__builtin_sub_overflow(a, b, r))
            goto overflow;
        return 0;
    case WF_OP_MUL:
        if (__builtin_mul_overflow(a, b, r))
            goto overflow;
        return 0;
    case WF_OP_DIV:
    case WF_OP_MOD:
        if (b == 0) {
            *why = op == WF_OP_DIV ? "division by zero" : "modulo by zero";
            return -1;
        }
        if (a == INT64_MIN && b == -1)
            goto overflow;
        *r = op == WF_OP_DIV ? a / b : a % b;
        return 0;
    case WF_OP_MIN:
        *r = a < b ? a : b;
        return 0;
    case WF_OP_MAX:
        *r = a > b ? a : b;
        return 0;
    }
    *why = "bad operator";
    return -1;
overflow:
    *why = "integer overflow (beyond 64-bit signed)";
    return -1;
}

/* Emit a binary operator, folding when both operands are constants. */
static int emit_bin(cstate_t *c, uint8_t op, size_t pos)
{
    wf_codevec_t *v = c->code;
    c->sp--;
    if (v->n >= c->first + 2 && v->v[v->n - 1].op == WF_OP_CONST &&
        v->v[v->n - 2].op == WF_OP_CONST) {
        int64_t r;
        const char *why = NULL;
        if (binop(op, v->v[v->n - 2].arg, v->v[v->n - 1].arg, &r, &why) < 0)
            return fail(c, pos, "%s", why);
        v->n--;
        v->v[v->n - 1].arg = r;
        return 0;
    }
    return emit(c, op, pos, 0);
}

static void push(cstate_t *c)
{
    if (++c->sp > c->maxsp)
        c->maxsp = c->sp;
}

static int parse_expr(cstate_t *c);

/* Blanks, then the character @p ch; else fail there with @p msg. */
static int expect(cstate_t *c, char ch, const char *msg)
{
    skip_ws(c);
    if (c->i >= c->len || c->s[c->i] != ch)
        return fail(c, c->i, "%s", msg);
    c->i++;
    return 0;
}

static int parse_primary(cstate_t *c)
{
    skip_ws(c);
    if (c->i >= c->len)
        return fail(c, c->i, "%s", "expression ends where a value is expected");
    size_t start = c->i;
    char ch = c->s[c->i];
    if (is_digit(ch)) {
        int64_t v = 0;
        while (c->i < c->len && is_digit(c->s[c->i])) {
            int d = c->s[c->i] - '0';
            if (__builtin_mul_overflow(v, (int64_t)10, &v) ||
                __builtin_add_overflow(v, (int64_t)d, &v))
                return fail(c, start, "%s",
                            "integer literal too large (beyond 64-bit signed)");
            c->i++;
        }
        if (c->i < c->len && (is_alpha(c->s[c->i]) || c->s[c->i] == '.'))
            return fail(c, c->i, "%s",
                        "bad number: integer expressions take decimal integers");
        push(c);
        return emit(c, WF_OP_CONST, start, v);
    }
    if (is_alpha(ch)) {
        while (c->i < c->len && (is_alpha(c->s[c->i]) || is_digit(c->s[c->i])))
            c->i++;
        size_t n = c->i - start;
        if (n > WF_MAX_NAME)
            return fail(c, start, "%s", "name longer than 64 characters");
        if (n == 3 && (memcmp(c->s + start, "min", 3) == 0 ||
                       memcmp(c->s + start, "max", 3) == 0)) {
            uint8_t op = c->s[start + 1] == 'i' ? WF_OP_MIN : WF_OP_MAX;
            if (expect(c, '(', "expected '(' after min/max") < 0)
                return -1;
            if (++c->depth > WF_MAX_EXPR_DEPTH)
                return fail(c, start, "%s", "expression nested too deeply");
            if (parse_expr(c) < 0 ||
                expect(c, ',', "expected ',' between the two arguments of "
                       "min/max") < 0 ||
                parse_expr(c) < 0 ||
                expect(c, ')', "expected ')' closing min/max") < 0)
                return -1;
            c->depth--;
            return emit_bin(c, op, start);
        }
        uint32_t slot;
        uint8_t cls;
        c->e->pos = start;
        if (c->resolve(c->ctx, c->s + start, n, &slot, &cls, c->e) < 0) {
            c->e->pos = start;
            return -1;
        }
        if (cls > c->cls)
            c->cls = cls;
        push(c);
        return emit(c, WF_OP_LOAD, start, slot);
    }
    if (ch == '(') {
        c->i++;
        if (++c->depth > WF_MAX_EXPR_DEPTH)
            return fail(c, start, "%s", "expression nested too deeply");
        if (parse_expr(c) < 0 || expect(c, ')', "expected ')'") < 0)
            return -1;
        c->depth--;
        return 0;
    }
    char tok[8];
    snprintf(tok, sizeof(tok), "%c", ch >= 0x20 && ch < 0x7f ? ch : '?');
    return fail(c, start, "unexpected '%s' where a value is expected", tok);
}

static int parse_unary(cstate_t *c)
{
    skip_ws(c);
    if (c->i < c->len && (c->s[c->i] == '-' || c->s[c->i] == '+')) {
        size_t pos = c->i;
        bool neg = c->s[c->i] == '-';
        c->i++;
        if (++c->depth > WF_MAX_EXPR_DEPTH)
            return fail(c, pos, "%s", "expression nested too deeply");
        if (parse_unary(c) < 0)
            return -1;
        c->depth--;
        if (!neg)
            return 0;
        wf_codevec_t *v = c->code;
        if (v->n > c->first && v->v[v->n - 1].op == WF_OP_CONST) {
            if (v->v[v->n - 1].arg == INT64_MIN)
                return fail(c, pos, "%s",
                            "integer overflow (beyond 64-bit signed)");
            v->v[v->n - 1].arg = -v->v[v->n - 1].arg;
            return 0;
        }
        return emit(c, WF_OP_NEG, pos, 0);
    }
    return parse_primary(c);
}

/* The operator at the cursor if it belongs to precedence @p level (0: + -,
 * 1: * / %), else 0. */
static uint8_t binary_op(const cstate_t *c, int level)
{
    if (c->i >= c->len)
        return 0;
    char ch = c->s[c->i];
    if (level == 0)
        return ch == '+' ? WF_OP_ADD : ch == '-' ? WF_OP_SUB : 0;
    return ch == '*' ? WF_OP_MUL : ch == '/' ? WF_OP_DIV
         : ch == '%' ? WF_OP_MOD : 0;
}

/* Operands of precedence @p level joined left to right by its operators
 * (level 2: a unary expression). */
static int parse_level(cstate_t *c, int level)
{
    if (level == 2)
        return parse_unary(c);
    if (parse_level(c, level + 1) < 0)
        return -1;
    for (;;) {
        skip_ws(c);
        uint8_t op = binary_op(c, level);
        if (!op)
            return 0;
        size_t pos = c->i++;
        if (parse_level(c, level + 1) < 0 || emit_bin(c, op, pos) < 0)
            return -1;
    }
}

static int parse_expr(cstate_t *c)
{
    return parse_level(c, 0);
}

int wf_expr_compile(const char *text, size_t len, char sep, size_t max,
                    wf_resolve_f resolve, void *ctx, wf_codevec_t *code,
                    wf_expr_t *out, size_t *n, wf_exprerr_t *e)
{
    cstate_t c = {.s = text, .len = len, .code = code, .resolve = resolve,
                  .ctx = ctx, .e = e};
    size_t count = 0;
    size_t saved = code->n;

    e->pos = 0;
    e->msg[0] = '\0';
    if (len > WF_MAX_EXPR) {
        fail(&c, 0, "expression longer than %s characters", "4096");
        goto error;
    }
    for (;;) {
        if (count == max) {
            fail(&c, c.i, "%s", max == 1 ? "unexpected text after the expression"
                                         : "too many entries in the list");
            goto error;
        }
        c.first = code->n;
        c.sp = c.maxsp = 0;
        c.cls = WF_CLS_CONST;
        c.depth = 0;
        if (parse_expr(&c) < 0)
            goto error;
        if (c.maxsp > WF_EXPR_STACK) {
            fail(&c, 0, "%s", "expression too complex");
            goto error;
        }
        out[count].code = (uint32_t)c.first;
        out[count].ncode = (uint16_t)(code->n - c.first);
        out[count].depth = (uint16_t)c.maxsp;
        out[count].cls = c.cls;
        count++;
        skip_ws(&c);
        if (c.i >= len)
            break;
        if (sep && c.s[c.i] == sep && max > 1) {
            c.i++;
            continue;
        }
        char tok[8];
        char ch = c.s[c.i];
        snprintf(tok, sizeof(tok), "%c", ch >= 0x20 && ch < 0x7f ? ch : '?');
        fail(&c, c.i, "unexpected '%s' in expression", tok);
        goto error;
    }
    *n = count;
    return 0;
error:
    code->n = saved;
    errno = EINVAL;
    return -1;
}

int wf_expr_eval(const wf_insn_t *code, const wf_expr_t *x,
                 const int64_t *env, int64_t *out, wf_exprerr_t *e)
{
    const wf_insn_t *p = code + x->code;
    const wf_insn_t *end = p + x->ncode;
    int64_t st[WF_EXPR_STACK];
    int sp = 0;

    /* Fast paths: a constant or a single name. */
    if (x->ncode == 1) {
        *out = p->op == WF_OP_CONST ? p->arg : env[p->arg];
        return 0;
    }
    if (x->depth > (int)(sizeof(st) / sizeof(st[0]))) {
        e->pos = 0;
        snprintf(e->msg, sizeof(e->msg), "expression too complex");
        return -1;
    }
    for (; p < end; p++) {
        const char *why;
        switch (p->op) {
        case WF_OP_CONST:
            st[sp++] = p->arg;
            break;
        case WF_OP_LOAD:
            st[sp++] = env[p->arg];
            break;
        case WF_OP_NEG:
            if (st[sp - 1] == INT64_MIN) {
                why = "integer overflow (beyond 64-bit signed)";
                goto fail;
            }
            st[sp - 1] = -st[sp - 1];
            break;
        default:
            if (binop(p->op, st[sp - 2], st[sp - 1], &st[sp - 2], &why) < 0)
                goto fail;
            sp--;
            break;
        }
        continue;
    fail:
        e->pos = p->pos;
        snprintf(e->msg, sizeof(e->msg), "%s", why);
        errno = EINVAL;
        return -1;
    }
    *out = st[0];
    return 0;
}

/* ---------- templates ---------- */

int wf_tpl_eval(const wf_t *wf, const wf_tpl_t *t, const int64_t *env,
                char *buf, size_t size, tess_error_t *err)
{
    size_t o = 0;
    for (uint32_t i = 0; i < t->nseg; i++) {
        const wf_seg_t *s = &wf->segs.v[t->seg + i];
        char num[48];
        const char *text = num;
        size_t len;
        switch (s->kind) {
        case WF_SEG_TEXT:
            text = wf_str(wf, s->off);
            len = s->len;
            break;
        case WF_SEG_STR:
            text = wf_str(wf, wf->syms.v[s->sym].str);
            len = strlen(text);
            break;
        case WF_SEG_FLOAT:
            len = (size_t)snprintf(num, sizeof(num), "%.17g",
                                   wf->syms.v[s->sym].d);
            break;
        default: {
            const wf_expr_t *x = &wf->exprs.v[s->expr];
            wf_exprerr_t e;
            int64_t v;
            if (wf_expr_eval(wf->code.v, x, env, &v, &e) < 0)
                return wf_err_at(wf, err, wf_loc_add(wf, x->loc, x->src, e.pos),
                                 "%s in '%s'", e.msg, wf_str(wf, x->src));
            len = (size_t)snprintf(num, sizeof(num), "%lld", (long long)v);
            break;
        }
        }
        if (o + len >= size) {
            errno = ENAMETOOLONG;
            return wf_err_at(wf, err, t->loc, "expanded text longer than %zu "
                             "bytes", size - 1);
        }
        memcpy(buf + o, text, len);
        o += len;
    }
    buf[o] = '\0';
    return 0;
}

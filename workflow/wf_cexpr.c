/*
 * wf_cexpr.c - expressions and templates written in attribute values,
 * compiled against the names in scope (wf_scope.c) into wf->exprs and
 * wf->tpls. Messages point at the offending character of the value.
 */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "workflow/wf_compile.h"

/* Compile text[0..len), which starts at character @p at of the value of
 * attribute @p an of @p node, as up to @p max expressions separated by
 * @p sep; append them to wf->exprs from *first, their number in *n. */
static int compile_at(wf_comp_t *c, const xmlNode *node, const char *an,
                      size_t at, const char *text, size_t len, char sep,
                      size_t max, wf_resolve_f resolve, void *rctx,
                      uint32_t *first, size_t *n)
{
    wf_t *wf = c->wf;
    wf_expr_t tmp[2 * TESS_MAX_RANK];
    wf_exprerr_t e;
    size_t cnt = 0;
    if (max > sizeof(tmp) / sizeof(tmp[0]))
        max = sizeof(tmp) / sizeof(tmp[0]);
    if (!resolve) {
        resolve = wf_scope_resolve_int;
        rctx = c;
    }
    errno = 0;
    if (wf_expr_compile(text, len, sep, max, resolve, rctx, &wf->code, tmp,
                        &cnt, &e) < 0) {
        if (errno == ENOMEM)
            return wf_compile_oom(c);
        return wf_compile_err_attr(c, node, an, at + e.pos, "%s", e.msg);
    }
    long src = wf_compile_strn(c, text, len);
    if (src < 0)
        return wf_compile_oom(c);
    wf_loc_t loc = wf_xml_attr_loc(c->x, node, an, at);
    *first = (uint32_t)wf->exprs.n;
    for (size_t i = 0; i < cnt; i++) {
        long k = WF_PUSH(wf->exprs);
        if (k < 0)
            return wf_compile_oom(c);
        tmp[i].src = (uint32_t)src;
        tmp[i].loc = loc;
        wf->exprs.v[k] = tmp[i];
    }
    if (n)
        *n = cnt;
    return 0;
}

int wf_cexpr_list(wf_comp_t *c, const xmlNode *node, const char *an,
                  const char *text, char sep, size_t max,
                  wf_resolve_f resolve, void *rctx, uint32_t *first,
                  size_t *n)
{
    return compile_at(c, node, an, 0, text, strlen(text), sep, max, resolve,
                      rctx, first, n);
}

int wf_cexpr_one(wf_comp_t *c, const xmlNode *node, const char *an,
                 const char *text, uint32_t *idx)
{
    return wf_cexpr_list(c, node, an, text, 0, 1, NULL, NULL, idx, NULL);
}

int wf_cexpr_eval(wf_comp_t *c, uint32_t i, int64_t *out)
{
    wf_t *wf = c->wf;
    wf_exprerr_t e;
    if (wf_expr_eval(wf->code.v, &wf->exprs.v[i], wf->env, out, &e) < 0) {
        const wf_expr_t *x = &wf->exprs.v[i];
        errno = EINVAL;
        return wf_err_at(wf, c->err, wf_loc_add(wf, x->loc, x->src, e.pos),
                         "%s in '%s'", e.msg, wf_str(wf, x->src));
    }
    return 0;
}

static int push_seg(wf_comp_t *c, wf_seg_t seg)
{
    long k = WF_PUSH(c->wf->segs);
    if (k < 0)
        return wf_compile_oom(c);
    c->wf->segs.v[k] = seg;
    return 0;
}

/* The literal text buf[0..*bl) as a TEXT segment (if any); empties buf. */
static int flush_text(wf_comp_t *c, const char *buf, size_t *bl)
{
    if (!*bl)
        return 0;
    long off = wf_compile_strn(c, buf, *bl);
    if (off < 0)
        return wf_compile_oom(c);
    wf_seg_t seg = {.kind = WF_SEG_TEXT, .off = (uint32_t)off,
                    .len = (uint32_t)*bl};
    *bl = 0;
    return push_seg(c, seg);
}

/* The substitution text[s..e) (between braces) of template @p t: a string,
 * path or float parameter by name, else an integer expression. */
static int substitution(wf_comp_t *c, const xmlNode *node, const char *an,
                        const char *text, size_t s, size_t e, wf_tpl_t *t)
{
    wf_t *wf = c->wf;
    size_t ts = s, te = e;
    while (ts < te && text[ts] == ' ')
        ts++;
    while (te > ts && text[te - 1] == ' ')
        te--;
    long sym = wf_is_ident(text + ts, te - ts)
                   ? wf_scope_find(&c->vals, wf, text + ts, te - ts) : -1;
    uint8_t kind = sym >= 0 ? wf->syms.v[sym].kind : 0;
    if (kind == WF_SYM_STRING || kind == WF_SYM_PATH || kind == WF_SYM_FLOAT)
        return push_seg(c, (wf_seg_t){.kind = kind == WF_SYM_FLOAT
                                                  ? WF_SEG_FLOAT : WF_SEG_STR,
                                      .sym = (uint32_t)sym});
    uint32_t k;
    if (compile_at(c, node, an, s, text + s, e - s, 0, 1, NULL, NULL, &k,
                   NULL) < 0)
        return -1;
    if (wf->exprs.v[k].cls > t->cls)
        t->cls = wf->exprs.v[k].cls;
    return push_seg(c, (wf_seg_t){.kind = WF_SEG_INT, .expr = k});
}

int wf_cexpr_tpl(wf_comp_t *c, const xmlNode *node, const char *an,
                 const char *text, uint32_t *out)
{
    wf_t *wf = c->wf;
    wf_tpl_t t = {.seg = (uint32_t)wf->segs.n, .cls = WF_CLS_CONST,
                  .loc = wf_xml_attr_loc(c->x, node, an, 0)};
    size_t len = strlen(text), i = 0, bl = 0;
    char *buf = malloc(len + 1); /* literal text with {{ }} undone */
    int rc = 0;
    if (!buf)
        return wf_compile_oom(c);
    while (i < len && rc == 0) {
        char ch = text[i];
        if ((ch == '{' || ch == '}') && i + 1 < len && text[i + 1] == ch) {
            buf[bl++] = ch;
            i += 2;
        } else if (ch == '}') {
            rc = wf_compile_err_attr(c, node, an, i, "unmatched '}' (write }} "
                                     "for a literal brace)");
        } else if (ch == '{') {
            const char *close = memchr(text + i + 1, '}', len - i - 1);
            if (!close) {
                rc = wf_compile_err_attr(c, node, an, i, "unclosed '{' (write "
                                         "{{ for a literal brace)");
                break;
            }
            size_t e = (size_t)(close - text);
            if ((rc = flush_text(c, buf, &bl)) == 0)
                rc = substitution(c, node, an, text, i + 1, e, &t);
            i = e + 1;
        } else {
            buf[bl++] = ch;
            i++;
        }
    }
    if (rc == 0)
        rc = flush_text(c, buf, &bl);
    free(buf);
    if (rc < 0)
        return -1;
    t.nseg = (uint32_t)(wf->segs.n - t.seg);
    long k = WF_PUSH(wf->tpls);
    if (k < 0)
        return wf_compile_oom(c);
    wf->tpls.v[k] = t;
    *out = (uint32_t)k;
    return 0;
}

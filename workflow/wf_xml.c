/*
 * wf_xml.c - safe reading, parsing and XSD validation of workflow files.
 */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/SAX2.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlschemas.h>

#include "workflow/wf_xml.h"

typedef struct npos {
    size_t off; /* offset of '<' */
    wf_loc_t loc;
} npos_t;

struct wf_xml {
    const char *path; /* borrowed display name */
    char *buf;        /* the document bytes (owned, NUL-terminated) */
    size_t len;
    xmlDoc *doc;
    npos_t *pos;
    size_t npos, cap;
    /* incremental offset -> line/col scan */
    size_t scan_off, scan_linestart;
    uint32_t scan_line;
    /* first error */
    tess_error_t *err;
    bool failed;
};

/* ---------- places ---------- */

static wf_loc_t loc_of(wf_xml_t *x, size_t off)
{
    if (off > x->len)
        off = x->len;
    if (off < x->scan_off) {
        x->scan_off = 0;
        x->scan_linestart = 0;
        x->scan_line = 1;
    }
    const char *p = x->buf + x->scan_off;
    const char *end = x->buf + off;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            break;
        x->scan_line++;
        x->scan_linestart = (size_t)(nl + 1 - x->buf);
        p = nl + 1;
    }
    x->scan_off = off;
    return (wf_loc_t){.line = x->scan_line,
                      .col = (uint32_t)(off - x->scan_linestart + 1)};
}

/* Same, without touching the incremental state (const readers). */
static wf_loc_t loc_from(const wf_xml_t *x, size_t base, wf_loc_t at,
                         size_t off)
{
    if (off > x->len)
        off = x->len;
    for (size_t i = base; i < off; i++) {
        if (x->buf[i] == '\n') {
            at.line++;
            at.col = 1;
        } else {
            at.col++;
        }
    }
    return at;
}

static const npos_t *node_pos(const wf_xml_t *x, const xmlNode *node)
{
    uintptr_t i = (uintptr_t)(node ? node->_private : NULL);
    if (i == 0 || i > x->npos)
        return NULL;
    return &x->pos[i - 1];
}

wf_loc_t wf_xml_node_loc(const wf_xml_t *x, const xmlNode *node)
{
    const npos_t *p = node_pos(x, node);
    if (p)
        return p->loc;
    return (wf_loc_t){.line = node ? (uint32_t)xmlGetLineNo(node) : 1,
                      .col = 1};
}

static bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

wf_loc_t wf_xml_attr_loc(const wf_xml_t *x, const xmlNode *node,
                         const char *name, size_t pos)
{
    const npos_t *np = node_pos(x, node);
    if (!np)
        return wf_xml_node_loc(x, node);
    size_t i = np->off + 1, n = x->len, nlen = strlen(name);
    const char *b = x->buf;
    /* skip the element name */
    while (i < n && !is_ws(b[i]) && b[i] != '>' && b[i] != '/')
        i++;
    for (;;) {
        while (i < n && is_ws(b[i]))
            i++;
        if (i >= n || b[i] == '>' || b[i] == '/')
            break;
        size_t an = i;
        while (i < n && !is_ws(b[i]) && b[i] != '=')
            i++;
        size_t alen = i - an;
        while (i < n && is_ws(b[i]))
            i++;
        if (i >= n || b[i] != '=')
            break;
        i++;
        while (i < n && is_ws(b[i]))
            i++;
        if (i >= n || (b[i] != '"' && b[i] != '\''))
            break;
        char q = b[i++];
        size_t vstart = i;
        while (i < n && b[i] != q)
            i++;
        if (alen == nlen && memcmp(b + an, name, nlen) == 0) {
            size_t target = vstart + pos;
            if (target > i)
                target = i;
            return loc_from(x, np->off, np->loc, target);
        }
        i++;
    }
    return np->loc;
}

xmlNode *wf_xml_root(const wf_xml_t *x)
{
    return xmlDocGetRootElement(x->doc);
}

/* ---------- errors ---------- */

/* Record the first error: "path:line:col: WHAT (libxml2: MSG)" for a
 * message of libxml2 (@p what says which check failed, in Tessera's words:
 * tests and users match these, libxml2's wording varies between
 * versions), "path:line:col: MSG" for our own (@p what NULL). */
static void set_error(wf_xml_t *x, wf_loc_t loc, const char *what,
                      const char *msg)
{
    if (x->failed)
        return;
    x->failed = true;
    /* libxml2 messages end with a newline; schema messages name elements
     * as {namespace}local: drop our namespace for readability. */
    char text[400];
    size_t o = 0;
    const char *ns = "{" WF_NAMESPACE "}";
    size_t nslen = strlen(ns);
    for (const char *p = msg; *p && o + 1 < sizeof(text);) {
        if (strncmp(p, ns, nslen) == 0) {
            p += nslen;
            continue;
        }
        text[o++] = *p == '\n' ? ' ' : *p;
        p++;
    }
    while (o > 0 && text[o - 1] == ' ')
        o--;
    text[o] = '\0';
    if (what)
        tess_errprintf(x->err, "%s:%u:%u: %s (libxml2: %s)", x->path,
                       loc.line, loc.col, what, text);
    else
        tess_errprintf(x->err, "%s:%u:%u: %s", x->path, loc.line, loc.col,
                       text);
}

static void on_parse_error(void *data, xmlErrorPtr e)
{
    xmlParserCtxtPtr ctxt = data;
    wf_xml_t *x = ctxt ? ctxt->_private : NULL;
    if (!x || !e || e->level == XML_ERR_WARNING)
        return;
    wf_loc_t loc = {.line = e->line > 0 ? (uint32_t)e->line : 1,
                    .col = e->int2 > 0 ? (uint32_t)e->int2 : 1};
    set_error(x, loc, "XML parse error", e->message ? e->message : "?");
}

static void on_valid_error(void *data, xmlErrorPtr e)
{
    wf_xml_t *x = data;
    if (!e || e->level == XML_ERR_WARNING)
        return;
    wf_loc_t loc;
    if (e->node && ((xmlNode *)e->node)->type == XML_ELEMENT_NODE)
        loc = wf_xml_node_loc(x, e->node);
    else
        loc = (wf_loc_t){.line = e->line > 0 ? (uint32_t)e->line : 1, .col = 1};
    set_error(x, loc, "does not match " WF_SCHEMA_FILE,
              e->message ? e->message : "?");
}

/* ---------- SAX hooks ---------- */

static size_t cur_offset(xmlParserCtxtPtr ctxt, const wf_xml_t *x)
{
    if (ctxt->inputNr != 1 || !ctxt->input || !ctxt->input->base ||
        !ctxt->input->cur || ctxt->input->cur < ctxt->input->base)
        return SIZE_MAX;
    size_t off = (size_t)ctxt->input->consumed +
                 (size_t)(ctxt->input->cur - ctxt->input->base);
    return off <= x->len ? off : SIZE_MAX;
}

static void on_start(void *ctx, const xmlChar *localname,
                     const xmlChar *prefix, const xmlChar *URI,
                     int nb_namespaces, const xmlChar **namespaces,
                     int nb_attributes, int nb_defaulted,
                     const xmlChar **attributes)
{
    xmlParserCtxtPtr ctxt = ctx;
    wf_xml_t *x = ctxt->_private;
    xmlNodePtr parent = ctxt->node;

    xmlSAX2StartElementNs(ctx, localname, prefix, URI, nb_namespaces,
                          namespaces, nb_attributes, nb_defaulted, attributes);
    xmlNodePtr node = ctxt->node;
    if (!node || node == parent || x->failed)
        return;
    /* The parser is at the end of the start tag; '<' cannot occur inside
     * a start tag (not even in attribute values), so the last '<' before
     * here is this element's. */
    size_t off = cur_offset(ctxt, x);
    if (off == SIZE_MAX)
        return;
    while (off > 0 && x->buf[off] != '<')
        off--;
    if (x->buf[off] != '<')
        return;
    if (x->npos == x->cap) {
        size_t cap = x->cap ? x->cap * 2 : 256;
        npos_t *p = realloc(x->pos, cap * sizeof(*p));
        if (!p)
            return;
        x->pos = p;
        x->cap = cap;
    }
    x->pos[x->npos] = (npos_t){.off = off, .loc = loc_of(x, off)};
    node->_private = (void *)(uintptr_t)++x->npos;
}

static void on_doctype(void *ctx, const xmlChar *name, const xmlChar *eid,
                       const xmlChar *sid)
{
    xmlParserCtxtPtr ctxt = ctx;
    wf_xml_t *x = ctxt->_private;
    size_t off = cur_offset(ctxt, x);
    wf_loc_t loc = {.line = 1, .col = 1};
    if (off != SIZE_MAX) {
        /* find the "<!DOCTYPE" that brought us here */
        const char *hit = NULL;
        for (size_t i = off + 1; i-- > 0;)
            if (i + 9 <= x->len && memcmp(x->buf + i, "<!DOCTYPE", 9) == 0) {
                hit = x->buf + i;
                break;
            }
        if (hit)
            loc = loc_of(x, (size_t)(hit - x->buf));
    }
    set_error(x, loc, NULL,
              "DOCTYPE declarations are not allowed in workflow files "
              "(no DTD, no entities)");
    xmlStopParser(ctxt);
}

/* ---------- reading ---------- */

static int read_file(wf_xml_t *x, const char *path, size_t max,
                     tess_error_t *err)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return tess_errprintf(err, "%s: cannot open: %s", path,
                              strerror(errno));
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        int e = errno;
        close(fd);
        errno = S_ISDIR(st.st_mode) ? EISDIR : (e ? e : EINVAL);
        return tess_errprintf(err, "%s: not a regular file", path);
    }
    if ((uintmax_t)st.st_size > max) {
        close(fd);
        errno = EFBIG;
        return tess_errprintf(err,
                              "%s: file too large (%jd bytes): workflow files "
                              "are limited to %zu bytes",
                              path, (intmax_t)st.st_size, max);
    }
    size_t cap = (size_t)st.st_size + 1, n = 0;
    char *buf = malloc(cap + 1);
    if (!buf) {
        close(fd);
        errno = ENOMEM;
        return tess_errprintf(err, "%s: out of memory", path);
    }
    for (;;) {
        if (n == cap) { /* grew while we read: re-check the bound */
            if (cap > max) {
                free(buf);
                close(fd);
                errno = EFBIG;
                return tess_errprintf(err,
                                      "%s: file too large: workflow files "
                                      "are limited to %zu bytes", path, max);
            }
            size_t ncap = cap * 2 > max + 1 ? max + 1 : cap * 2;
            char *p = realloc(buf, ncap + 1);
            if (!p) {
                free(buf);
                close(fd);
                errno = ENOMEM;
                return tess_errprintf(err, "%s: out of memory", path);
            }
            buf = p;
            cap = ncap;
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            free(buf);
            close(fd);
            errno = e;
            return tess_errprintf(err, "%s: cannot read: %s", path,
                                  strerror(e));
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    if (n > max) {
        free(buf);
        errno = EFBIG;
        return tess_errprintf(err, "%s: file too large: workflow files are "
                              "limited to %zu bytes", path, max);
    }
    buf[n] = '\0';
    x->buf = buf;
    x->len = n;
    return 0;
}

/* ---------- the schema ---------- */

static xmlSchemaPtr load_schema(const wf_load_opts_t *opts, const char *path,
                                tess_error_t *err)
{
    const char *dir = opts && opts->schema_dir ? opts->schema_dir
                                               : getenv("TESS_SCHEMA_DIR");
#ifdef TESS_SCHEMADIR
    if (!dir || !*dir)
        dir = TESS_SCHEMADIR;
#endif
    if (!dir || !*dir) {
        errno = ENOENT;
        tess_errprintf(err, "%s: no schema directory (set TESS_SCHEMA_DIR)",
                       path);
        return NULL;
    }
    char file[PATH_MAX];
    if (snprintf(file, sizeof(file), "%s/%s", dir, WF_SCHEMA_FILE) >=
        (int)sizeof(file)) {
        errno = ENAMETOOLONG;
        tess_errprintf(err, "%s: schema directory name too long", path);
        return NULL;
    }
    wf_xml_t sx = {.path = file};
    if (read_file(&sx, file, 1u << 20, err) < 0) {
        int e = errno;
        tess_error_t tmp;
        snprintf(tmp.text, sizeof(tmp.text), "%s", err ? err->text : "");
        tess_errprintf(err, "%s: cannot load the workflow schema: %s", path,
                       tmp.text);
        errno = e;
        return NULL;
    }
    xmlSchemaParserCtxtPtr pc = xmlSchemaNewMemParserCtxt(sx.buf, (int)sx.len);
    xmlSchemaPtr schema = NULL;
    if (pc) {
        xmlSchemaSetParserStructuredErrors(pc, NULL, NULL);
        schema = xmlSchemaParse(pc);
        xmlSchemaFreeParserCtxt(pc);
    }
    free(sx.buf);
    if (!schema) {
        errno = EINVAL;
        tess_errprintf(err, "%s: the workflow schema %s does not load", path,
                       file);
    }
    return schema;
}

/* ---------- load ---------- */

void wf_xml_free(wf_xml_t *x)
{
    if (!x)
        return;
    int saved = errno;
    if (x->doc)
        xmlFreeDoc(x->doc);
    free(x->buf);
    free(x->pos);
    free(x);
    errno = saved;
}

/* Silences libxml2's default reporting of errors that reach no context. */
static void quiet(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
}

wf_xml_t *wf_xml_load(const char *path, const char *buf, size_t len,
                      const wf_load_opts_t *opts, tess_error_t *err)
{
    size_t max = opts && opts->max_bytes ? opts->max_bytes : WF_MAX_FILE_BYTES;
    wf_xml_t *x = calloc(1, sizeof(*x));
    xmlParserCtxtPtr ctxt = NULL;
    xmlSchemaPtr schema = NULL;

    if (!x) {
        errno = ENOMEM;
        tess_errprintf(err, "%s: out of memory", path);
        return NULL;
    }
    x->path = path;
    x->err = err;
    x->scan_line = 1;
    if (buf) {
        if (len > max) {
            errno = EFBIG;
            tess_errprintf(err, "%s: file too large (%zu bytes): workflow "
                           "files are limited to %zu bytes", path, len, max);
            goto error;
        }
        if (!(x->buf = malloc(len + 1))) {
            errno = ENOMEM;
            tess_errprintf(err, "%s: out of memory", path);
            goto error;
        }
        memcpy(x->buf, buf, len);
        x->buf[len] = '\0';
        x->len = len;
    } else if (read_file(x, path, max, err) < 0) {
        goto error;
    }
    if (x->len == 0) {
        errno = EINVAL;
        tess_errprintf(err, "%s:1:1: empty file: expected a <workflow> document",
                       path);
        goto error;
    }
    if (x->len >= 2 && ((unsigned char)x->buf[0] == 0xFE ||
                        (unsigned char)x->buf[0] == 0xFF || x->buf[0] == 0 ||
                        x->buf[1] == 0)) {
        errno = EINVAL;
        tess_errprintf(err, "%s:1:1: workflow files must be UTF-8 "
                       "(UTF-16/32 found)", path);
        goto error;
    }

    xmlInitParser();
    xmlSetGenericErrorFunc(NULL, quiet);
    ctxt = xmlCreateMemoryParserCtxt(x->buf, (int)x->len);
    if (!ctxt) {
        errno = ENOMEM;
        tess_errprintf(err, "%s: out of memory", path);
        goto error;
    }
    /* No network, no DTD loading or defaults, no entity substitution, no
     * XInclude; not XML_PARSE_HUGE, so libxml2's depth, text-size and
     * entity-amplification limits stay on.  The encoding is UTF-8 whatever
     * the declaration says (the byte offsets we record rely on it). */
    xmlCtxtUseOptions(ctxt, XML_PARSE_NONET | XML_PARSE_NOCDATA |
                                XML_PARSE_IGNORE_ENC | XML_PARSE_BIG_LINES);
    xmlSwitchEncoding(ctxt, XML_CHAR_ENCODING_UTF8);
    ctxt->_private = x;
    ctxt->sax->startElementNs = on_start;
    ctxt->sax->internalSubset = on_doctype;
    ctxt->sax->externalSubset = NULL;
    ctxt->sax->serror = on_parse_error;
    ctxt->sax->warning = NULL;
    ctxt->vctxt.error = quiet;
    ctxt->vctxt.warning = quiet;
    ctxt->sax->fatalError = NULL;
    ctxt->sax->error = NULL;
    xmlParseDocument(ctxt);
    if (x->failed || !ctxt->wellFormed || !ctxt->myDoc) {
        if (!x->failed)
            tess_errprintf(err, "%s:1:1: not a well-formed XML document",
                           path);
        x->failed = true;
        if (ctxt->myDoc)
            xmlFreeDoc(ctxt->myDoc);
        ctxt->myDoc = NULL;
        errno = EINVAL;
        goto error;
    }
    x->doc = ctxt->myDoc;
    ctxt->myDoc = NULL;
    xmlFreeParserCtxt(ctxt);
    ctxt = NULL;

    xmlNode *root = xmlDocGetRootElement(x->doc);
    if (!root || !root->ns || !xmlStrEqual(root->ns->href, BAD_CAST WF_NAMESPACE)
        || !xmlStrEqual(root->name, BAD_CAST "workflow")) {
        wf_loc_t loc = wf_xml_node_loc(x, root);
        errno = EINVAL;
        tess_errprintf(err, "%s:%u:%u: the root element must be <workflow "
                       "xmlns=\"%s\">", path, loc.line, loc.col, WF_NAMESPACE);
        goto error;
    }

    if (!(schema = load_schema(opts, path, err)))
        goto error;
    xmlSchemaValidCtxtPtr vc = xmlSchemaNewValidCtxt(schema);
    if (!vc) {
        errno = ENOMEM;
        tess_errprintf(err, "%s: out of memory", path);
        goto error;
    }
    xmlSchemaSetValidStructuredErrors(vc, on_valid_error, x);
    int rc = xmlSchemaValidateDoc(vc, x->doc);
    xmlSchemaFreeValidCtxt(vc);
    xmlSchemaFree(schema);
    schema = NULL;
    if (rc != 0) {
        if (!x->failed)
            tess_errprintf(err, "%s:1:1: the document does not match the "
                           "workflow schema", path);
        errno = EINVAL;
        goto error;
    }
    x->err = NULL;
    return x;
error:
    if (ctxt)
        xmlFreeParserCtxt(ctxt);
    if (schema)
        xmlSchemaFree(schema);
    wf_xml_free(x);
    return NULL;
}

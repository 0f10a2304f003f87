/*
 * wf_xml.h - reading a workflow document safely (engine/ only).
 *
 * The file is read by us with a size bound, parsed by libxml2 from memory
 * with no network, no DTD (a DOCTYPE is rejected before its internal subset
 * is read, so no entity is ever declared), no XInclude, and validated
 * against schemas/workflow-1.xsd.  libxml2 keeps no column per node, so the
 * start-tag offset of every element is recorded while parsing: messages can
 * name line and column of an element or of a character in an attribute.
 */
#ifndef TESS_WORKFLOW_WF_XML_H
#define TESS_WORKFLOW_WF_XML_H

#include <libxml/tree.h>

#include "workflow/wf.h"

typedef struct wf_xml wf_xml_t;

/* Read @p path (or take buf[0..len) if @p buf is set), parse and validate.
 * Messages are "path:line:col: text". Caller frees with wf_xml_free(). */
wf_xml_t *wf_xml_load(const char *path, const char *buf, size_t len,
                      const wf_load_opts_t *opts, tess_error_t *err);
void wf_xml_free(wf_xml_t *x);

/* The validated document's root element (borrowed). */
xmlNode *wf_xml_root(const wf_xml_t *x);

/* Place of element @p node's '<'. */
wf_loc_t wf_xml_node_loc(const wf_xml_t *x, const xmlNode *node);

/* Place of character @p pos of the value of attribute @p name of @p node
 * (the element's place if the attribute is not found in the source). */
wf_loc_t wf_xml_attr_loc(const wf_xml_t *x, const xmlNode *node,
                         const char *name, size_t pos);

#endif /* TESS_WORKFLOW_WF_XML_H */

/*
 * wf_compile.h - from a validated workflow document to the compiled program
 * of wf_private.h (engine/ only).
 */
#ifndef TESS_WORKFLOW_WF_COMPILE_H
#define TESS_WORKFLOW_WF_COMPILE_H

#include "workflow/wf.h"
#include "workflow/wf_xml.h"

/* Resolve parameters (applying @p overrides), compile declarations, task
 * definitions and the body into @p wf, and run the checks that need no
 * file system. -1/EINVAL with @p err "file:line:col: message" or
 * "--param NAME: message". */
int wf_compile(wf_t *wf, const wf_xml_t *x,
               const wf_param_override_t *overrides, size_t noverrides,
               tess_error_t *err);

#endif /* TESS_WORKFLOW_WF_COMPILE_H */

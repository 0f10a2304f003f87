/*
 * types.h - the element types of arrays: sizes and names, in one table.
 *
 * tess_type_size() and tess_type_name() (tessera.h) are the public face;
 * types_parse() is the inverse of tess_type_name() for the front ends that
 * read type names (XML workflows, tools).
 */
#ifndef TESS_BASE_TYPES_H
#define TESS_BASE_TYPES_H

#include "tessera.h"

/* The type named @p name ("u8", "i32", "i64", "f32", "f64"), 0 if none
 * (NULL included). */
tess_type_t types_parse(const char *name);

#endif

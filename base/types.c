/* types.c - element types: the one table of sizes and names. */
#include "config.h"

#include <string.h>

#include "base/types.h"

static const struct {
    const char *name;
    size_t size;
} table[] = {
    [TESS_U8] = {"u8", 1},  [TESS_I32] = {"i32", 4}, [TESS_I64] = {"i64", 8},
    [TESS_F32] = {"f32", 4}, [TESS_F64] = {"f64", 8},
};

#define NTYPES (sizeof(table) / sizeof(table[0]))

size_t tess_type_size(tess_type_t type)
{
    return (unsigned)type < NTYPES ? table[type].size : 0;
}

const char *tess_type_name(tess_type_t type)
{
    return (unsigned)type < NTYPES && table[type].name ? table[type].name
                                                        : "?";
}

tess_type_t types_parse(const char *name)
{
    for (size_t t = 1; name && t < NTYPES; t++)
        if (table[t].name && strcmp(name, table[t].name) == 0)
            return (tess_type_t)t;
    return 0;
}

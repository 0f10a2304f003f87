/* test_kclass: interned task classes: one record per set of properties,
 * strings copied, which workers may run a class and which kernel they run. */
#include "config.h"

#include <errno.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "base/test/cunit_main.h"
#include "engine/kclass.h"

static void test_interning(void)
{
    kclasses_t *t = kclasses_create();
    kclass_impl_t impls[] = {{(char *)"mic", 7}, {(char *)"gpu", 8}};
    char arch[8] = "mic";
    kclass_t spec = {.kernel = 1, .arch = arch, .cpus = 2, .memory_mb = 64,
                     .nimpls = 2, .impls = impls};
    const kclass_t *c = kclasses_intern(t, &spec);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    strcpy(arch, "xxx"); /* the class keeps its own copy */
    CU_ASSERT_STRING_EQUAL(c->arch, "mic");
    CU_ASSERT_EQUAL(c->cpus, 2);
    CU_ASSERT_EQUAL(c->memory_mb, 64);
    CU_ASSERT_EQUAL(c->nimpls, 2);
    CU_ASSERT_STRING_EQUAL(c->impls[1].arch, "gpu");
    CU_ASSERT_EQUAL(c->impls[1].kernel, 8);
    CU_ASSERT_PTR_NOT_EQUAL(c->impls, impls);
    /* the same properties: the same record, as the last one or found */
    strcpy(arch, "mic");
    CU_ASSERT_PTR_EQUAL(kclasses_intern(t, &spec), c);
    const kclass_t *d = kclasses_intern(t, &(kclass_t){.kernel = 2});
    CU_ASSERT_PTR_NOT_EQUAL(d, c);
    CU_ASSERT_PTR_EQUAL(kclasses_intern(t, &spec), c);
    /* any property differs: another record */
    kclass_impl_t other_arch[] = {{(char *)"mic", 7}, {(char *)"fpga", 8}};
    kclass_impl_t other_kernel[] = {{(char *)"mic", 7}, {(char *)"gpu", 9}};
    kclass_t variants[] = {spec, spec, spec, spec, spec, spec, spec, spec,
                           spec, spec};
    variants[0].kernel = 3;
    variants[1].arch = NULL;
    variants[2].arch = (char *)"gpu";
    variants[3].cpus = 3;
    variants[4].memory_mb = 65;
    variants[5].nimpls = 1;
    variants[6].impls = other_arch;
    variants[7].impls = other_kernel;
    variants[8].name = (char *)"named";
    variants[9].timeout_ms = 1000;
    const kclass_t *other[10];
    for (size_t i = 0; i < 10; i++) {
        other[i] = kclasses_intern(t, &variants[i]);
        CU_ASSERT_PTR_NOT_NULL(other[i]);
        CU_ASSERT_PTR_NOT_EQUAL(other[i], c);
        CU_ASSERT_PTR_NOT_EQUAL(other[i], d);
        for (size_t j = 0; j < i; j++)
            CU_ASSERT_PTR_NOT_EQUAL(other[i], other[j]);
    }
    /* normalised before comparing: cpus < 1 is 1, negative memory none */
    CU_ASSERT_PTR_EQUAL(kclasses_intern(t, &(kclass_t){.kernel = 2,
                                                       .memory_mb = -5}), d);
    CU_ASSERT_PTR_EQUAL(kclasses_intern(t, &(kclass_t){.kernel = 2,
                                                       .cpus = -3}), d);
    kclasses_destroy(t);
}

static void test_allows_and_kernel_for(void)
{
    kclasses_t *t = kclasses_create();
    kclass_impl_t impls[] = {{(char *)"mic", 5}};
    const kclass_t *any =
        kclasses_intern(t, &(kclass_t){.kernel = 1, .nimpls = 1,
                                       .impls = impls});
    const kclass_t *mic =
        kclasses_intern(t, &(kclass_t){.kernel = 2, .arch = (char *)"mic"});
    CU_ASSERT_TRUE(kclass_allows(NULL, "x86"));
    CU_ASSERT_TRUE(kclass_allows(any, "x86"));
    CU_ASSERT_TRUE(kclass_allows(mic, "mic"));
    CU_ASSERT_FALSE(kclass_allows(mic, "x86"));
    CU_ASSERT_FALSE(kclass_allows(mic, "default"));
    CU_ASSERT_EQUAL(kclass_kernel_for(any, "mic"), 5);
    CU_ASSERT_EQUAL(kclass_kernel_for(any, "x86"), 1);
    CU_ASSERT_EQUAL(kclass_kernel_for(mic, "mic"), 2);
    CU_ASSERT_EQUAL(kclass_kernel_for(NULL, "mic"), 0);
    kclasses_destroy(t);
}

static void test_destroy(void)
{
    kclasses_t *t = kclasses_create();
    CU_ASSERT_PTR_NOT_NULL(
        kclasses_intern(t, &(kclass_t){.kernel = 1, .arch = (char *)"a"}));
    ASSERT_DESTROY_KEEPS_ERRNO(kclasses_destroy, t);
}

static const cunit_test_t tests[] = {
    {"one record per set of properties", test_interning},
    {"architectures and implementations", test_allows_and_kernel_for},
    {"destroy accepts NULL and keeps errno", test_destroy},
    {NULL, NULL},
};

static int register_tests(void)
{
    return cunit_add_suite("kclass", NULL, NULL, tests);
}

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
    const char *ia[] = {"mic", "gpu"};
    const uint32_t ik[] = {7, 8};
    char arch[8] = "mic";
    const kclass_t *c = kclasses_intern(t, 1, arch, 2, 64, 2, ia, ik);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    strcpy(arch, "xxx"); /* the class keeps its own copy */
    CU_ASSERT_STRING_EQUAL(c->arch, "mic");
    CU_ASSERT_EQUAL(c->cpus, 2);
    CU_ASSERT_EQUAL(c->memory_mb, 64);
    CU_ASSERT_EQUAL(c->nimpls, 2);
    CU_ASSERT_STRING_EQUAL(c->impls[1].arch, "gpu");
    CU_ASSERT_EQUAL(c->impls[1].kernel, 8);
    /* the same properties: the same record, as the last one or found */
    CU_ASSERT_PTR_EQUAL(kclasses_intern(t, 1, "mic", 2, 64, 2, ia, ik), c);
    const kclass_t *d = kclasses_intern(t, 2, NULL, 1, 0, 0, NULL, NULL);
    CU_ASSERT_PTR_NOT_EQUAL(d, c);
    CU_ASSERT_PTR_EQUAL(kclasses_intern(t, 1, "mic", 2, 64, 2, ia, ik), c);
    /* any property differs: another record */
    const uint32_t ik2[] = {7, 9};
    const char *ia2[] = {"mic", "fpga"};
    const kclass_t *other[] = {
        kclasses_intern(t, 3, "mic", 2, 64, 2, ia, ik),
        kclasses_intern(t, 1, NULL, 2, 64, 2, ia, ik),
        kclasses_intern(t, 1, "gpu", 2, 64, 2, ia, ik),
        kclasses_intern(t, 1, "mic", 3, 64, 2, ia, ik),
        kclasses_intern(t, 1, "mic", 2, 65, 2, ia, ik),
        kclasses_intern(t, 1, "mic", 2, 64, 1, ia, ik),
        kclasses_intern(t, 1, "mic", 2, 64, 2, ia2, ik),
        kclasses_intern(t, 1, "mic", 2, 64, 2, ia, ik2),
    };
    for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
        CU_ASSERT_PTR_NOT_NULL(other[i]);
        CU_ASSERT_PTR_NOT_EQUAL(other[i], c);
        CU_ASSERT_PTR_NOT_EQUAL(other[i], d);
        for (size_t j = 0; j < i; j++)
            CU_ASSERT_PTR_NOT_EQUAL(other[i], other[j]);
    }
    /* normalised before comparing: cpus < 1 is 1, negative memory none */
    CU_ASSERT_PTR_EQUAL(kclasses_intern(t, 2, NULL, 0, -5, 0, NULL, NULL), d);
    CU_ASSERT_PTR_EQUAL(kclasses_intern(t, 2, NULL, -3, 0, 0, NULL, NULL), d);
    kclasses_destroy(t);
}

static void test_allows_and_kernel_for(void)
{
    kclasses_t *t = kclasses_create();
    const char *ia[] = {"mic"};
    const uint32_t ik[] = {5};
    const kclass_t *any = kclasses_intern(t, 1, NULL, 1, 0, 1, ia, ik);
    const kclass_t *mic = kclasses_intern(t, 2, "mic", 1, 0, 0, NULL, NULL);
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
    CU_ASSERT_PTR_NOT_NULL(kclasses_intern(t, 1, "a", 1, 0, 0, NULL, NULL));
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

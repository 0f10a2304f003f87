/*
 * wf_fuzz.c - libFuzzer target: load (safe parse + XSD + compile), dry-run
 * validation and expansion of one workflow document.
 *
 * Built and run by `make fuzz` (clang -fsanitize=fuzzer,address,undefined).
 * Kernel libraries are not opened (dlopen would run arbitrary code); input
 * files named by the document are only probed read-only.  Expansions are
 * bounded (wf_set_expand_limit) so loops over huge ranges end.
 */
#include <stddef.h>
#include <stdint.h>

#include "workflow/wf.h"

static int count_task(void *ctx, const wf_task_call_t *c, tess_error_t *err)
{
    (void)err;
    *(uint64_t *)ctx += (uint64_t)c->nparams + 1;
    return 0;
}

static const wf_sink_ops_t ops = {.task = count_task};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tess_error_t err;
    uint64_t n = 0;
    static const wf_param_override_t ov[] = {{"fuzz_param", "3"}};
    /* every other input also gets an override, to cover that path */
    size_t nov = size && (data[0] & 1) ? 1 : 0;
    wf_t *wf = wf_load2("fuzz.xml", (const char *)data, size, ov, nov, NULL,
                        &err);
    if (!wf && nov)
        wf = wf_load2("fuzz.xml", (const char *)data, size, NULL, 0, NULL,
                      &err);
    if (!wf)
        return 0;
    wf_set_expand_limit(wf, 20000);
    if (wf_validate(wf, WF_CHECK_EXPAND, &err) == 0)
        wf_expand(wf, &ops, &n, &err);
    for (size_t i = 0; i < wf_param_count(wf); i++)
        wf_param_get(wf, i, NULL, NULL, NULL);
    wf_destroy(wf);
    return 0;
}

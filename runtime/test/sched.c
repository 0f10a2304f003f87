/* test_sched - placing ready tasks: order and priority, locality, slots,
 * architecture eligibility, memory, overtaking of tasks that must wait. */
#include "config.h"

#include <string.h>

#include "engine/kclass.h"
#include "runtime/sched.h"
#include "base/test/cunit_main.h"

/* Fake tasks: the kclass pointer carries constraints; exec is used as the
 * worker holding the task's input (locality), encoded as index + 1. */
static dag_task_t tasks[16];

static uint64_t loc(void *ctx, const dag_task_t *t, int w)
{
    (void)ctx;
    return (uintptr_t)t->exec == (uintptr_t)(w + 1) ? 1000 : 0;
}

static const char *archs[3] = {"default", "default", "mic"};

static int elig(void *ctx, const dag_task_t *t, int w)
{
    (void)ctx;
    return kclass_allows(t->kclass, archs[w]);
}

static int cost(void *ctx, const dag_task_t *t)
{
    (void)ctx;
    return t->kclass ? t->kclass->cpus : 1;
}

static int64_t mem(void *ctx, const dag_task_t *t)
{
    (void)ctx;
    return t->kclass ? t->kclass->memory_mb : 0;
}

/* Tasks with an even id are "short": two may wait in a busy worker's
 * queue. */
static int ahead(void *ctx, const dag_task_t *t)
{
    (void)ctx;
    return t->id % 2 == 0 ? 2 : 0;
}

static const sched_ops_t ops = {loc, elig, cost, mem, NULL};
static const sched_ops_t ops_ahead = {loc, elig, cost, mem, ahead};

static dag_task_t *task(int i, unsigned flags, const kclass_t *kc, int holder)
{
    memset(&tasks[i], 0, sizeof(tasks[i]));
    tasks[i].id = (uint64_t)i + 1;
    tasks[i].flags = (uint8_t)flags;
    tasks[i].kclass = kc;
    tasks[i].exec = (void *)(uintptr_t)holder;
    return &tasks[i];
}

static void test_order_priority_locality(void)
{
    int slots[3] = {1, 2, 1};
    sched_t *s = sched_create(3, slots, NULL, NULL, NULL, &ops, NULL);
    int w;
    sched_push(s, task(0, 0, NULL, 2));  /* input on worker 1 */
    sched_push(s, task(1, TESS_PRIORITY, NULL, 0));
    sched_push(s, task(2, 0, NULL, 1));  /* input on worker 0 */
    CU_ASSERT_PTR_EQUAL(sched_pick(s, &w), &tasks[1]); /* priority first */
    CU_ASSERT_EQUAL(w, 1); /* no input anywhere: most free slots */
    CU_ASSERT_PTR_EQUAL(sched_pick(s, &w), &tasks[0]);
    CU_ASSERT_EQUAL(w, 1); /* where its input is, a slot is still free */
    CU_ASSERT_PTR_EQUAL(sched_pick(s, &w), &tasks[2]);
    CU_ASSERT_EQUAL(w, 0); /* where its input is */
    CU_ASSERT_PTR_NULL(sched_pick(s, &w)); /* nothing queued */
    CU_ASSERT_EQUAL(sched_busy_slots(s), 3);
    sched_release(s, 0, &tasks[2]);
    CU_ASSERT_EQUAL(sched_busy_slots(s), 2);
    sched_destroy(s);
}

static void test_slots_arch_memory(void)
{
    kclasses_t *kt = kclasses_create();
    kclass_impl_t impl = {(char *)"mic", 7};
    const kclass_t *mic_only =
        kclasses_intern(kt, &(kclass_t){.kernel = 1, .arch = (char *)"mic"});
    const kclass_t *two_cpus =
        kclasses_intern(kt, &(kclass_t){.kernel = 1, .cpus = 2});
    const kclass_t *big =
        kclasses_intern(kt, &(kclass_t){.kernel = 1, .memory_mb = 600});
    const kclass_t *with_impl = kclasses_intern(
        kt, &(kclass_t){.kernel = 1, .nimpls = 1, .impls = &impl});
    CU_ASSERT_PTR_EQUAL(
        kclasses_intern(kt, &(kclass_t){.kernel = 1, .arch = (char *)"mic"}),
        mic_only); /* interned */
    CU_ASSERT_PTR_NOT_EQUAL(
        kclasses_intern(kt, &(kclass_t){.kernel = 1, .arch = (char *)"mic",
                                        .timeout_ms = 5}),
        mic_only); /* every option is part of the class */
    CU_ASSERT_EQUAL(kclass_kernel_for(with_impl, "mic"), 7);
    CU_ASSERT_EQUAL(kclass_kernel_for(with_impl, "default"), 1);

    int slots[3] = {2, 2, 2};
    int64_t memory[3] = {1000, 1000, 1000};
    sched_t *s = sched_create(3, slots, memory, NULL, NULL, &ops, NULL);
    int w;
    /* mic-only tasks go to worker 2 alone, and wait when it is full... */
    sched_push(s, task(0, 0, mic_only, 0));
    sched_push(s, task(1, 0, mic_only, 0));
    sched_push(s, task(2, 0, mic_only, 0));
    sched_push(s, task(3, 0, two_cpus, 0));
    CU_ASSERT_PTR_EQUAL(sched_pick(s, &w), &tasks[0]);
    CU_ASSERT_EQUAL(w, 2);
    CU_ASSERT_PTR_EQUAL(sched_pick(s, &w), &tasks[1]);
    CU_ASSERT_EQUAL(w, 2);
    /* ...while a task behind them takes a free default worker */
    CU_ASSERT_PTR_EQUAL(sched_pick(s, &w), &tasks[3]);
    CU_ASSERT(w == 0 || w == 1);
    int two = w;
    CU_ASSERT_EQUAL(sched_queued(s), 1);
    /* memory: 600 MiB tasks, 1000 MiB per worker: one per worker */
    sched_push(s, task(4, 0, big, 0));
    sched_push(s, task(5, 0, big, 0));
    CU_ASSERT_PTR_EQUAL(sched_pick(s, &w), &tasks[4]);
    CU_ASSERT_EQUAL(w, 1 - two); /* the other default worker */
    CU_ASSERT_PTR_NULL(sched_pick(s, &w)); /* 5 fits nowhere now */
    sched_release(s, 1 - two, &tasks[4]);
    CU_ASSERT_PTR_EQUAL(sched_pick(s, &w), &tasks[5]);
    sched_release(s, 2, &tasks[0]);
    CU_ASSERT_PTR_EQUAL(sched_pick(s, &w), &tasks[2]);
    CU_ASSERT_EQUAL(w, 2);
    CU_ASSERT_PTR_NULL(sched_take(s));
    sched_destroy(s);
    kclasses_destroy(kt);
}

static void test_queue_ahead(void)
{
    int slots[2] = {1, 1}, room[2] = {3, 1};
    sched_t *s = sched_create(2, slots, NULL, room, NULL, &ops_ahead, NULL);
    int w, placed[2] = {0, 0};
    /* ids 1..8: odd are long, even short */
    for (int i = 0; i < 8; i++)
        sched_push(s, task(i, 0, NULL, 0));
    dag_task_t *t;
    while ((t = sched_pick(s, &w)) != NULL) {
        placed[w]++;
        CU_ASSERT(t->id <= 2 || t->id % 2 == 0); /* long ones only on a slot */
    }
    /* the two slots, then short tasks in the queues: worker 0 two more
     * (its room is 3, the task's allowance 2), worker 1 one (room 1) */
    CU_ASSERT_EQUAL(placed[0], 3);
    CU_ASSERT_EQUAL(placed[1], 2);
    /* a long task waits for a free slot, never in a queue */
    CU_ASSERT_EQUAL(sched_queued(s), 3);
    sched_release(s, 1, &tasks[1]);
    CU_ASSERT_PTR_NULL(sched_pick(s, &w)); /* worker 1 still has one queued */
    sched_release(s, 1, &tasks[3]);
    t = sched_pick(s, &w);
    CU_ASSERT_PTR_NOT_NULL(t);
    CU_ASSERT_EQUAL(w, 1);
    sched_destroy(s);
    /* without the hook nothing ever waits in a queue */
    s = sched_create(2, slots, NULL, room, NULL, &ops, NULL);
    for (int i = 0; i < 4; i++)
        sched_push(s, task(i, 0, NULL, 0));
    int n = 0;
    while (sched_pick(s, &w))
        n++;
    CU_ASSERT_EQUAL(n, 2);
    sched_destroy(s);
}

static int register_tests(void)
{
    CU_pSuite s = CU_add_suite("sched", NULL, NULL);
    if (!s)
        return -1;
    CU_add_test(s, "order, priority, locality", test_order_priority_locality);
    CU_add_test(s, "slots, architectures, memory", test_slots_arch_memory);
    CU_add_test(s, "short tasks queue ahead on busy workers", test_queue_ahead);
    return 0;
}

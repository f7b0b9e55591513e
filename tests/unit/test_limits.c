/* test_limits.c: the executor's hard limit on Map concurrency
 * (sfn_exec_limits.map_concurrency_max, config limits.map_concurrency):
 * how many iterations of one Map run at once whatever MaxConcurrency says.
 * Concurrency is read from the history: iterations that started before the
 * first one finished were running together. */
#include "exec_run_util.h"

/* Each iteration waits an hour (simulated), so every iteration allowed to
 * run starts before any finishes. */
static const char map_def[] =
    "{'StartAt':'M','States':{'M':{'Type':'Map','MaxConcurrency':%d,"
    "'ItemProcessor':{'ProcessorConfig':{'Mode':'%s'},'StartAt':'W',"
    "'States':{'W':{'Type':'Wait','Seconds':3600,'End':true}}},"
    "'End':true}}}";

/* Runs the Map over n items and returns how many iterations started
 * before the first one succeeded; the run must succeed with n results. */
static size_t running_at_once(int max_concurrency, const char *mode,
                              uint32_t limit, size_t n)
{
    char def[512];
    snprintf(def, sizeof def, map_def, max_concurrency, mode);
    char *text = q(def);
    sfn_diags d;
    sfn_diags_init(&d);
    sfn_graph *g = NULL;
    sfn_asl_opts aopts = {0};
    assert_int_equal(sfn_asl_compile_text(text, strlen(text), &aopts, &d, &g),
                     SFN_OK);
    free(text);
    sfn_diags_free(&d);
    json_t *in = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(in, json_integer((json_int_t)i));
    sfn_run_opts o = {.limits = sfn_exec_limits_default()};
    o.limits.map_concurrency_max = limit;
    sfn_run_result r;
    assert_int_equal(sfn_run_memory(g, in, &o, &r), SFN_OK);
    json_decref(in);
    sfn_graph_unref(g);
    assert_int_equal(r.status, SFN_EXEC_SUCCEEDED);
    assert_int_equal(json_array_size(r.output), n);
    long first_done = nth_event(&r, SFN_EV_MapIterationSucceeded, 0);
    size_t started = 0;
    for (long i = 0; i < first_done; i++)
        started += r.events[i].type == SFN_EV_MapIterationStarted;
    sfn_run_result_free(&r);
    return started;
}

static void test_default_limit_is_1000(void **state)
{
    (void)state;
    assert_int_equal(sfn_exec_limits_default().map_concurrency_max, 1000);
}

static void test_concurrency_0_is_bounded_by_the_limit(void **state)
{
    (void)state;
    assert_int_equal(running_at_once(0, "INLINE", 3, 10), 3);
}

static void test_large_max_concurrency_is_bounded(void **state)
{
    (void)state;
    assert_int_equal(running_at_once(8, "INLINE", 3, 10), 3);
}

static void test_smaller_max_concurrency_wins(void **state)
{
    (void)state;
    assert_int_equal(running_at_once(2, "INLINE", 3, 10), 2);
}

static void test_limit_0_means_unbounded(void **state)
{
    (void)state;
    assert_int_equal(running_at_once(0, "INLINE", 0, 10), 10);
}

static void test_default_limit_applies(void **state)
{
    (void)state;
    assert_int_equal(running_at_once(0, "INLINE", 1000, 1100), 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_limit_is_1000),
        cmocka_unit_test(test_concurrency_0_is_bounded_by_the_limit),
        cmocka_unit_test(test_large_max_concurrency_is_bounded),
        cmocka_unit_test(test_smaller_max_concurrency_wins),
        cmocka_unit_test(test_limit_0_means_unbounded),
        cmocka_unit_test(test_default_limit_applies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

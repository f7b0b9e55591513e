/* test_engine_redrive.c: RedriveExecution in the durable engine on
 * simulated time, with mocked services failing the first time: the
 * execution restarts at the failed state and keeps what succeeded
 * (earlier states, Parallel branches, Map iterations), emits
 * ExecutionRedriven, counts $$.Execution.RedriveCount, and refuses what
 * AWS refuses (running or succeeded executions, compensated ones). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sfn_asl.h"
#include "sfn_engine.h"
#include "sfn_json.h"
#include "sfn_store.h"
#include "sfn_tasks.h"

#include "engine_fixture.h"

#define LAMBDA "arn:aws:states:::lambda:invoke"

static const char mocks[] =
    "{\"StateMachines\":{\"m\":{\"TestCases\":{\"t\":{"
    "\"B\":\"FailOnce\",\"P2\":\"FailOnce\",\"I\":\"SecondFails\","
    "\"A/Compensation\":\"Fine\"}}}},"
    "\"MockedResponses\":{"
    "\"FailOnce\":{\"0\":{\"Throw\":{\"Error\":\"Flaky\"}},"
    "\"1-99\":{\"Return\":{\"ok\":true}}},"
    "\"SecondFails\":{\"0\":{\"Return\":\"r0\"},\"1\":{\"Throw\":{\"Error\":"
    "\"Flaky\"}},\"2-99\":{\"Return\":\"rN\"}},"
    "\"Fine\":{\"0-99\":{\"Return\":{}}}}}";

typedef struct counts {
    int scheduled, redriven, failed_exec, entered;
    int64_t last_id, bad_order;
} counts;

static int count_event(const sfn_store_event *ev, void *ud)
{
    counts *c = ud;
    if (ev->id != c->last_id + 1)
        c->bad_order++;
    c->last_id = ev->id;
    c->scheduled += ev->type == SFN_EV_TaskScheduled;
    c->redriven += ev->type == SFN_EV_ExecutionRedriven;
    c->failed_exec += ev->type == SFN_EV_ExecutionFailed;
    c->entered += ev->type == SFN_EV_TaskStateEntered;
    return 0;
}

static counts history(efx *f, const char *arn)
{
    counts c = {0};
    sfn_exec_rec r = efx_get(f, arn);
    sfn_error err;
    assert_int_equal(sfn_store_get_history(f->store, r.id, 0, 0, false,
                                           count_event, &c, &err),
                     SFN_OK);
    sfn_exec_rec_free(&r);
    assert_int_equal(c.bad_order, 0); /* gap-free */
    return c;
}

static void test_sequence(void **state)
{
    (void)state;
    efx *f = efx_new(
        "{\"StartAt\":\"A\",\"States\":{"
        "\"A\":{\"Type\":\"Task\",\"Resource\":\"arn:stepd:task:echo\","
        "\"ResultPath\":\"$.a\",\"Next\":\"B\"},"
        "\"B\":{\"Type\":\"Task\",\"Resource\":\"" LAMBDA "\","
        "\"ResultPath\":\"$.b\",\"Next\":\"C\"},"
        "\"C\":{\"Type\":\"Pass\",\"Parameters\":{\"b.$\":\"$.b\","
        "\"redrives.$\":\"$$.Execution.RedriveCount\"},\"End\":true}}}", mocks, "redrive");
    char *arn = efx_start(f, "t", "{\"x\":1}");
    efx_run_idle(f);
    sfn_exec_rec r = efx_get(f, arn);
    assert_int_equal(r.status, SFN_EXEC_FAILED);
    assert_string_equal(r.error, "Flaky");
    sfn_exec_rec_free(&r);
    /* across a restart: the end's state is in the store */
    efx_close(f);
    efx_open(f);
    sfn_error err;
    assert_int_equal(sfn_engine_redrive(f->e, arn, &err), SFN_OK);
    efx_run_idle(f);
    r = efx_get(f, arn);
    assert_int_equal(r.status, SFN_EXEC_SUCCEEDED);
    assert_string_equal(r.output, "{\"b\":{\"ok\":true},\"redrives\":1}");
    assert_int_equal(r.redrive_count, 1);
    assert_true(r.redrive_ms >= EFX_T0);
    assert_null(r.error);
    sfn_exec_rec_free(&r);
    counts c = history(f, arn);
    assert_int_equal(c.redriven, 1);
    assert_int_equal(c.failed_exec, 1);
    assert_int_equal(c.scheduled, 3); /* A once, B twice */
    /* a succeeded execution is not redrivable */
    assert_int_not_equal(sfn_engine_redrive(f->e, arn, &err), SFN_OK);
    assert_string_equal(err.name, "ExecutionNotRedrivable");
    assert_non_null(strstr(err.cause, "SUCCEEDED"));
    assert_int_not_equal(sfn_engine_redrive(f->e, "arn:nope", &err), SFN_OK);
    assert_string_equal(err.name, "ExecutionDoesNotExist");
    free(arn);
    efx_free(f);
}

static void test_parallel_keeps_the_succeeded_branch(void **state)
{
    (void)state;
    efx *f = efx_new(
        "{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Parallel\","
        "\"Branches\":["
        "{\"StartAt\":\"P1\",\"States\":{\"P1\":{\"Type\":\"Task\","
        "\"Resource\":\"arn:stepd:task:echo\",\"Parameters\":{\"one\":1},"
        "\"End\":true}}},"
        "{\"StartAt\":\"W\",\"States\":{\"W\":{\"Type\":\"Wait\","
        "\"Seconds\":1,\"Next\":\"P2\"},\"P2\":{\"Type\":\"Task\","
        "\"Resource\":\"" LAMBDA "\",\"End\":true}}}],\"End\":true}}}", mocks, "redrive");
    char *arn = efx_start(f, "t", "{}");
    efx_run_idle(f);
    sfn_exec_rec r = efx_get(f, arn);
    assert_int_equal(r.status, SFN_EXEC_FAILED);
    sfn_exec_rec_free(&r);
    sfn_error err;
    assert_int_equal(sfn_engine_redrive(f->e, arn, &err), SFN_OK);
    efx_run_idle(f);
    r = efx_get(f, arn);
    assert_int_equal(r.status, SFN_EXEC_SUCCEEDED);
    assert_string_equal(r.output, "[{\"one\":1},{\"ok\":true}]");
    sfn_exec_rec_free(&r);
    counts c = history(f, arn);
    assert_int_equal(c.scheduled, 3); /* P1 once, P2 twice */
    free(arn);
    efx_free(f);
}

static void test_map_keeps_the_succeeded_iterations(void **state)
{
    (void)state;
    efx *f = efx_new(
        "{\"StartAt\":\"M\",\"States\":{\"M\":{\"Type\":\"Map\","
        "\"MaxConcurrency\":1,\"ItemProcessor\":{\"StartAt\":\"I\","
        "\"States\":{\"I\":{\"Type\":\"Task\",\"Resource\":\"" LAMBDA "\","
        "\"End\":true}}},\"End\":true}}}", mocks, "redrive");
    char *arn = efx_start(f, "t", "[1,2,3]");
    efx_run_idle(f);
    sfn_exec_rec r = efx_get(f, arn);
    assert_int_equal(r.status, SFN_EXEC_FAILED);
    sfn_exec_rec_free(&r);
    sfn_error err;
    assert_int_equal(sfn_engine_redrive(f->e, arn, &err), SFN_OK);
    efx_run_idle(f);
    r = efx_get(f, arn);
    assert_int_equal(r.status, SFN_EXEC_SUCCEEDED);
    assert_string_equal(r.output, "[\"r0\",\"rN\",\"rN\"]");
    sfn_exec_rec_free(&r);
    counts c = history(f, arn);
    assert_int_equal(c.scheduled, 4); /* item 0 once, item 1 twice, item 2 */
    free(arn);
    efx_free(f);
}

static void test_refused_after_compensation(void **state)
{
    (void)state;
    efx *f = efx_new(
        "{\"StartAt\":\"A\",\"States\":{"
        "\"A\":{\"Type\":\"Task\",\"Resource\":\"arn:stepd:task:echo\","
        "\"Compensation\":{\"Resource\":\"" LAMBDA "\"},\"Next\":\"B\"},"
        "\"B\":{\"Type\":\"Task\",\"Resource\":\"" LAMBDA "\",\"End\":true}}}", mocks, "redrive");
    char *arn = efx_start(f, "t", "{}");
    efx_run_idle(f);
    sfn_exec_rec r = efx_get(f, arn);
    assert_int_equal(r.status, SFN_EXEC_FAILED);
    assert_int_equal(r.comp_status, SFN_COMP_STATUS_SUCCEEDED);
    sfn_exec_rec_free(&r);
    sfn_error err;
    assert_int_not_equal(sfn_engine_redrive(f->e, arn, &err), SFN_OK);
    assert_string_equal(err.name, "ExecutionNotRedrivable");
    assert_non_null(strstr(err.cause, "compensation"));
    free(arn);
    efx_free(f);
}

static void test_allowed_after_compensation(void **state)
{
    (void)state;
    efx *f = efx_new(
        "{\"CompensationPolicy\":{\"AllowRedriveAfterCompensation\":true},"
        "\"StartAt\":\"A\",\"States\":{"
        "\"A\":{\"Type\":\"Task\",\"Resource\":\"arn:stepd:task:echo\","
        "\"Compensation\":{\"Resource\":\"" LAMBDA "\"},\"Next\":\"B\"},"
        "\"B\":{\"Type\":\"Task\",\"Resource\":\"" LAMBDA "\",\"End\":true}}}", mocks, "redrive");
    char *arn = efx_start(f, "t", "{}");
    efx_run_idle(f);
    sfn_error err;
    assert_int_equal(sfn_engine_redrive(f->e, arn, &err), SFN_OK);
    efx_run_idle(f);
    sfn_exec_rec r = efx_get(f, arn);
    assert_int_equal(r.status, SFN_EXEC_SUCCEEDED);
    assert_int_equal(r.redrive_count, 1);
    sfn_exec_rec_free(&r);
    free(arn);
    efx_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sequence),
        cmocka_unit_test(test_parallel_keeps_the_succeeded_branch),
        cmocka_unit_test(test_map_keeps_the_succeeded_iterations),
        cmocka_unit_test(test_refused_after_compensation),
        cmocka_unit_test(test_allowed_after_compensation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

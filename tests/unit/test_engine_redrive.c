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

#define T0 1700000000000LL
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

typedef struct fx {
    char path[64], mock_path[64];
    sfn_store *store;
    sfn_clock *clock;
    sfn_tasks *tasks;
    sfn_engine *e;
    sfn_graph *g;
} fx;

static sfn_graph *loader(void *ud, const char *machine, int64_t rev,
                         sfn_error *err)
{
    (void)machine;
    (void)rev;
    (void)err;
    return sfn_graph_ref(((fx *)ud)->g);
}

static void open_engine(fx *f)
{
    sfn_error err;
    assert_int_equal(sfn_store_open(f->path, NULL, &f->store, &err), SFN_OK);
    sfn_engine_opts o = {.store = f->store, .clock = f->clock,
                         .simulated_time = true, .load_graph = loader,
                         .load_ud = f, .tasks = f->tasks};
    f->e = sfn_engine_new(&o, &err);
    assert_non_null(f->e);
}

static void close_engine(fx *f)
{
    sfn_engine_free(f->e);
    sfn_store_close(f->store);
}

static fx *fx_new(const char *def)
{
    fx *f = calloc(1, sizeof *f);
    snprintf(f->path, sizeof f->path, "/tmp/stepd-redrive-%d.db", getpid());
    snprintf(f->mock_path, sizeof f->mock_path,
             "/tmp/stepd-redrive-%d.json", getpid());
    unlink(f->path);
    FILE *m = fopen(f->mock_path, "w");
    assert_non_null(m);
    fputs(mocks, m);
    fclose(m);
    sfn_tasks_config tc = {.mock_file = f->mock_path, .region = "us-east-1"};
    sfn_error err;
    f->tasks = sfn_tasks_new(&tc, &err);
    assert_non_null(f->tasks);
    f->clock = sfn_clock_fake_new(T0);
    sfn_diags d;
    sfn_diags_init(&d);
    assert_int_equal(sfn_asl_compile_text(def, strlen(def), NULL, &d, &f->g),
                     SFN_OK);
    sfn_diags_free(&d);
    open_engine(f);
    return f;
}

static void fx_free(fx *f)
{
    close_engine(f);
    sfn_tasks_free(f->tasks);
    sfn_graph_unref(f->g);
    sfn_clock_free(f->clock);
    char side[80];
    unlink(f->path);
    unlink(f->mock_path);
    snprintf(side, sizeof side, "%s-wal", f->path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", f->path);
    unlink(side);
    free(f);
}

static char *start(fx *f, const char *input)
{
    json_error_t je;
    json_t *in = json_loads(input, 0, &je);
    char *arn = NULL;
    sfn_error err;
    assert_int_equal(sfn_engine_start_case(f->e, "m", 1, f->g, NULL, in, "t",
                                           &arn, &err),
                     SFN_OK);
    json_decref(in);
    return arn;
}

static void run_idle(fx *f)
{
    sfn_error err;
    assert_int_equal(sfn_engine_run_until_idle(f->e, &err), SFN_OK);
}

static sfn_exec_rec get(fx *f, const char *arn)
{
    sfn_exec_rec r = {0};
    sfn_error err;
    assert_int_equal(sfn_store_get_execution(f->store, arn, &r, &err),
                     SFN_OK);
    return r;
}

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

static counts history(fx *f, const char *arn)
{
    counts c = {0};
    sfn_exec_rec r = get(f, arn);
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
    fx *f = fx_new(
        "{\"StartAt\":\"A\",\"States\":{"
        "\"A\":{\"Type\":\"Task\",\"Resource\":\"arn:stepd:task:echo\","
        "\"ResultPath\":\"$.a\",\"Next\":\"B\"},"
        "\"B\":{\"Type\":\"Task\",\"Resource\":\"" LAMBDA "\","
        "\"ResultPath\":\"$.b\",\"Next\":\"C\"},"
        "\"C\":{\"Type\":\"Pass\",\"Parameters\":{\"b.$\":\"$.b\","
        "\"redrives.$\":\"$$.Execution.RedriveCount\"},\"End\":true}}}");
    char *arn = start(f, "{\"x\":1}");
    run_idle(f);
    sfn_exec_rec r = get(f, arn);
    assert_int_equal(r.status, SFN_EXEC_FAILED);
    assert_string_equal(r.error, "Flaky");
    sfn_exec_rec_free(&r);
    /* across a restart: the end's state is in the store */
    close_engine(f);
    open_engine(f);
    sfn_error err;
    assert_int_equal(sfn_engine_redrive(f->e, arn, &err), SFN_OK);
    run_idle(f);
    r = get(f, arn);
    assert_int_equal(r.status, SFN_EXEC_SUCCEEDED);
    assert_string_equal(r.output, "{\"b\":{\"ok\":true},\"redrives\":1}");
    assert_int_equal(r.redrive_count, 1);
    assert_true(r.redrive_ms >= T0);
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
    fx_free(f);
}

static void test_parallel_keeps_the_succeeded_branch(void **state)
{
    (void)state;
    fx *f = fx_new(
        "{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Parallel\","
        "\"Branches\":["
        "{\"StartAt\":\"P1\",\"States\":{\"P1\":{\"Type\":\"Task\","
        "\"Resource\":\"arn:stepd:task:echo\",\"Parameters\":{\"one\":1},"
        "\"End\":true}}},"
        "{\"StartAt\":\"W\",\"States\":{\"W\":{\"Type\":\"Wait\","
        "\"Seconds\":1,\"Next\":\"P2\"},\"P2\":{\"Type\":\"Task\","
        "\"Resource\":\"" LAMBDA "\",\"End\":true}}}],\"End\":true}}}");
    char *arn = start(f, "{}");
    run_idle(f);
    sfn_exec_rec r = get(f, arn);
    assert_int_equal(r.status, SFN_EXEC_FAILED);
    sfn_exec_rec_free(&r);
    sfn_error err;
    assert_int_equal(sfn_engine_redrive(f->e, arn, &err), SFN_OK);
    run_idle(f);
    r = get(f, arn);
    assert_int_equal(r.status, SFN_EXEC_SUCCEEDED);
    assert_string_equal(r.output, "[{\"one\":1},{\"ok\":true}]");
    sfn_exec_rec_free(&r);
    counts c = history(f, arn);
    assert_int_equal(c.scheduled, 3); /* P1 once, P2 twice */
    free(arn);
    fx_free(f);
}

static void test_map_keeps_the_succeeded_iterations(void **state)
{
    (void)state;
    fx *f = fx_new(
        "{\"StartAt\":\"M\",\"States\":{\"M\":{\"Type\":\"Map\","
        "\"MaxConcurrency\":1,\"ItemProcessor\":{\"StartAt\":\"I\","
        "\"States\":{\"I\":{\"Type\":\"Task\",\"Resource\":\"" LAMBDA "\","
        "\"End\":true}}},\"End\":true}}}");
    char *arn = start(f, "[1,2,3]");
    run_idle(f);
    sfn_exec_rec r = get(f, arn);
    assert_int_equal(r.status, SFN_EXEC_FAILED);
    sfn_exec_rec_free(&r);
    sfn_error err;
    assert_int_equal(sfn_engine_redrive(f->e, arn, &err), SFN_OK);
    run_idle(f);
    r = get(f, arn);
    assert_int_equal(r.status, SFN_EXEC_SUCCEEDED);
    assert_string_equal(r.output, "[\"r0\",\"rN\",\"rN\"]");
    sfn_exec_rec_free(&r);
    counts c = history(f, arn);
    assert_int_equal(c.scheduled, 4); /* item 0 once, item 1 twice, item 2 */
    free(arn);
    fx_free(f);
}

static void test_refused_after_compensation(void **state)
{
    (void)state;
    fx *f = fx_new(
        "{\"StartAt\":\"A\",\"States\":{"
        "\"A\":{\"Type\":\"Task\",\"Resource\":\"arn:stepd:task:echo\","
        "\"Compensation\":{\"Resource\":\"" LAMBDA "\"},\"Next\":\"B\"},"
        "\"B\":{\"Type\":\"Task\",\"Resource\":\"" LAMBDA "\",\"End\":true}}}");
    char *arn = start(f, "{}");
    run_idle(f);
    sfn_exec_rec r = get(f, arn);
    assert_int_equal(r.status, SFN_EXEC_FAILED);
    assert_int_equal(r.comp_status, SFN_COMP_STATUS_SUCCEEDED);
    sfn_exec_rec_free(&r);
    sfn_error err;
    assert_int_not_equal(sfn_engine_redrive(f->e, arn, &err), SFN_OK);
    assert_string_equal(err.name, "ExecutionNotRedrivable");
    assert_non_null(strstr(err.cause, "compensation"));
    free(arn);
    fx_free(f);
}

static void test_allowed_after_compensation(void **state)
{
    (void)state;
    fx *f = fx_new(
        "{\"CompensationPolicy\":{\"AllowRedriveAfterCompensation\":true},"
        "\"StartAt\":\"A\",\"States\":{"
        "\"A\":{\"Type\":\"Task\",\"Resource\":\"arn:stepd:task:echo\","
        "\"Compensation\":{\"Resource\":\"" LAMBDA "\"},\"Next\":\"B\"},"
        "\"B\":{\"Type\":\"Task\",\"Resource\":\"" LAMBDA "\",\"End\":true}}}");
    char *arn = start(f, "{}");
    run_idle(f);
    sfn_error err;
    assert_int_equal(sfn_engine_redrive(f->e, arn, &err), SFN_OK);
    run_idle(f);
    sfn_exec_rec r = get(f, arn);
    assert_int_equal(r.status, SFN_EXEC_SUCCEEDED);
    assert_int_equal(r.redrive_count, 1);
    sfn_exec_rec_free(&r);
    free(arn);
    fx_free(f);
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

/* test_engine.c: the durable engine on a fake clock: a long Wait parks the
 * execution (it leaves memory, its row keeps the wake-up) and it is
 * brought back when due; retry back-off deadlines come from the clock and
 * survive a restart; execution TimeoutSeconds ends an execution TIMED_OUT;
 * many waiting executions cost rows, not memory. */
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

#define T0 1704067200000LL /* 2024-01-01T00:00:00Z */

static const char wait_def[] =
    "{\"StartAt\":\"W\",\"States\":{\"W\":{\"Type\":\"Wait\","
    "\"Seconds\":86400,\"Next\":\"D\"},\"D\":{\"Type\":\"Pass\","
    "\"Result\":\"woke\",\"End\":true}}}";
static const char retry_def[] =
    "{\"StartAt\":\"T\",\"States\":{\"T\":{\"Type\":\"Task\",\"Resource\":"
    "\"arn:stepd:task:fail\",\"Parameters\":{\"Error\":\"E\"},\"Retry\":"
    "[{\"ErrorEquals\":[\"E\"],\"IntervalSeconds\":10,\"BackoffRate\":3,"
    "\"MaxAttempts\":2}],\"End\":true}}}";
static const char timeout_def[] =
    "{\"TimeoutSeconds\":5,\"StartAt\":\"W\",\"States\":{\"W\":{\"Type\":"
    "\"Wait\",\"Seconds\":60,\"End\":true}}}";

typedef struct fx {
    char path[64];
    sfn_store *store;
    sfn_clock *clock;
    sfn_engine *e;
    sfn_graph *g;
} fx;

static sfn_graph *compile(const char *text)
{
    sfn_diags d;
    sfn_diags_init(&d);
    sfn_graph *g = NULL;
    assert_int_equal(sfn_asl_compile_text(text, strlen(text), NULL, &d, &g),
                     SFN_OK);
    sfn_diags_free(&d);
    return g;
}

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
                         .load_ud = f};
    f->e = sfn_engine_new(&o, &err);
    assert_non_null(f->e);
}

static void close_engine(fx *f)
{
    sfn_engine_free(f->e);
    sfn_store_close(f->store);
    f->e = NULL;
    f->store = NULL;
}

static fx *fx_new(const char *def)
{
    fx *f = calloc(1, sizeof *f);
    snprintf(f->path, sizeof f->path, "/tmp/stepd-engine-%d.db", getpid());
    unlink(f->path);
    f->clock = sfn_clock_fake_new(T0);
    f->g = compile(def);
    open_engine(f);
    return f;
}

static void fx_free(fx *f)
{
    close_engine(f);
    sfn_graph_unref(f->g);
    sfn_clock_free(f->clock);
    char side[80];
    unlink(f->path);
    snprintf(side, sizeof side, "%s-wal", f->path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", f->path);
    unlink(side);
    free(f);
}

static sfn_exec_rec get(fx *f, const char *arn)
{
    sfn_exec_rec r = {0};
    sfn_error err;
    assert_int_equal(sfn_store_get_execution(f->store, arn, &r, &err), SFN_OK);
    return r;
}

static void test_long_wait_parks_and_wakes(void **state)
{
    (void)state;
    fx *f = fx_new(wait_def);
    json_t *in = json_object();
    char *arn[50];
    sfn_error err;
    for (int i = 0; i < 50; i++)
        assert_int_equal(sfn_engine_start(f->e, "w", 1, f->g, NULL, in,
                                          &arn[i], &err), SFN_OK);
    assert_int_equal(sfn_engine_poll(f->e, 0, NULL, &err), SFN_OK);
    /* all 50 wait a day: they are rows, not live executions */
    assert_int_equal(sfn_engine_running(f->e), 50);
    assert_int_equal(sfn_engine_get_stats(f->e).live, 0);
    assert_int_equal(sfn_engine_get_stats(f->e).parked, 50);
    sfn_exec_rec r = get(f, arn[0]);
    assert_int_equal(r.status, SFN_EXEC_RUNNING);
    assert_int_equal(r.wake_ms, T0 + 86400000LL);
    sfn_exec_rec_free(&r);
    /* simulated time jumps to the wake-up and every one finishes */
    assert_int_equal(sfn_engine_run_until_idle(f->e, &err), SFN_OK);
    assert_int_equal(sfn_engine_running(f->e), 0);
    for (int i = 0; i < 50; i++) {
        r = get(f, arn[i]);
        assert_int_equal(r.status, SFN_EXEC_SUCCEEDED);
        assert_string_equal(r.output, "\"woke\"");
        assert_true(r.stop_ms >= T0 + 86400000LL);
        sfn_exec_rec_free(&r);
        free(arn[i]);
    }
    json_decref(in);
    fx_free(f);
}

static void test_retry_deadline_survives_restart(void **state)
{
    (void)state;
    fx *f = fx_new(retry_def);
    json_t *in = json_object();
    char *arn = NULL;
    sfn_error err;
    assert_int_equal(sfn_engine_start(f->e, "r", 1, f->g, NULL, in, &arn,
                                      &err), SFN_OK);
    /* round 1 commits the first failure and arms the 10 s back-off */
    assert_int_equal(sfn_engine_poll(f->e, 0, NULL, &err), SFN_OK);
    assert_int_equal(sfn_engine_poll(f->e, 0, NULL, &err), SFN_OK);
    sfn_exec_rec r = get(f, arn);
    assert_int_equal(r.status, SFN_EXEC_RUNNING);
    assert_int_equal(r.wake_ms, T0 + 10000);
    sfn_exec_rec_free(&r);
    /* "crash": drop the engine, restart on the same database */
    close_engine(f);
    sfn_clock_fake_advance(f->clock, 4000);
    open_engine(f);
    size_t resumed = 0;
    assert_int_equal(sfn_engine_recover(f->e, &resumed, &err), SFN_OK);
    assert_int_equal(resumed, 1);
    assert_int_equal(sfn_engine_run_until_idle(f->e, &err), SFN_OK);
    r = get(f, arn);
    assert_int_equal(r.status, SFN_EXEC_FAILED);
    assert_string_equal(r.error, "E");
    /* attempts at T0, T0+10 s and T0+10+30 s: the deadline was kept */
    assert_int_equal(r.stop_ms, T0 + 40000);
    sfn_exec_rec_free(&r);
    free(arn);
    json_decref(in);
    fx_free(f);
}

typedef struct ev_ctx {
    int timed_out, aborted_wait;
} ev_ctx;

static int count_ev(const sfn_store_event *e, void *ud)
{
    ev_ctx *c = ud;
    c->timed_out += e->type == SFN_EV_ExecutionTimedOut;
    c->aborted_wait += e->type == SFN_EV_WaitStateAborted;
    return 0;
}

static void test_execution_timeout(void **state)
{
    (void)state;
    fx *f = fx_new(timeout_def);
    json_t *in = json_object();
    char *arn = NULL;
    sfn_error err;
    assert_int_equal(sfn_engine_start(f->e, "t", 1, f->g, NULL, in, &arn,
                                      &err), SFN_OK);
    assert_int_equal(sfn_engine_run_until_idle(f->e, &err), SFN_OK);
    sfn_exec_rec r = get(f, arn);
    assert_int_equal(r.status, SFN_EXEC_TIMED_OUT);
    assert_string_equal(r.error, "States.Timeout");
    assert_int_equal(r.stop_ms, T0 + 5000);
    ev_ctx c = {0};
    assert_int_equal(sfn_store_get_history(f->store, r.id, 0, 0, false,
                                           count_ev, &c, &err), SFN_OK);
    assert_int_equal(c.timed_out, 1);
    sfn_exec_rec_free(&r);
    free(arn);
    json_decref(in);
    fx_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_long_wait_parks_and_wakes),
        cmocka_unit_test(test_retry_deadline_survives_restart),
        cmocka_unit_test(test_execution_timeout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_engine.c: the durable engine on a fake clock: a long Wait parks the
 * execution (it leaves memory, its row keeps the wake-up) and it is
 * brought back when due; retry back-off deadlines come from the clock and
 * survive a restart; execution TimeoutSeconds ends an execution TIMED_OUT;
 * many waiting executions cost rows, not memory.  The store comes from
 * engine_fixture.h (SQLite, or PostgreSQL in the _pg twin). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine_fixture.h"
#include "sfn_json.h"

#define T0 EFX_T0

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

static void test_long_wait_parks_and_wakes(void **state)
{
    (void)state;
    efx *f = efx_new(wait_def, NULL, "engine");
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
    sfn_exec_rec r = efx_get(f, arn[0]);
    assert_int_equal(r.status, SFN_EXEC_RUNNING);
    assert_int_equal(r.wake_ms, T0 + 86400000LL);
    sfn_exec_rec_free(&r);
    /* simulated time jumps to the wake-up and every one finishes */
    assert_int_equal(sfn_engine_run_until_idle(f->e, &err), SFN_OK);
    assert_int_equal(sfn_engine_running(f->e), 0);
    for (int i = 0; i < 50; i++) {
        r = efx_get(f, arn[i]);
        assert_int_equal(r.status, SFN_EXEC_SUCCEEDED);
        assert_string_equal(r.output, "\"woke\"");
        assert_true(r.stop_ms >= T0 + 86400000LL);
        sfn_exec_rec_free(&r);
        free(arn[i]);
    }
    json_decref(in);
    efx_free(f);
}

static void test_retry_deadline_survives_restart(void **state)
{
    (void)state;
    efx *f = efx_new(retry_def, NULL, "engine");
    json_t *in = json_object();
    char *arn = NULL;
    sfn_error err;
    assert_int_equal(sfn_engine_start(f->e, "r", 1, f->g, NULL, in, &arn,
                                      &err), SFN_OK);
    /* round 1 commits the first failure and arms the 10 s back-off */
    assert_int_equal(sfn_engine_poll(f->e, 0, NULL, &err), SFN_OK);
    assert_int_equal(sfn_engine_poll(f->e, 0, NULL, &err), SFN_OK);
    sfn_exec_rec r = efx_get(f, arn);
    assert_int_equal(r.status, SFN_EXEC_RUNNING);
    assert_int_equal(r.wake_ms, T0 + 10000);
    sfn_exec_rec_free(&r);
    /* "crash": drop the engine, restart on the same database */
    efx_close(f);
    sfn_clock_fake_advance(f->clock, 4000);
    efx_open(f);
    size_t resumed = 0;
    assert_int_equal(sfn_engine_recover(f->e, &resumed, &err), SFN_OK);
    assert_int_equal(resumed, 1);
    assert_int_equal(sfn_engine_run_until_idle(f->e, &err), SFN_OK);
    r = efx_get(f, arn);
    assert_int_equal(r.status, SFN_EXEC_FAILED);
    assert_string_equal(r.error, "E");
    /* attempts at T0, T0+10 s and T0+10+30 s: the deadline was kept */
    assert_int_equal(r.stop_ms, T0 + 40000);
    sfn_exec_rec_free(&r);
    free(arn);
    json_decref(in);
    efx_free(f);
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
    efx *f = efx_new(timeout_def, NULL, "engine");
    json_t *in = json_object();
    char *arn = NULL;
    sfn_error err;
    assert_int_equal(sfn_engine_start(f->e, "t", 1, f->g, NULL, in, &arn,
                                      &err), SFN_OK);
    assert_int_equal(sfn_engine_run_until_idle(f->e, &err), SFN_OK);
    sfn_exec_rec r = efx_get(f, arn);
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
    efx_free(f);
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

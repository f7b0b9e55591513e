/* test_engine_comp.c: compensation (docs/compensation.md) in the durable
 * engine on simulated time, with mocked services for the steps and their
 * undos: reverse order across sequential steps, Parallel branches and Map
 * iterations; the undo's input; a compensation that fails then succeeds
 * on retry and one that exhausts its retries while the others still run;
 * Catch with Compensate; PointOfNoReturn; OnUnknownOutcome; StopExecution
 * with and without compensation; a restart in the middle of a
 * compensation that runs no undo twice. */
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


/* A step: echo; its undo: a mocked service ("Undo<name>" responses). */
#define STEP(name, next)                                                   \
    "\"" name "\":{\"Type\":\"Task\",\"Resource\":\"arn:stepd:task:echo\"," \
    "\"Parameters\":{\"step\":\"" name "\",\"n.$\":\"$.n\"},"              \
    "\"ResultPath\":\"$." name "\",\"Compensation\":{\"Resource\":"        \
    "\"arn:aws:states:::lambda:invoke\",\"Parameters\":{\"undo\":\"" name  \
    "\",\"in.$\":\"$.input\",\"res.$\":\"$.result\",\"why.$\":"            \
    "\"$.error.Error\"}},\"Next\":\"" next "\"}"

#define FAIL_STATE                                                          \
    "\"Boom\":{\"Type\":\"Task\",\"Resource\":\"arn:stepd:task:fail\","     \
    "\"Parameters\":{\"Error\":\"Shipping.Failed\",\"Cause\":\"no truck\"}," \
    "\"End\":true}"

static const char seq_def[] =
    "{\"StartAt\":\"A\",\"States\":{" STEP("A", "B") "," STEP("B", "Boom")
    "," FAIL_STATE "}}";

static const char mocks[] =
    "{\"StateMachines\":{\"m\":{\"TestCases\":{"
    "\"ok\":{\"A/Compensation\":\"Fine\",\"B/Compensation\":\"Fine\","
    "\"P1/Compensation\":\"Fine\",\"P2/Compensation\":\"Fine\","
    "\"I/Compensation\":\"Fine\",\"C/Compensation\":\"Fine\","
    "\"T/Compensation\":\"Fine\"},"
    "\"flaky\":{\"A/Compensation\":\"Fine\",\"B/Compensation\":\"Flaky\"},"
    "\"broken\":{\"A/Compensation\":\"Fine\",\"B/Compensation\":\"Broken\"}"
    "}}},\"MockedResponses\":{"
    "\"Fine\":{\"0-99\":{\"Return\":{\"undone\":true}}},"
    "\"Flaky\":{\"0-1\":{\"Throw\":{\"Error\":\"Busy\",\"Cause\":\"later\"}},"
    "\"2-99\":{\"Return\":{\"undone\":true}}},"
    "\"Broken\":{\"0-99\":{\"Throw\":{\"Error\":\"Gone\"}}}}}";

/* The history as "Type" or "Type:state" for compensation events. */
typedef struct hist {
    char text[4096];
    json_t *scheduled_inputs; /* CompensationStepScheduled inputs */
} hist;

static int on_event(const sfn_store_event *ev, void *ud)
{
    hist *h = ud;
    const char *name = sfn_event_type_name((sfn_event_type)ev->type);
    json_error_t je;
    json_t *d = ev->details ? json_loads(ev->details, 0, &je) : NULL;
    const char *state = json_string_value(json_object_get(d, "state"));
    size_t n = strlen(h->text);
    if (!strncmp(name, "Compensation", 12) && state)
        snprintf(h->text + n, sizeof h->text - n, "%s%s:%s", n ? "," : "",
                 name + 12, state);
    else if (!strncmp(name, "Compensation", 12))
        snprintf(h->text + n, sizeof h->text - n, "%s%s", n ? "," : "",
                 name);
    if (ev->type == SFN_EV_CompensationStepScheduled) {
        json_t *in = json_loads(
            json_string_value(json_object_get(d, "input")), 0, &je);
        json_array_append_new(h->scheduled_inputs, in);
    }
    if (ev->type == SFN_EV_ExecutionFailed ||
        ev->type == SFN_EV_ExecutionSucceeded ||
        ev->type == SFN_EV_ExecutionAborted) {
        n = strlen(h->text);
        snprintf(h->text + n, sizeof h->text - n, ",%s", name);
    }
    json_decref(d);
    return 0;
}

static void history(efx *f, const char *arn, hist *h)
{
    memset(h->text, 0, sizeof h->text);
    h->scheduled_inputs = json_array();
    sfn_exec_rec r = efx_get(f, arn);
    sfn_error err;
    assert_int_equal(sfn_store_get_history(f->store, r.id, 0, 0, false,
                                           on_event, h, &err),
                     SFN_OK);
    sfn_exec_rec_free(&r);
}

/* ---- tests ------------------------------------------------------------- */

static void test_reverse_order_and_input(void **state)
{
    (void)state;
    efx *f = efx_new(seq_def, mocks, "comp");
    char *arn = efx_start(f, "ok", "{\"n\":7}");
    efx_run_idle(f);
    sfn_exec_rec r = efx_get(f, arn);
    assert_int_equal(r.status, SFN_EXEC_FAILED);
    assert_string_equal(r.error, "Shipping.Failed");
    assert_string_equal(r.cause, "no truck");
    assert_int_equal(r.comp_status, SFN_COMP_STATUS_SUCCEEDED);
    sfn_exec_rec_free(&r);
    hist h;
    history(f, arn, &h);
    assert_string_equal(h.text,
                        "CompensationStarted,"
                        "StepScheduled:B,StepSucceeded:B,"
                        "StepScheduled:A,StepSucceeded:A,"
                        "CompensationEnded,ExecutionFailed");
    /* the undo of B sees B's effective input, its result and the error */
    json_t *b = json_array_get(h.scheduled_inputs, 0);
    assert_string_equal(json_string_value(json_object_get(b, "undo")), "B");
    assert_string_equal(json_string_value(json_object_get(b, "why")),
                        "Shipping.Failed");
    json_t *in = json_object_get(b, "in");
    assert_string_equal(json_string_value(json_object_get(in, "step")), "B");
    assert_int_equal(json_integer_value(json_object_get(in, "n")), 7);
    json_t *res = json_object_get(b, "res");
    assert_string_equal(json_string_value(json_object_get(res, "step")), "B");
    json_decref(h.scheduled_inputs);
    free(arn);
    efx_free(f);
}

static void test_retry_then_success_and_exhausted(void **state)
{
    (void)state;
    efx *f = efx_new(seq_def, mocks, "comp");
    char *flaky = efx_start(f, "flaky", "{\"n\":1}");
    char *broken = efx_start(f, "broken", "{\"n\":2}");
    efx_run_idle(f);
    sfn_exec_rec r = efx_get(f, flaky);
    assert_int_equal(r.status, SFN_EXEC_FAILED);
    assert_int_equal(r.comp_status, SFN_COMP_STATUS_SUCCEEDED);
    sfn_exec_rec_free(&r);
    hist h;
    history(f, flaky, &h);
    assert_string_equal(h.text,
                        "CompensationStarted,"
                        "StepScheduled:B,StepFailed:B,"
                        "StepScheduled:B,StepFailed:B,"
                        "StepScheduled:B,StepSucceeded:B,"
                        "StepScheduled:A,StepSucceeded:A,"
                        "CompensationEnded,ExecutionFailed");
    json_decref(h.scheduled_inputs);

    /* never succeeds: gives up after RetryForSeconds; A still runs */
    r = efx_get(f, broken);
    assert_int_equal(r.status, SFN_EXEC_FAILED);
    assert_string_equal(r.error, "Shipping.Failed");
    assert_int_equal(r.comp_status, SFN_COMP_STATUS_FAILED);
    sfn_exec_rec_free(&r);
    history(f, broken, &h);
    assert_non_null(strstr(h.text, "StepFailed:B,StepScheduled:A,"
                                   "StepSucceeded:A,CompensationEnded,"
                                   "ExecutionFailed"));
    json_decref(h.scheduled_inputs);
    free(flaky);
    free(broken);
    efx_free(f);
}

static void test_own_retry_exhausted(void **state)
{
    (void)state;
    efx *f = efx_new(
        "{\"StartAt\":\"A\",\"States\":{" STEP("A", "B") ","
        "\"B\":{\"Type\":\"Task\",\"Resource\":\"arn:stepd:task:echo\","
        "\"Compensation\":{\"Resource\":\"arn:aws:states:::lambda:invoke\","
        "\"Retry\":[{\"ErrorEquals\":[\"Gone\"],\"MaxAttempts\":2,"
        "\"IntervalSeconds\":1}]},\"Next\":\"Boom\"}," FAIL_STATE "}}", mocks, "comp");
    char *arn = efx_start(f, "broken", "{\"n\":0}");
    efx_run_idle(f);
    hist h;
    history(f, arn, &h);
    assert_string_equal(h.text,
                        "CompensationStarted,"
                        "StepScheduled:B,StepFailed:B,"
                        "StepScheduled:B,StepFailed:B,"
                        "StepScheduled:B,StepFailed:B,"
                        "StepScheduled:A,StepSucceeded:A,"
                        "CompensationEnded,ExecutionFailed");
    json_decref(h.scheduled_inputs);
    sfn_exec_rec r = efx_get(f, arn);
    assert_int_equal(r.comp_status, SFN_COMP_STATUS_FAILED);
    sfn_exec_rec_free(&r);
    free(arn);
    efx_free(f);
}

static void test_parallel_and_map(void **state)
{
    (void)state;
    efx *f = efx_new(
        "{\"StartAt\":\"A\",\"States\":{" STEP("A", "P") ","
        "\"P\":{\"Type\":\"Parallel\",\"ResultPath\":null,\"Branches\":["
        "{\"StartAt\":\"P1\",\"States\":{" STEP("P1", "W1") ","
        "\"W1\":{\"Type\":\"Pass\",\"End\":true}}},"
        "{\"StartAt\":\"W2\",\"States\":{\"W2\":{\"Type\":\"Wait\","
        "\"Seconds\":5,\"Next\":\"P2\"}," STEP("P2", "E2") ","
        "\"E2\":{\"Type\":\"Pass\",\"End\":true}}}],\"Next\":\"M\"},"
        "\"M\":{\"Type\":\"Map\",\"ItemsPath\":\"$.items\",\"ResultPath\":"
        "null,\"MaxConcurrency\":1,\"ItemProcessor\":{\"StartAt\":\"I\","
        "\"States\":{\"I\":{\"Type\":\"Task\",\"Resource\":"
        "\"arn:stepd:task:echo\",\"Compensation\":{\"Resource\":"
        "\"arn:aws:states:::lambda:invoke\",\"Parameters\":{\"item.$\":"
        "\"$.input\"}},\"End\":true}}},\"Next\":\"Boom\"}," FAIL_STATE "}}", mocks, "comp");
    char *arn = efx_start(f, "ok", "{\"n\":1,\"items\":[10,20]}");
    efx_run_idle(f);
    hist h;
    history(f, arn, &h);
    /* completion order: A, P1, P2 (after its Wait), I[10], I[20] */
    assert_string_equal(h.text,
                        "CompensationStarted,"
                        "StepScheduled:I,StepSucceeded:I,"
                        "StepScheduled:I,StepSucceeded:I,"
                        "StepScheduled:P2,StepSucceeded:P2,"
                        "StepScheduled:P1,StepSucceeded:P1,"
                        "StepScheduled:A,StepSucceeded:A,"
                        "CompensationEnded,ExecutionFailed");
    assert_int_equal(json_integer_value(json_object_get(
                         json_array_get(h.scheduled_inputs, 0), "item")),
                     20);
    assert_int_equal(json_integer_value(json_object_get(
                         json_array_get(h.scheduled_inputs, 1), "item")),
                     10);
    json_decref(h.scheduled_inputs);
    free(arn);
    efx_free(f);
}

static void test_catch_compensates_and_continues(void **state)
{
    (void)state;
    efx *f = efx_new(
        "{\"StartAt\":\"A\",\"States\":{" STEP("A", "B") ","
        "\"B\":{\"Type\":\"Task\",\"Resource\":\"arn:stepd:task:fail\","
        "\"Parameters\":{\"Error\":\"Nope\"},\"Catch\":[{\"ErrorEquals\":"
        "[\"States.ALL\"],\"Compensate\":true,\"ResultPath\":\"$.err\","
        "\"Next\":\"Fallback\"}],\"End\":true},"
        "\"Fallback\":{\"Type\":\"Pass\",\"End\":true}}}", mocks, "comp");
    char *arn = efx_start(f, "ok", "{\"n\":3}");
    efx_run_idle(f);
    sfn_exec_rec r = efx_get(f, arn);
    assert_int_equal(r.status, SFN_EXEC_SUCCEEDED);
    assert_int_equal(r.comp_status, SFN_COMP_STATUS_SUCCEEDED);
    assert_non_null(strstr(r.output, "\"Error\":\"Nope\""));
    sfn_exec_rec_free(&r);
    hist h;
    history(f, arn, &h);
    assert_string_equal(h.text,
                        "CompensationStarted,StepScheduled:A,"
                        "StepSucceeded:A,CompensationEnded,"
                        "ExecutionSucceeded");
    json_decref(h.scheduled_inputs);
    free(arn);
    efx_free(f);
}

static void test_point_of_no_return(void **state)
{
    (void)state;
    efx *f = efx_new(
        "{\"StartAt\":\"A\",\"States\":{" STEP("A", "B") ","
        "\"B\":{\"Type\":\"Task\",\"Resource\":\"arn:stepd:task:echo\","
        "\"PointOfNoReturn\":true,\"Compensation\":{\"Resource\":"
        "\"arn:aws:states:::lambda:invoke\"},\"Next\":\"C\"},"
        STEP("C", "Boom") "," FAIL_STATE "}}", mocks, "comp");
    char *arn = efx_start(f, "ok", "{\"n\":4}");
    efx_run_idle(f);
    hist h;
    history(f, arn, &h);
    assert_string_equal(h.text, "CompensationStarted,StepScheduled:C,"
                                "StepSucceeded:C,CompensationEnded,"
                                "ExecutionFailed");
    json_decref(h.scheduled_inputs);
    free(arn);
    efx_free(f);
}

static void test_unknown_outcome_opt_in(void **state)
{
    (void)state;
    static const char def[] =
        "{\"StartAt\":\"A\",\"States\":{" STEP("A", "T") ","
        "\"T\":{\"Type\":\"Task\",\"Resource\":\"arn:stepd:task:sleep\","
        "\"TimeoutSeconds\":2,\"Compensation\":{\"Resource\":"
        "\"arn:aws:states:::lambda:invoke\",\"OnUnknownOutcome\":%s},"
        "\"End\":true}}}";
    char text[2048];
    for (int opt = 0; opt < 2; opt++) {
        snprintf(text, sizeof text, def, opt ? "true" : "false");
        efx *f = efx_new(text, mocks, "comp");
        char *arn = efx_start(f, "ok", "{\"n\":5}");
        efx_run_idle(f);
        hist h;
        history(f, arn, &h);
        assert_string_equal(h.text,
                            opt ? "CompensationStarted,StepScheduled:T,"
                                  "StepSucceeded:T,StepScheduled:A,"
                                  "StepSucceeded:A,CompensationEnded,"
                                  "ExecutionFailed"
                                : "CompensationStarted,StepScheduled:A,"
                                  "StepSucceeded:A,CompensationEnded,"
                                  "ExecutionFailed");
        /* an unknown outcome has no result */
        if (opt)
            assert_true(json_is_null(json_object_get(
                json_array_get(h.scheduled_inputs, 0), "result")) ||
                        !json_object_get(json_array_get(h.scheduled_inputs,
                                                        0),
                                         "res"));
        json_decref(h.scheduled_inputs);
        free(arn);
        efx_free(f);
    }
}

static void test_stop_with_and_without(void **state)
{
    (void)state;
    static const char def[] =
        "{\"StartAt\":\"A\",\"States\":{" STEP("A", "W") ","
        "\"W\":{\"Type\":\"Wait\",\"Seconds\":600,\"End\":true}}}";
    for (int comp = 0; comp < 2; comp++) {
        efx *f = efx_new(def, mocks, "comp");
        char *arn = efx_start(f, "ok", "{\"n\":6}");
        sfn_error err;
        int64_t made = 0;
        /* run until the Wait: A has completed */
        for (int i = 0; i < 2; i++)
            if (sfn_engine_poll(f->e, 0, &made, &err) != SFN_OK)
                fail_msg("poll: %s", err.cause);
        sfn_exec_rec r = efx_get(f, arn);
        assert_int_equal(r.status, SFN_EXEC_RUNNING);
        sfn_exec_rec_free(&r);
        /* the stop call needs the engine thread; drive it directly */
        efx_close(f);
        efx_open(f);
        sfn_engine_recover(f->e, NULL, &err);
        assert_int_equal(sfn_engine_stop(f->e, arn, NULL, NULL, comp != 0,
                                         &err),
                         SFN_OK);
        efx_run_idle(f);
        r = efx_get(f, arn);
        assert_int_equal(r.status, SFN_EXEC_ABORTED);
        assert_int_equal(r.comp_status, comp ? SFN_COMP_STATUS_SUCCEEDED
                                             : SFN_COMP_STATUS_NONE);
        sfn_exec_rec_free(&r);
        hist h;
        history(f, arn, &h);
        assert_string_equal(h.text,
                            comp ? "CompensationStarted,StepScheduled:A,"
                                   "StepSucceeded:A,CompensationEnded,"
                                   "ExecutionAborted"
                                 : ",ExecutionAborted");
        json_decref(h.scheduled_inputs);
        free(arn);
        efx_free(f);
    }
}

static void test_restart_mid_compensation(void **state)
{
    (void)state;
    efx *f = efx_new(seq_def, mocks, "comp");
    char *arn = efx_start(f, "flaky", "{\"n\":8}");
    sfn_error err;
    /* rounds until B's undo has failed once and waits in back-off */
    hist h;
    for (int i = 0; i < 50; i++) {
        assert_int_equal(sfn_engine_poll(f->e, 0, NULL, &err), SFN_OK);
        history(f, arn, &h);
        bool there = strstr(h.text, "StepFailed:B") != NULL;
        json_decref(h.scheduled_inputs);
        if (there)
            break;
    }
    efx_close(f); /* as a crash after the commit */
    efx_open(f);
    size_t resumed = 0;
    assert_int_equal(sfn_engine_recover(f->e, &resumed, &err), SFN_OK);
    assert_int_equal(resumed, 1);
    efx_run_idle(f);
    sfn_exec_rec r = efx_get(f, arn);
    assert_int_equal(r.status, SFN_EXEC_FAILED);
    assert_int_equal(r.comp_status, SFN_COMP_STATUS_SUCCEEDED);
    sfn_exec_rec_free(&r);
    history(f, arn, &h);
    /* every undo succeeded exactly once, in order, after the restart */
    assert_string_equal(h.text,
                        "CompensationStarted,"
                        "StepScheduled:B,StepFailed:B,"
                        "StepScheduled:B,StepFailed:B,"
                        "StepScheduled:B,StepSucceeded:B,"
                        "StepScheduled:A,StepSucceeded:A,"
                        "CompensationEnded,ExecutionFailed");
    json_decref(h.scheduled_inputs);
    free(arn);
    efx_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reverse_order_and_input),
        cmocka_unit_test(test_retry_then_success_and_exhausted),
        cmocka_unit_test(test_own_retry_exhausted),
        cmocka_unit_test(test_parallel_and_map),
        cmocka_unit_test(test_catch_compensates_and_continues),
        cmocka_unit_test(test_point_of_no_return),
        cmocka_unit_test(test_unknown_outcome_opt_in),
        cmocka_unit_test(test_stop_with_and_without),
        cmocka_unit_test(test_restart_mid_compensation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

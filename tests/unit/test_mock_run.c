/* test_mock_run.c: `stepd run --test-case` through the real binary on the
 * samples/mock-testing sample: both test cases end as the mocks dictate and
 * record the same history as real tasks; a missing test case, a missing or
 * bad mock file and an invocation the mocks do not cover fail clearly. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>

#include "cli_harness.h"

#define SAMPLE "samples/mock-testing/process-order.asl.json"
#define SAMPLE_INPUT "samples/mock-testing/process-order.input.json"
#define SAMPLE_MOCKS "samples/mock-testing/mocks.json"

static int setup(void **state)
{
    (void)state;
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    cli_db_release();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static json_t *parse(const char *text)
{
    json_error_t e;
    json_t *v = json_loads(text, 0, &e);
    if (!v)
        print_error("not JSON: %s\n%s\n", e.text, text);
    assert_non_null(v);
    return v;
}

/* Runs the sample under test case `tc` into a fresh database `db_name`
 * (cli_db); returns the --json result and sets *status. */
static json_t *run_case(const char *tc, const char *mocks, const char *db_name,
                        int *status)
{
    char db[PGFX_URL_MAX];
    cli_db(db, sizeof db, db_name);
    const char *args[] = {"run", SAMPLE, "--input-file", SAMPLE_INPUT,
                          "--mock-config", mocks, "--test-case", tc,
                          "--db", db, "--json", NULL};
    run_result r = run(NULL, args);
    if (r.status != 0 && r.status != 1)
        print_error("stepd run exited %d:\n%s\n", r.status, r.err);
    *status = r.status;
    json_t *o = r.status == 0 || r.status == 1 ? parse(r.out) : NULL;
    run_free(&r);
    return o;
}

/* GetExecutionHistory's events of `arn` in database `db_name`. */
static json_t *history(const char *db_name, const char *arn)
{
    char db[PGFX_URL_MAX];
    cli_db(db, sizeof db, db_name);
    const char *args[] = {"history", "--db", db, arn, "--json", NULL};
    run_result r = run(NULL, args);
    assert_int_equal(r.status, 0);
    json_t *o = parse(r.out);
    run_free(&r);
    json_t *events = json_incref(json_object_get(o, "events"));
    json_decref(o);
    assert_true(json_is_array(events));
    return events;
}

static void expect_types(json_t *events, const char *const *types, size_t n)
{
    size_t got = json_array_size(events);
    for (size_t i = 0; i < n && i < got; i++) {
        const char *t = json_string_value(
            json_object_get(json_array_get(events, i), "type"));
        if (!t || strcmp(t, types[i]))
            fail_msg("event %zu: expected %s, got %s", i + 1, types[i],
                     t ? t : "(none)");
    }
    assert_int_equal(got, n);
}

/* The details member of event i (1-based ids as in the history). */
static json_t *details(json_t *events, size_t id, const char *member)
{
    json_t *d = json_object_get(json_array_get(events, id - 1), member);
    if (!d)
        fail_msg("event %zu has no %s", id, member);
    return d;
}

static const char *str(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    if (!s)
        fail_msg("missing string member %s", key);
    return s;
}

static void test_happy_path(void **state)
{
    (void)state;
    int status = -1;
    json_t *o = run_case("HappyPath", SAMPLE_MOCKS, "happy.db", &status);
    assert_int_equal(status, 0);
    assert_string_equal(str(o, "status"), "SUCCEEDED");
    json_t *want = parse(
        "{\"orderId\":\"order-1001\",\"amount\":42.5,\"card\":\"tok_visa\","
        "\"charge\":{\"chargeId\":\"ch_3PqL2x\",\"status\":\"captured\"},"
        "\"confirmation\":{\"messageId\":"
        "\"0c1f8d3e-6b7a-4c2d-9e8f-1a2b3c4d5e6f\"}}");
    assert_true(json_equal(json_object_get(o, "output"), want));
    json_decref(want);

    json_t *ev = history("happy.db", str(o, "executionArn"));
    static const char *const types[] = {
        "ExecutionStarted", "TaskStateEntered", "TaskScheduled",
        "TaskStarted",      "TaskSucceeded",    "TaskStateExited",
        "TaskStateEntered", "TaskScheduled",    "TaskStarted",
        "TaskSucceeded",    "TaskStateExited",  "ExecutionSucceeded"};
    expect_types(ev, types, sizeof types / sizeof types[0]);
    json_t *sched = details(ev, 3, "taskScheduledEventDetails");
    assert_string_equal(str(sched, "resourceType"), "lambda");
    assert_string_equal(str(sched, "resource"), "invoke");
    json_t *params = parse(str(sched, "parameters"));
    assert_string_equal(
        str(params, "FunctionName"),
        "arn:aws:lambda:us-east-1:123456789012:function:charge-card");
    json_decref(params);
    /* the mocked Return is the task's result, as a real answer would be */
    json_t *res = parse(
        str(details(ev, 5, "taskSucceededEventDetails"), "output"));
    assert_string_equal(
        str(json_object_get(res, "Payload"), "chargeId"), "ch_3PqL2x");
    json_decref(res);
    json_t *sqs = details(ev, 8, "taskScheduledEventDetails");
    assert_string_equal(str(sqs, "resourceType"), "sqs");
    assert_string_equal(str(sqs, "resource"), "sendMessage");
    json_decref(ev);
    json_decref(o);
}

/* ChargeCard throws Lambda.ServiceException on invocations 0-2: the
 * retrier (MaxAttempts 2) gives up, the Catch reports on SNS (mocked) and
 * the Fail state ends the execution. */
static void test_retry_then_fail(void **state)
{
    (void)state;
    int status = -1;
    json_t *o = run_case("RetryThenFail", SAMPLE_MOCKS, "retry.db", &status);
    assert_int_equal(status, 1);
    assert_string_equal(str(o, "status"), "FAILED");
    assert_string_equal(str(o, "error"), "PaymentFailed");
    assert_string_equal(str(o, "cause"), "The card could not be charged; "
                                         "the failure was reported on SNS.");

    json_t *ev = history("retry.db", str(o, "executionArn"));
    static const char *const types[] = {
        "ExecutionStarted", "TaskStateEntered", "TaskScheduled",
        "TaskStarted",      "TaskFailed",       "TaskScheduled",
        "TaskStarted",      "TaskFailed",       "TaskScheduled",
        "TaskStarted",      "TaskFailed",       "TaskStateExited",
        "TaskStateEntered", "TaskScheduled",    "TaskStarted",
        "TaskSucceeded",    "TaskStateExited",  "FailStateEntered",
        "ExecutionFailed"};
    expect_types(ev, types, sizeof types / sizeof types[0]);
    for (size_t id = 5; id <= 11; id += 3) {
        json_t *f = details(ev, id, "taskFailedEventDetails");
        assert_string_equal(str(f, "resourceType"), "lambda");
        assert_string_equal(str(f, "error"), "Lambda.ServiceException");
        assert_string_equal(str(f, "cause"),
                            "The charge-card function is unavailable.");
    }
    /* the Catch's ResultPath put the error output into the SNS message */
    json_t *sns = details(ev, 14, "taskScheduledEventDetails");
    assert_string_equal(str(sns, "resourceType"), "sns");
    json_t *params = parse(str(sns, "parameters"));
    assert_string_equal(str(params, "Message"),
                        "Order order-1001 could not be charged: "
                        "Lambda.ServiceException");
    json_decref(params);
    json_decref(ev);
    json_decref(o);
}

static void test_unknown_test_case_is_a_usage_error(void **state)
{
    (void)state;
    const char *args[] = {"run", SAMPLE, "--mock-config", SAMPLE_MOCKS,
                          "--test-case", "SadPath", NULL};
    run_result r = run(NULL, args);
    assert_int_equal(r.status, 2);
    assert_true(has(r.err, "no test case 'SadPath' for state machine "
                           "'process-order'"));
    assert_string_equal(r.out, "");
    run_free(&r);
}

static void test_test_case_needs_a_mock_config(void **state)
{
    (void)state;
    unsetenv("SFN_MOCK_CONFIG");
    const char *args[] = {"run", SAMPLE, "--test-case", "HappyPath", NULL};
    run_result r = run(NULL, args);
    assert_int_equal(r.status, 2);
    assert_true(has(r.err, "--test-case 'HappyPath' needs a mock config"));
    run_free(&r);
}

/* SFN_MOCK_CONFIG names the file when --mock-config is not given. */
static void test_mock_config_from_environment(void **state)
{
    (void)state;
    setenv("SFN_MOCK_CONFIG", SAMPLE_MOCKS, 1);
    const char *args[] = {"run", SAMPLE, "--input-file", SAMPLE_INPUT,
                          "--test-case", "HappyPath", "--json", NULL};
    run_result r = run(NULL, args);
    unsetenv("SFN_MOCK_CONFIG");
    if (r.status != 0)
        print_error("%s\n", r.err);
    assert_int_equal(r.status, 0);
    json_t *o = parse(r.out);
    assert_string_equal(str(o, "status"), "SUCCEEDED");
    json_decref(o);
    run_free(&r);
}

static void test_bad_mock_file_names_the_member(void **state)
{
    (void)state;
    char *mocks = write_tmp(
        "bad-mocks.json",
        "{\"StateMachines\":{\"process-order\":{\"TestCases\":{\"HappyPath\":"
        "{\"ChargeCard\":\"Missing\"}}}},\"MockedResponses\":{}}");
    const char *args[] = {"run", SAMPLE, "--mock-config", mocks,
                          "--test-case", "HappyPath", NULL};
    run_result r = run(NULL, args);
    assert_int_equal(r.status, 2);
    assert_true(has(r.err, "/StateMachines/process-order/TestCases/HappyPath/"
                           "ChargeCard: unknown mocked response 'Missing'"));
    run_free(&r);
    free(mocks);
}

static void test_missing_mock_file(void **state)
{
    (void)state;
    const char *args[] = {"run", SAMPLE, "--mock-config",
                          "/nonexistent/mocks.json", "--test-case",
                          "HappyPath", NULL};
    run_result r = run(NULL, args);
    assert_int_equal(r.status, 2);
    assert_true(has(r.err, "/nonexistent/mocks.json"));
    run_free(&r);
}

/* Step Functions Local's rule: every invocation needs an entry.  Only "0"
 * is mocked and the retrier asks for a second one: States.Runtime, which
 * no Retry or Catch handles, fails the execution. */
static void test_invocation_without_entry_fails_execution(void **state)
{
    (void)state;
    char *mocks = write_tmp(
        "short-mocks.json",
        "{\"StateMachines\":{\"process-order\":{\"TestCases\":{\"Short\":"
        "{\"ChargeCard\":\"OnceOnly\"}}}},\"MockedResponses\":{\"OnceOnly\":"
        "{\"0\":{\"Throw\":{\"Error\":\"Lambda.ServiceException\"}}}}}");
    int status = -1;
    json_t *o = run_case("Short", mocks, "short.db", &status);
    free(mocks);
    assert_int_equal(status, 1);
    assert_string_equal(str(o, "status"), "FAILED");
    assert_string_equal(str(o, "error"), "States.Runtime");
    assert_true(has(str(o, "cause"), "mocked response 'OnceOnly' has no "
                                     "entry for this invocation"));
    json_decref(o);
}

/* tests/unit/test_samples.c only checks the top of samples/: check this one
 * the same way (no errors, no warnings). */
static void test_sample_validates_clean(void **state)
{
    (void)state;
    const char *args[] = {"validate", "--warnings", SAMPLE, NULL};
    run_result r = run(NULL, args);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, SAMPLE ": OK\n");
    run_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sample_validates_clean),
        cmocka_unit_test(test_happy_path),
        cmocka_unit_test(test_retry_then_fail),
        cmocka_unit_test(test_unknown_test_case_is_a_usage_error),
        cmocka_unit_test(test_test_case_needs_a_mock_config),
        cmocka_unit_test(test_mock_config_from_environment),
        cmocka_unit_test(test_bad_mock_file_names_the_member),
        cmocka_unit_test(test_missing_mock_file),
        cmocka_unit_test(test_invocation_without_entry_fails_execution),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

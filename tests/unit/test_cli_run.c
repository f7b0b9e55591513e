/* test_cli_run.c: `stepd run` and `stepd history` through the real binary:
 * exit codes, the --json result shape, number fidelity, a kept database
 * (a file, or PostgreSQL: cli_db) and the history of the execution in it. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>

#include "cli_harness.h"

static const char pass_def[] =
    "{\"StartAt\":\"A\",\"States\":{"
    "\"A\":{\"Type\":\"Pass\",\"Parameters\":{\"x.$\":\"$.x\","
    "\"big.$\":\"$.big\",\"sum.$\":\"States.MathAdd($.n, 1)\"},"
    "\"Next\":\"B\"},"
    "\"B\":{\"Type\":\"Succeed\"}}}";

static const char fail_def[] =
    "{\"StartAt\":\"F\",\"States\":{\"F\":{\"Type\":\"Fail\","
    "\"Error\":\"Oops\",\"Cause\":\"it broke\"}}}";

static const char retry_def[] =
    "{\"StartAt\":\"T\",\"States\":{\"T\":{\"Type\":\"Task\",\"Resource\":"
    "\"arn:stepd:task:fail\",\"Parameters\":{\"Error\":\"Nope\"},"
    "\"TimeoutSeconds\":5,\"End\":true}}}";

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

static void test_run_succeeds_with_json_result(void **state)
{
    (void)state;
    char *def = write_tmp("pass.asl.json", pass_def);
    const char *args[] = {"run",
                          def,
                          "--input",
                          "{\"x\":0.1,\"n\":41,\"big\":"
                          "123456789012345678901234567890}",
                          "--json",
                          NULL};
    run_result r = run(NULL, args);
    assert_int_equal(r.status, 0);
    /* 0.1 stays 0.1 and integers stay integers in stepd's output */
    assert_true(has(r.out, "\"x\":0.1,"));
    assert_true(has(r.out, "\"sum\":42"));
    json_t *o = parse(r.out);
    assert_string_equal(json_string_value(json_object_get(o, "status")),
                        "SUCCEEDED");
    assert_true(has(json_string_value(json_object_get(o, "executionArn")),
                    "arn:aws:states:us-east-1:123456789012:execution:pass:"));
    json_t *out = json_object_get(o, "output");
    assert_true(json_is_object(out));
    assert_true(json_number_value(json_object_get(out, "big")) > 1e29);
    assert_null(json_object_get(o, "error"));
    json_decref(o);
    run_free(&r);
    free(def);
}

static void test_run_failed_exits_1(void **state)
{
    (void)state;
    char *def = write_tmp("fail.asl.json", fail_def);
    const char *args[] = {"run", def, "--json", NULL};
    run_result r = run(NULL, args);
    assert_int_equal(r.status, 1);
    json_t *o = parse(r.out);
    assert_string_equal(json_string_value(json_object_get(o, "status")),
                        "FAILED");
    assert_string_equal(json_string_value(json_object_get(o, "error")), "Oops");
    assert_string_equal(json_string_value(json_object_get(o, "cause")),
                        "it broke");
    assert_null(json_object_get(o, "output"));
    json_decref(o);
    run_free(&r);
    /* text mode names the status and the error */
    const char *args2[] = {"run", def, NULL};
    r = run(NULL, args2);
    assert_int_equal(r.status, 1);
    assert_true(has(r.out, "FAILED"));
    assert_true(has(r.out, "error: Oops"));
    run_free(&r);
    free(def);
}

static void test_run_task_failure(void **state)
{
    (void)state;
    char *def = write_tmp("retry.asl.json", retry_def);
    const char *args[] = {"run", def, "--json", NULL};
    run_result r = run(NULL, args);
    assert_int_equal(r.status, 1);
    json_t *o = parse(r.out);
    assert_string_equal(json_string_value(json_object_get(o, "error")), "Nope");
    json_decref(o);
    run_free(&r);
    free(def);
}

static void test_run_usage_errors_exit_2(void **state)
{
    (void)state;
    char *bad = write_tmp("bad.asl.json",
                          "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":"
                          "\"Pass\",\"Next\":\"Nowhere\"}}}");
    const char *a1[] = {"run", bad, NULL};
    run_result r = run(NULL, a1);
    assert_int_equal(r.status, 2);
    assert_true(has(r.err, "MISSING_TRANSITION_TARGET"));
    assert_int_equal(strlen(r.out), 0);
    run_free(&r);

    char *def = write_tmp("ok.asl.json", pass_def);
    const char *a2[] = {"run", def, "--input", "{not json", NULL};
    r = run(NULL, a2);
    assert_int_equal(r.status, 2);
    assert_true(has(r.err, "not JSON"));
    run_free(&r);

    const char *a3[] = {"run", NULL};
    r = run(NULL, a3);
    assert_int_equal(r.status, 2);
    assert_true(has(r.err, "usage: stepd run"));
    run_free(&r);

    const char *a4[] = {"run", "/nonexistent/x.json", NULL};
    r = run(NULL, a4);
    assert_int_equal(r.status, 2);
    assert_true(has(r.err, "cannot read"));
    run_free(&r);
    free(bad);
    free(def);
}

static void test_history_of_kept_database(void **state)
{
    (void)state;
    char *def = write_tmp("hist.asl.json", pass_def);
    char db[PGFX_URL_MAX];
    cli_db(db, sizeof db, "kept.db");
    const char *args[] = {"run", def, "--db", db, "--name", "first",
                          "--input", "{\"x\":1,\"n\":1,\"big\":2}", NULL};
    run_result r = run(NULL, args);
    assert_int_equal(r.status, 0);
    run_free(&r);

    const char *h1[] = {"history", "--db", db, "first", "--json", NULL};
    r = run(NULL, h1);
    assert_int_equal(r.status, 0);
    json_t *o = parse(r.out);
    json_t *ev = json_object_get(o, "events");
    assert_int_equal(json_array_size(ev), 6);
    const char *want[] = {"ExecutionStarted", "PassStateEntered",
                          "PassStateExited", "SucceedStateEntered",
                          "SucceedStateExited", "ExecutionSucceeded"};
    for (size_t i = 0; i < 6; i++) {
        json_t *e = json_array_get(ev, i);
        assert_string_equal(json_string_value(json_object_get(e, "type")),
                            want[i]);
        assert_int_equal(json_integer_value(json_object_get(e, "id")),
                         (json_int_t)i + 1);
    }
    json_t *started = json_object_get(json_array_get(ev, 0),
                                      "executionStartedEventDetails");
    assert_string_equal(json_string_value(json_object_get(started, "input")),
                        "{\"x\":1,\"n\":1,\"big\":2}");
    json_decref(o);
    run_free(&r);

    const char *h2[] = {"history", "--db", db, "first", NULL};
    r = run(NULL, h2);
    assert_int_equal(r.status, 0);
    assert_true(has(r.out, "TYPE"));
    assert_true(has(r.out, "ExecutionSucceeded"));
    run_free(&r);

    const char *h3[] = {"history", "--db", db, "nosuch", NULL};
    r = run(NULL, h3);
    assert_int_equal(r.status, 1);
    assert_true(has(r.err, "Execution Does Not Exist"));
    run_free(&r);
    free(def);
}

static void test_run_limits_and_sync(void **state)
{
    (void)state;
    char *def = write_tmp("lim.asl.json", pass_def);
    /* 6 events are needed: a limit of 3 fails the execution */
    const char *a1[] = {"run", def, "--json", "--max-history-events", "3",
                        "--input", "{\"x\":1,\"n\":1,\"big\":2}", NULL};
    run_result r = run(NULL, a1);
    assert_int_equal(r.status, 1);
    json_t *o = parse(r.out);
    assert_string_equal(json_string_value(json_object_get(o, "error")),
                        "States.Runtime");
    json_decref(o);
    run_free(&r);

    const char *a2[] = {"run", def, "--json", "--max-payload-bytes", "10",
                        "--input", "{\"x\":1,\"n\":1,\"big\":2}", NULL};
    r = run(NULL, a2);
    assert_int_equal(r.status, 2); /* the input itself is over the limit */
    assert_true(has(r.err, "above the limit"));
    run_free(&r);

    /* input 21 bytes, output {"x":1,"big":2,"sum":2} 23 bytes */
    const char *a3[] = {"run", def, "--json", "--max-payload-bytes", "22",
                        "--input", "{\"x\":1,\"n\":1,\"big\":2}", NULL};
    r = run(NULL, a3);
    assert_int_equal(r.status, 1);
    o = parse(r.out);
    assert_string_equal(json_string_value(json_object_get(o, "error")),
                        "States.DataLimitExceeded");
    json_decref(o);
    run_free(&r);

    const char *a4[] = {"run", def, "--sync", "full", "--input",
                        "{\"x\":1,\"n\":1,\"big\":2}", NULL};
    r = run(NULL, a4);
    assert_int_equal(r.status, 0);
    run_free(&r);

    const char *a5[] = {"run", def, "--sync", "sometimes", NULL};
    r = run(NULL, a5);
    assert_int_equal(r.status, 2);
    assert_true(has(r.err, "--sync must be normal or full"));
    run_free(&r);
    free(def);
}

static void test_test_state(void **state)
{
    (void)state;
    char *def = write_tmp(
        "ts.asl.json",
        "{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\","
        "\"Parameters\":{\"v.$\":\"$.x\"},\"ResultPath\":\"$.r\","
        "\"Next\":\"T\"},\"T\":{\"Type\":\"Task\",\"Resource\":"
        "\"arn:aws:states:::lambda:invoke\",\"Catch\":[{\"ErrorEquals\":"
        "[\"States.ALL\"],\"Next\":\"F\"}],\"End\":true},"
        "\"F\":{\"Type\":\"Fail\"}}}");
    const char *a1[] = {"test-state", def, "P", "--input", "{\"x\":5}", NULL};
    run_result r = run(NULL, a1);
    assert_int_equal(r.status, 0);
    json_t *o = parse(r.out);
    assert_string_equal(json_string_value(json_object_get(o, "status")),
                        "SUCCEEDED");
    assert_string_equal(json_string_value(json_object_get(o, "nextState")),
                        "T");
    assert_string_equal(json_string_value(json_object_get(o, "output")),
                        "{\"x\":5,\"r\":{\"v\":5}}");
    json_t *insp = json_object_get(o, "inspectionData");
    assert_string_equal(json_string_value(json_object_get(insp,
                                                          "afterParameters")),
                        "{\"v\":5}");
    json_decref(o);
    run_free(&r);
    /* a mocked failure of the Task is caught by its Catch */
    const char *a2[] = {"test-state", def, "T", "--mock-error", "Boom",
                        "--mock-cause", "why", NULL};
    r = run(NULL, a2);
    assert_int_equal(r.status, 0);
    o = parse(r.out);
    assert_string_equal(json_string_value(json_object_get(o, "status")),
                        "CAUGHT_ERROR");
    assert_string_equal(json_string_value(json_object_get(o, "nextState")),
                        "F");
    json_decref(o);
    run_free(&r);
    const char *a3[] = {"test-state", def, NULL};
    r = run(NULL, a3);
    assert_int_equal(r.status, 2);
    assert_true(has(r.err, "usage: stepd test-state"));
    run_free(&r);
    free(def);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run_succeeds_with_json_result),
        cmocka_unit_test(test_run_failed_exits_1),
        cmocka_unit_test(test_run_task_failure),
        cmocka_unit_test(test_run_usage_errors_exit_2),
        cmocka_unit_test(test_history_of_kept_database),
        cmocka_unit_test(test_run_limits_and_sync),
        cmocka_unit_test(test_test_state),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

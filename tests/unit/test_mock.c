/* test_mock.c: the Step Functions Local mock configuration (sfn_mock.h):
 * AWS's own example file, invocation numbers and ranges, what happens past
 * the last key, and one test per load error, each naming its JSON pointer. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sfn_mock.h"

/* The example of AWS's "Configuration file for mocked service
 * integrations" page, as given there. */
static const char aws_example[] =
    "{\"StateMachines\":{\"LambdaSQSIntegration\":{\"TestCases\":{"
    "\"HappyPath\":{\"LambdaState\":\"MockedLambdaSuccess\","
    "\"SQSState\":\"MockedSQSSuccess\"},"
    "\"RetryPath\":{\"LambdaState\":\"MockedLambdaRetry\","
    "\"SQSState\":\"MockedSQSSuccess\"},"
    "\"HybridPath\":{\"LambdaState\":\"MockedLambdaSuccess\"}}}},"
    "\"MockedResponses\":{"
    "\"MockedLambdaSuccess\":{\"0\":{\"Return\":{\"StatusCode\":200,"
    "\"Payload\":{\"StatusCode\":200,\"body\":\"Hello from Lambda!\"}}}},"
    "\"LambdaMockedResourceNotReady\":{\"0\":{\"Throw\":{"
    "\"Error\":\"Lambda.ResourceNotReadyException\","
    "\"Cause\":\"Lambda resource is not ready.\"}}},"
    "\"MockedSQSSuccess\":{\"0\":{\"Return\":{"
    "\"MD5OfMessageBody\":\"3bcb6e8e-7h85-4375-b0bc-1a59812c6e51\","
    "\"MessageId\":\"3bcb6e8e-8b51-4375-b0bc-1a59812c6e51\"}}},"
    "\"MockedLambdaRetry\":{"
    "\"0\":{\"Throw\":{\"Error\":\"Lambda.ResourceNotReadyException\","
    "\"Cause\":\"Lambda resource is not ready.\"}},"
    "\"1-2\":{\"Throw\":{\"Error\":\"Lambda.TimeoutException\","
    "\"Cause\":\"Lambda timed out.\"}},"
    "\"3\":{\"Return\":{\"StatusCode\":200,\"Payload\":{\"StatusCode\":200,"
    "\"body\":\"Hello from Lambda!\"}}}}}}";

static json_t *parse(const char *text)
{
    json_error_t je;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &je);
    if (!v)
        fail_msg("fixture is not JSON: %s", je.text);
    return v;
}

static sfn_mock_set *load_text(const char *text, sfn_error *err)
{
    json_t *cfg = parse(text);
    sfn_mock_set *m = sfn_mock_load(cfg, err);
    json_decref(cfg);
    return m;
}

/* Loads a config that must be refused and checks the whole message. */
static void expect_error(const char *text, sfn_rc rc, const char *message)
{
    sfn_error err;
    sfn_error_clear(&err);
    sfn_mock_set *m = load_text(text, &err);
    if (m) {
        sfn_mock_free(m);
        fail_msg("loaded, expected: %s", message);
    }
    assert_int_equal(err.rc, rc);
    assert_string_equal(err.cause, message);
}

/* A config with one machine "M", case "C" mapping state "S" to response
 * "R" whose invocation members are `resp`. */
static char *with_response(const char *resp)
{
    static const char fmt[] =
        "{\"StateMachines\":{\"M\":{\"TestCases\":{\"C\":{\"S\":\"R\"}}}},"
        "\"MockedResponses\":{\"R\":%s}}";
    size_t n = sizeof fmt + strlen(resp);
    char *s = malloc(n);
    assert_non_null(s);
    snprintf(s, n, fmt, resp);
    return s;
}

static void expect_response_error(const char *resp, const char *message)
{
    char *text = with_response(resp);
    expect_error(text, SFN_EINVAL, message);
    free(text);
}

static sfn_mock_set *load_example(void)
{
    sfn_error err;
    sfn_mock_set *m = load_text(aws_example, &err);
    if (!m)
        fail_msg("AWS example refused: %s", err.cause);
    return m;
}

/* ---- AWS's example ------------------------------------------------------ */

static void test_aws_example_has_its_test_cases(void **state)
{
    (void)state;
    sfn_mock_set *m = load_example();
    assert_true(sfn_mock_has_case(m, "LambdaSQSIntegration", "HappyPath"));
    assert_true(sfn_mock_has_case(m, "LambdaSQSIntegration", "RetryPath"));
    assert_true(sfn_mock_has_case(m, "LambdaSQSIntegration", "HybridPath"));
    assert_false(sfn_mock_has_case(m, "LambdaSQSIntegration", "SadPath"));
    assert_false(sfn_mock_has_case(m, "Other", "HappyPath"));
    assert_false(sfn_mock_has_case(m, "LambdaSQSIntegration", NULL));
    sfn_mock_free(m);
}

static void test_happy_path_returns_the_mocked_result(void **state)
{
    (void)state;
    sfn_mock_set *m = load_example();
    sfn_mock_answer a;
    assert_true(sfn_mock_lookup(m, "LambdaSQSIntegration", "HappyPath",
                                "LambdaState", 0, &a));
    assert_null(a.error);
    assert_null(a.cause);
    assert_non_null(a.result);
    json_t *want = parse("{\"StatusCode\":200,\"Payload\":{\"StatusCode\":"
                         "200,\"body\":\"Hello from Lambda!\"}}");
    assert_true(json_equal(a.result, want));
    json_decref(want);
    assert_true(sfn_mock_lookup(m, "LambdaSQSIntegration", "HappyPath",
                                "SQSState", 0, &a));
    assert_string_equal(
        json_string_value(json_object_get(a.result, "MessageId")),
        "3bcb6e8e-8b51-4375-b0bc-1a59812c6e51");
    sfn_mock_free(m);
}

/* "0" throws, "1-2" throw another error, "3" returns. */
static void test_retry_path_follows_invocation_numbers(void **state)
{
    (void)state;
    sfn_mock_set *m = load_example();
    static const char *const errors[] = {"Lambda.ResourceNotReadyException",
                                         "Lambda.TimeoutException",
                                         "Lambda.TimeoutException"};
    static const char *const causes[] = {"Lambda resource is not ready.",
                                         "Lambda timed out.",
                                         "Lambda timed out."};
    sfn_mock_answer a;
    for (uint32_t i = 0; i < 3; i++) {
        assert_true(sfn_mock_lookup(m, "LambdaSQSIntegration", "RetryPath",
                                    "LambdaState", i, &a));
        assert_null(a.result);
        assert_string_equal(a.error, errors[i]);
        assert_string_equal(a.cause, causes[i]);
    }
    assert_true(sfn_mock_lookup(m, "LambdaSQSIntegration", "RetryPath",
                                "LambdaState", 3, &a));
    assert_null(a.error);
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(a.result, "Payload"), "body")),
                        "Hello from Lambda!");
    sfn_mock_free(m);
}

/* The page's second shape: "0-2" Throw, then "3" Return. */
static void test_range_then_single_key(void **state)
{
    (void)state;
    char *text = with_response(
        "{\"0-2\":{\"Throw\":{\"Error\":\"Lambda.TimeoutException\","
        "\"Cause\":\"Lambda timed out.\"}},"
        "\"3\":{\"Return\":{\"StatusCode\":200}}}");
    sfn_error err;
    sfn_mock_set *m = load_text(text, &err);
    free(text);
    assert_non_null(m);
    sfn_mock_answer a;
    for (uint32_t i = 0; i <= 2; i++) {
        assert_true(sfn_mock_lookup(m, "M", "C", "S", i, &a));
        assert_string_equal(a.error, "Lambda.TimeoutException");
    }
    assert_true(sfn_mock_lookup(m, "M", "C", "S", 3, &a));
    assert_int_equal(json_integer_value(json_object_get(a.result,
                                                        "StatusCode")),
                     200);
    sfn_mock_free(m);
}

/* The docs: "you must specify a mocked response for every invocation ... If
 * you do not specify a mocked response, the state machine execution will
 * fail" (Step Functions Local fails it with States.Runtime). */
static void test_invocation_past_last_key_fails_the_execution(void **state)
{
    (void)state;
    sfn_mock_set *m = load_example();
    sfn_mock_answer a;
    assert_true(sfn_mock_lookup(m, "LambdaSQSIntegration", "HappyPath",
                                "LambdaState", 1, &a));
    assert_null(a.result);
    assert_string_equal(a.error, "States.Runtime");
    assert_non_null(strstr(a.cause, "mocked response 'MockedLambdaSuccess' "
                                    "has no entry for this invocation"));
    assert_true(sfn_mock_lookup(m, "LambdaSQSIntegration", "RetryPath",
                                "LambdaState", 4, &a));
    assert_string_equal(a.error, "States.Runtime");
    assert_non_null(strstr(a.cause, "it defines invocations 0, 1-2, 3"));
    sfn_mock_free(m);
}

static void test_invocation_in_a_gap_fails_the_execution(void **state)
{
    (void)state;
    char *text = with_response("{\"2\":{\"Return\":1},\"0\":{\"Return\":0}}");
    sfn_error err;
    sfn_mock_set *m = load_text(text, &err);
    free(text);
    assert_non_null(m);
    sfn_mock_answer a;
    assert_true(sfn_mock_lookup(m, "M", "C", "S", 0, &a));
    assert_int_equal(json_integer_value(a.result), 0);
    assert_true(sfn_mock_lookup(m, "M", "C", "S", 1, &a));
    assert_string_equal(a.error, "States.Runtime");
    assert_non_null(strstr(a.cause, "invocations 0, 2;"));
    assert_true(sfn_mock_lookup(m, "M", "C", "S", 2, &a));
    assert_int_equal(json_integer_value(a.result), 1);
    sfn_mock_free(m);
}

/* HybridPath mocks LambdaState only: SQSState goes to the real service. */
static void test_unmocked_state_is_not_answered(void **state)
{
    (void)state;
    sfn_mock_set *m = load_example();
    sfn_mock_answer a = {0};
    assert_false(sfn_mock_lookup(m, "LambdaSQSIntegration", "HybridPath",
                                 "SQSState", 0, &a));
    assert_false(sfn_mock_lookup(m, "LambdaSQSIntegration", "NoSuchCase",
                                 "LambdaState", 0, &a));
    assert_false(sfn_mock_lookup(m, "Other", "HybridPath", "LambdaState", 0,
                                 &a));
    assert_false(sfn_mock_lookup(NULL, "LambdaSQSIntegration", "HybridPath",
                                 "LambdaState", 0, &a));
    assert_false(sfn_mock_lookup(m, "LambdaSQSIntegration", NULL,
                                 "LambdaState", 0, &a));
    sfn_mock_free(m);
}

/* SFL accepts any JSON value as Return, not only objects. */
static void test_return_may_be_any_json_value(void **state)
{
    (void)state;
    char *text = with_response("{\"0\":{\"Return\":\"done\"},"
                               "\"1\":{\"Return\":[1,2]},"
                               "\"2\":{\"Return\":null}}");
    sfn_error err;
    sfn_mock_set *m = load_text(text, &err);
    free(text);
    assert_non_null(m);
    sfn_mock_answer a;
    assert_true(sfn_mock_lookup(m, "M", "C", "S", 0, &a));
    assert_string_equal(json_string_value(a.result), "done");
    assert_true(sfn_mock_lookup(m, "M", "C", "S", 1, &a));
    assert_int_equal(json_array_size(a.result), 2);
    assert_true(sfn_mock_lookup(m, "M", "C", "S", 2, &a));
    assert_true(json_is_null(a.result));
    assert_null(a.error);
    sfn_mock_free(m);
}

static void test_throw_without_cause_has_no_cause(void **state)
{
    (void)state;
    char *text = with_response("{\"0\":{\"Throw\":{\"Error\":\"Boom\"}}}");
    sfn_error err;
    sfn_mock_set *m = load_text(text, &err);
    free(text);
    assert_non_null(m);
    sfn_mock_answer a;
    assert_true(sfn_mock_lookup(m, "M", "C", "S", 0, &a));
    assert_string_equal(a.error, "Boom");
    assert_null(a.cause);
    assert_null(a.result);
    sfn_mock_free(m);
}

/* A response with no key loads (SFL starts such executions) and fails
 * only when reached. */
static void test_empty_response_fails_when_reached(void **state)
{
    (void)state;
    char *text = with_response("{}");
    sfn_error err;
    sfn_mock_set *m = load_text(text, &err);
    free(text);
    assert_non_null(m);
    sfn_mock_answer a;
    assert_true(sfn_mock_lookup(m, "M", "C", "S", 0, &a));
    assert_string_equal(a.error, "States.Runtime");
    assert_non_null(strstr(a.cause, "'R' defines no invocations"));
    sfn_mock_free(m);
}

/* The set keeps its own copy: the caller's JSON may go away. */
static void test_set_owns_its_json(void **state)
{
    (void)state;
    json_t *cfg = parse(aws_example);
    sfn_error err;
    sfn_mock_set *m = sfn_mock_load(cfg, &err);
    assert_non_null(m);
    json_object_clear(cfg);
    json_decref(cfg);
    sfn_mock_answer a;
    assert_true(sfn_mock_lookup(m, "LambdaSQSIntegration", "RetryPath",
                                "LambdaState", 0, &a));
    assert_string_equal(a.error, "Lambda.ResourceNotReadyException");
    sfn_mock_free(m);
    sfn_mock_free(NULL);
}

static void test_large_invocation_numbers(void **state)
{
    (void)state;
    char *text = with_response("{\"0-4294967295\":{\"Return\":7}}");
    sfn_error err;
    sfn_mock_set *m = load_text(text, &err);
    free(text);
    assert_non_null(m);
    sfn_mock_answer a;
    assert_true(sfn_mock_lookup(m, "M", "C", "S", UINT32_MAX, &a));
    assert_int_equal(json_integer_value(a.result), 7);
    sfn_mock_free(m);
}

/* ---- load errors, each naming the JSON pointer ------------------------- */

static void test_unknown_response_name_in_test_case(void **state)
{
    (void)state;
    expect_error(
        "{\"StateMachines\":{\"M\":{\"TestCases\":{\"C\":{\"S\":\"Nope\"}}}},"
        "\"MockedResponses\":{\"R\":{\"0\":{\"Return\":1}}}}",
        SFN_EINVAL,
        "/StateMachines/M/TestCases/C/S: unknown mocked response 'Nope' (not "
        "defined in /MockedResponses)");
}

static void test_range_start_after_end(void **state)
{
    (void)state;
    expect_response_error("{\"2-1\":{\"Return\":1}}",
                          "/MockedResponses/R/2-1: bad invocation range: "
                          "start 2 is after end 1");
}

static void test_bad_range_syntax(void **state)
{
    (void)state;
    static const char *const keys[] = {"1-x", "-1", "", "a", "1-", " 1",
                                       "+1", "1 - 2", "1-2-3", "4294967296",
                                       "1.5"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        char resp[64], msg[256];
        snprintf(resp, sizeof resp, "{\"%s\":{\"Return\":1}}", keys[i]);
        snprintf(msg, sizeof msg,
                 "/MockedResponses/R/%s: bad invocation range (expected a "
                 "0-based invocation number \"N\" or an inclusive range "
                 "\"N-M\")",
                 keys[i]);
        expect_response_error(resp, msg);
    }
}

static void test_overlapping_ranges(void **state)
{
    (void)state;
    expect_response_error("{\"0-2\":{\"Return\":1},\"2\":{\"Return\":2}}",
                          "/MockedResponses/R/2: invocations overlap with "
                          "\"0-2\" (each invocation needs exactly one entry)");
    expect_response_error("{\"3-5\":{\"Return\":1},\"0-3\":{\"Return\":2}}",
                          "/MockedResponses/R/3-5: invocations overlap with "
                          "\"0-3\" (each invocation needs exactly one entry)");
}

static void test_entry_with_both_return_and_throw(void **state)
{
    (void)state;
    expect_response_error(
        "{\"0\":{\"Return\":1,\"Throw\":{\"Error\":\"E\"}}}",
        "/MockedResponses/R/0: has both Return and Throw (give exactly one)");
}

static void test_entry_with_neither_return_nor_throw(void **state)
{
    (void)state;
    expect_response_error("{\"0\":{}}",
                          "/MockedResponses/R/0: has neither Return nor "
                          "Throw (give exactly one)");
}

static void test_throw_without_error(void **state)
{
    (void)state;
    expect_response_error("{\"0\":{\"Throw\":{\"Cause\":\"why\"}}}",
                          "/MockedResponses/R/0/Throw: missing Error (the "
                          "error name Retry and Catch match)");
}

static void test_throw_members_must_be_strings(void **state)
{
    (void)state;
    expect_response_error("{\"0\":{\"Throw\":{\"Error\":42}}}",
                          "/MockedResponses/R/0/Throw/Error: expected a "
                          "string, got an integer");
    expect_response_error(
        "{\"0\":{\"Throw\":{\"Error\":\"E\",\"Cause\":{\"a\":1}}}}",
        "/MockedResponses/R/0/Throw/Cause: expected a string, got an object");
}

static void test_non_objects_where_objects_are_needed(void **state)
{
    (void)state;
    expect_error("[]", SFN_EINVAL,
                 "mock config: expected a JSON object with StateMachines and "
                 "MockedResponses, got an array");
    expect_error("{\"StateMachines\":{},\"MockedResponses\":[]}", SFN_EINVAL,
                 "/MockedResponses: expected an object of named mocked "
                 "responses, got an array");
    expect_error("{\"StateMachines\":7,\"MockedResponses\":{}}", SFN_EINVAL,
                 "/StateMachines: expected an object of state machine names, "
                 "got an integer");
    expect_error("{\"StateMachines\":{\"M\":\"x\"},\"MockedResponses\":{}}",
                 SFN_EINVAL,
                 "/StateMachines/M: expected an object with TestCases, got a "
                 "string");
    expect_error("{\"StateMachines\":{\"M\":{\"TestCases\":[]}},"
                 "\"MockedResponses\":{}}",
                 SFN_EINVAL,
                 "/StateMachines/M/TestCases: expected an object of named "
                 "test cases, got an array");
    expect_error("{\"StateMachines\":{\"M\":{\"TestCases\":{\"C\":true}}},"
                 "\"MockedResponses\":{}}",
                 SFN_EINVAL,
                 "/StateMachines/M/TestCases/C: expected an object mapping "
                 "state names to mocked response names, got a boolean");
    expect_response_error("\"x\"",
                          "/MockedResponses/R: expected an object keyed by "
                          "invocation numbers (\"0\", \"1-2\"), got a string");
    expect_response_error("{\"0\":5}",
                          "/MockedResponses/R/0: expected an object with "
                          "Return or Throw, got an integer");
    expect_response_error("{\"0\":{\"Throw\":\"E\"}}",
                          "/MockedResponses/R/0/Throw: expected an object "
                          "with Error and Cause, got a string");
}

static void test_response_name_must_be_a_string(void **state)
{
    (void)state;
    expect_error(
        "{\"StateMachines\":{\"M\":{\"TestCases\":{\"C\":{\"S\":[\"R\"]}}}},"
        "\"MockedResponses\":{\"R\":{\"0\":{\"Return\":1}}}}",
        SFN_EINVAL,
        "/StateMachines/M/TestCases/C/S: expected a mocked response name "
        "(string), got an array");
}

/* A typo would otherwise silently mean "not mocked". */
static void test_unknown_members_are_refused(void **state)
{
    (void)state;
    expect_error("{\"StateMachines\":{},\"MockedResponse\":{}}", SFN_EINVAL,
                 "/MockedResponse: unknown member (the top level has "
                 "StateMachines and MockedResponses)");
    expect_error("{\"StateMachines\":{\"M\":{\"TestCases\":{},\"X\":1}},"
                 "\"MockedResponses\":{}}",
                 SFN_EINVAL,
                 "/StateMachines/M/X: unknown member (a state machine has "
                 "only TestCases)");
    expect_response_error("{\"0\":{\"Return\":1,\"Delay\":2}}",
                          "/MockedResponses/R/0/Delay: unknown member (an "
                          "invocation entry has Return or Throw)");
    expect_response_error(
        "{\"0\":{\"Throw\":{\"Error\":\"E\",\"Cuase\":\"c\"}}}",
        "/MockedResponses/R/0/Throw/Cuase: unknown member (a Throw has only "
        "Error and Cause)");
}

static void test_missing_sections(void **state)
{
    (void)state;
    expect_error("{\"MockedResponses\":{}}", SFN_EINVAL,
                 "/StateMachines: missing (a mock config needs StateMachines "
                 "and MockedResponses)");
    expect_error("{\"StateMachines\":{}}", SFN_EINVAL,
                 "/MockedResponses: missing (a mock config needs "
                 "StateMachines and MockedResponses)");
    expect_error("{\"StateMachines\":{\"M\":{}},\"MockedResponses\":{}}",
                 SFN_EINVAL, "/StateMachines/M: missing TestCases");
}

/* Names holding '/' or '~' are escaped as RFC 6901 says. */
static void test_pointer_escapes_names(void **state)
{
    (void)state;
    expect_error(
        "{\"StateMachines\":{\"a/b\":{\"TestCases\":{\"c~d\":{\"S\":\"N\"}}}},"
        "\"MockedResponses\":{}}",
        SFN_EINVAL,
        "/StateMachines/a~1b/TestCases/c~0d/S: unknown mocked response 'N' "
        "(not defined in /MockedResponses)");
}

static void test_error_name_length_is_limited(void **state)
{
    (void)state;
    char name[300];
    memset(name, 'E', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    char resp[400];
    snprintf(resp, sizeof resp, "{\"0\":{\"Throw\":{\"Error\":\"%s\"}}}",
             name);
    char *text = with_response(resp);
    expect_error(text, SFN_ELIMIT,
                 "/MockedResponses/R/0/Throw/Error: longer than 256 "
                 "characters");
    free(text);
}

/* ---- files -------------------------------------------------------------- */

static char *write_file(const char *text)
{
    char *path = strdup("/tmp/stepd-test-mock-XXXXXX");
    assert_non_null(path);
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static void test_load_file(void **state)
{
    (void)state;
    char *path = write_file(aws_example);
    sfn_error err;
    sfn_mock_set *m = sfn_mock_load_file(path, &err);
    unlink(path);
    free(path);
    assert_non_null(m);
    assert_true(sfn_mock_has_case(m, "LambdaSQSIntegration", "RetryPath"));
    sfn_mock_free(m);
}

static void test_load_file_names_the_member(void **state)
{
    (void)state;
    char *path = write_file("{\"StateMachines\":{},\"MockedResponses\":"
                            "{\"R\":{\"2-1\":{\"Return\":1}}}}");
    sfn_error err;
    assert_null(sfn_mock_load_file(path, &err));
    assert_int_equal(err.rc, SFN_EINVAL);
    assert_string_equal(err.cause, "/MockedResponses/R/2-1: bad invocation "
                                   "range: start 2 is after end 1");
    unlink(path);
    free(path);
}

static void test_load_file_missing(void **state)
{
    (void)state;
    sfn_error err;
    assert_null(sfn_mock_load_file("/nonexistent/mocks.json", &err));
    assert_int_equal(err.rc, SFN_EIO);
    assert_string_equal(err.cause, "cannot open: No such file or directory");
}

static void test_load_file_bad_json(void **state)
{
    (void)state;
    char *path = write_file("{\"StateMachines\":{},\n\"MockedResponses\":{,}}");
    sfn_error err;
    assert_null(sfn_mock_load_file(path, &err));
    assert_int_equal(err.rc, SFN_ESYNTAX);
    assert_non_null(strstr(err.cause, "line 2 column "));
    unlink(path);
    free(path);
}

/* Two "0" keys in one response: which one would SFL use?  Refused. */
static void test_load_file_duplicate_keys(void **state)
{
    (void)state;
    char *path = write_file("{\"StateMachines\":{},\"MockedResponses\":{\"R\":"
                            "{\"0\":{\"Return\":1},\"0\":{\"Return\":2}}}}");
    sfn_error err;
    assert_null(sfn_mock_load_file(path, &err));
    assert_int_equal(err.rc, SFN_ESYNTAX);
    assert_non_null(strstr(err.cause, "duplicate object key"));
    unlink(path);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_aws_example_has_its_test_cases),
        cmocka_unit_test(test_happy_path_returns_the_mocked_result),
        cmocka_unit_test(test_retry_path_follows_invocation_numbers),
        cmocka_unit_test(test_range_then_single_key),
        cmocka_unit_test(test_invocation_past_last_key_fails_the_execution),
        cmocka_unit_test(test_invocation_in_a_gap_fails_the_execution),
        cmocka_unit_test(test_unmocked_state_is_not_answered),
        cmocka_unit_test(test_return_may_be_any_json_value),
        cmocka_unit_test(test_throw_without_cause_has_no_cause),
        cmocka_unit_test(test_empty_response_fails_when_reached),
        cmocka_unit_test(test_set_owns_its_json),
        cmocka_unit_test(test_large_invocation_numbers),
        cmocka_unit_test(test_unknown_response_name_in_test_case),
        cmocka_unit_test(test_range_start_after_end),
        cmocka_unit_test(test_bad_range_syntax),
        cmocka_unit_test(test_overlapping_ranges),
        cmocka_unit_test(test_entry_with_both_return_and_throw),
        cmocka_unit_test(test_entry_with_neither_return_nor_throw),
        cmocka_unit_test(test_throw_without_error),
        cmocka_unit_test(test_throw_members_must_be_strings),
        cmocka_unit_test(test_non_objects_where_objects_are_needed),
        cmocka_unit_test(test_response_name_must_be_a_string),
        cmocka_unit_test(test_unknown_members_are_refused),
        cmocka_unit_test(test_missing_sections),
        cmocka_unit_test(test_pointer_escapes_names),
        cmocka_unit_test(test_error_name_length_is_limited),
        cmocka_unit_test(test_load_file),
        cmocka_unit_test(test_load_file_names_the_member),
        cmocka_unit_test(test_load_file_missing),
        cmocka_unit_test(test_load_file_bad_json),
        cmocka_unit_test(test_load_file_duplicate_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

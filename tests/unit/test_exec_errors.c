/* test_exec_errors.c: the error paths of the executor run through the
 * in-memory runner on simulated time: uncatchable States.Runtime, the
 * catchable data-flow errors, Retry arithmetic (counts, backoff,
 * MaxDelaySeconds, jitter bounds), Catch order and ResultPath, the
 * States.ALL / States.TaskFailed matchers, Parallel and Map failures and
 * tolerances, and Fail with ErrorPath/CausePath.  Expected values from
 * asl.md sections 2, 3.2, 5, 6 and the AWS recordings it cites. */
#include "exec_run_util.h"

#define FAIL_TASK "'Type':'Task','Resource':'arn:stepd:task:fail'"
#define BOOM "'Parameters':{'Error':'Boom','Cause':'it broke'}"

/* Milliseconds between the k-th TaskFailed and the next TaskScheduled. */
static int64_t retry_gap(const sfn_run_result *r, size_t k)
{
    long failed = nth_event(r, SFN_EV_TaskFailed, k);
    long next = nth_event(r, SFN_EV_TaskScheduled, k + 1);
    assert_true(failed >= 0 && next > failed);
    return r->events[next].ts_ms - r->events[failed].ts_ms;
}

/* ---- States.Runtime ---------------------------------------------------- */

/* Not caught by States.ALL; fails before the task is scheduled. */
static void test_runtime_error_is_not_caught(void **state)
{
    (void)state;
    sfn_run_result r;
    run_def("{'StartAt':'T','States':{'T':{" FAIL_TASK ",'InputPath':'$.x',"
            "'Retry':[{'ErrorEquals':['States.ALL']}],"
            "'Catch':[{'ErrorEquals':['States.ALL'],'Next':'C'}],"
            "'End':true},'C':{'Type':'Succeed'}}}",
            "{'a':1}", &r);
    assert_int_equal(r.status, SFN_EXEC_FAILED);
    assert_string_equal(r.error, "States.Runtime");
    assert_string_equal(r.cause,
                        "An error occurred while executing the state 'T' "
                        "(entered at the event id #2). Invalid path '$.x' : "
                        "No results for path: $['x']");
    assert_int_equal(count_events(&r, SFN_EV_TaskScheduled), 0);
    assert_int_equal(r.events[r.n_events - 1].type, SFN_EV_ExecutionFailed);
    sfn_run_result_free(&r);
}

static void test_result_path_match_failure_is_catchable(void **state)
{
    (void)state;
    const char *def =
        "{'StartAt':'T','States':{'T':{'Type':'Task',"
        "'Resource':'arn:stepd:task:echo','ResultPath':'$.a.b',"
        "'Catch':[{'ErrorEquals':['States.ResultPathMatchFailure'],"
        "'Next':'C'}],'End':true},"
        "'C':{'Type':'Pass','Parameters':{'e.$':'$.Error'},'End':true}}}";
    expect_output(def, "{'a':'text'}",
                  "{'e':'States.ResultPathMatchFailure'}");
    expect_failure("{'StartAt':'T','States':{'T':{'Type':'Task',"
                   "'Resource':'arn:stepd:task:echo','ResultPath':'$.a.b',"
                   "'End':true}}}",
                   "{'a':[1]}", "States.ResultPathMatchFailure", NULL);
}

static void test_intrinsic_failure_is_catchable(void **state)
{
    (void)state;
    expect_output("{'StartAt':'T','States':{'T':{'Type':'Task',"
                  "'Resource':'arn:stepd:task:echo',"
                  "'Parameters':{'n.$':'States.ArrayLength($.s)'},"
                  "'Catch':[{'ErrorEquals':['States.IntrinsicFailure'],"
                  "'ResultPath':'$.err','Next':'C'}],'End':true},"
                  "'C':{'Type':'Pass','OutputPath':'$.err.Error',"
                  "'End':true}}}",
                  "{'s':'abc'}", "'States.IntrinsicFailure'");
}

static void test_no_choice_matched(void **state)
{
    (void)state;
    expect_failure("{'StartAt':'C','States':{'C':{'Type':'Choice',"
                   "'Choices':[{'Variable':'$.v','StringEquals':'a',"
                   "'Next':'S'}]},'S':{'Type':'Succeed'}}}",
                   "{'v':'b'}", "States.NoChoiceMatched", NULL);
}

/* ---- Retry ------------------------------------------------------------- */

/* MaxAttempts 2: three attempts; the error then escapes unchanged. */
static void test_retry_count_and_final_error(void **state)
{
    (void)state;
    sfn_run_result r;
    run_def("{'StartAt':'T','States':{'T':{" FAIL_TASK "," BOOM ","
            "'Retry':[{'ErrorEquals':['Boom'],'MaxAttempts':2}],"
            "'End':true}}}",
            NULL, &r);
    assert_int_equal(r.status, SFN_EXEC_FAILED);
    assert_string_equal(r.error, "Boom");
    assert_string_equal(r.cause, "it broke");
    assert_int_equal(count_events(&r, SFN_EV_TaskScheduled), 3);
    assert_int_equal(count_events(&r, SFN_EV_TaskFailed), 3);
    assert_int_equal(count_events(&r, SFN_EV_TaskStateEntered), 1);
    sfn_run_result_free(&r);
}

/* asl.md 6.3: Interval 3, Backoff 1.5 waits 3 s, then 4.5 s. */
static void test_retry_backoff(void **state)
{
    (void)state;
    sfn_run_result r;
    run_def("{'StartAt':'T','States':{'T':{" FAIL_TASK ","
            "'Retry':[{'ErrorEquals':['States.ALL'],'IntervalSeconds':3,"
            "'BackoffRate':1.5,'MaxAttempts':2}],'End':true}}}",
            NULL, &r);
    assert_int_equal(count_events(&r, SFN_EV_TaskScheduled), 3);
    assert_int_equal(retry_gap(&r, 0), 3000);
    assert_int_equal(retry_gap(&r, 1), 4500);
    sfn_run_result_free(&r);
}

static void test_retry_max_delay_caps_backoff(void **state)
{
    (void)state;
    sfn_run_result r;
    run_def("{'StartAt':'T','States':{'T':{" FAIL_TASK ","
            "'Retry':[{'ErrorEquals':['States.ALL'],'IntervalSeconds':2,"
            "'BackoffRate':10,'MaxDelaySeconds':5,'MaxAttempts':3}],"
            "'End':true}}}",
            NULL, &r);
    assert_int_equal(retry_gap(&r, 0), 2000);
    assert_int_equal(retry_gap(&r, 1), 5000);
    assert_int_equal(retry_gap(&r, 2), 5000);
    sfn_run_result_free(&r);
}

/* FULL jitter: each delay is drawn from [0, nominal]. */
static void test_retry_full_jitter_bounds(void **state)
{
    (void)state;
    sfn_run_result r;
    run_def("{'StartAt':'T','States':{'T':{" FAIL_TASK ","
            "'Retry':[{'ErrorEquals':['States.ALL'],'IntervalSeconds':4,"
            "'BackoffRate':2,'MaxAttempts':4,'JitterStrategy':'FULL'}],"
            "'End':true}}}",
            NULL, &r);
    assert_int_equal(count_events(&r, SFN_EV_TaskScheduled), 5);
    int64_t nominal = 4000;
    for (size_t k = 0; k < 4; k++, nominal *= 2) {
        int64_t gap = retry_gap(&r, k);
        assert_true(gap >= 0 && gap <= nominal);
    }
    sfn_run_result_free(&r);
}

static void test_retry_max_attempts_zero_never_retries(void **state)
{
    (void)state;
    sfn_run_result r;
    run_def("{'StartAt':'T','States':{'T':{" FAIL_TASK ","
            "'Retry':[{'ErrorEquals':['States.ALL'],'MaxAttempts':0}],"
            "'End':true}}}",
            NULL, &r);
    assert_int_equal(count_events(&r, SFN_EV_TaskScheduled), 1);
    sfn_run_result_free(&r);
}

/* The first matching retrier decides even when exhausted: no fall-through
 * to a later retrier. */
static void test_exhausted_retrier_does_not_fall_through(void **state)
{
    (void)state;
    sfn_run_result r;
    run_def("{'StartAt':'T','States':{'T':{" FAIL_TASK "," BOOM ","
            "'Retry':[{'ErrorEquals':['Boom'],'MaxAttempts':1},"
            "{'ErrorEquals':['States.ALL'],'MaxAttempts':5}],"
            "'End':true}}}",
            NULL, &r);
    assert_int_equal(count_events(&r, SFN_EV_TaskScheduled), 2);
    sfn_run_result_free(&r);
}

/* $$.State.RetryCount counts the retries of this visit: the Parameters of
 * the last of three attempts see 2. */
static void test_retry_count_in_context(void **state)
{
    (void)state;
    expect_failure("{'StartAt':'T','States':{'T':{" FAIL_TASK ","
                   "'Parameters':{'Error':'E','Cause.$':"
                   "'States.Format(`attempt {}`, $$.State.RetryCount)'},"
                   "'Retry':[{'ErrorEquals':['E'],'MaxAttempts':2,"
                   "'IntervalSeconds':1}],'End':true}}}",
                   NULL, "E", "attempt 2");
}

/* ---- Catch ------------------------------------------------------------- */

static void test_catch_order_first_match_wins(void **state)
{
    (void)state;
    expect_output("{'StartAt':'T','States':{'T':{" FAIL_TASK "," BOOM ","
                  "'Catch':[{'ErrorEquals':['Other'],'Next':'A'},"
                  "{'ErrorEquals':['Boom'],'Next':'B'},"
                  "{'ErrorEquals':['States.ALL'],'Next':'C'}],'End':true},"
                  "'A':{'Type':'Pass','Result':'A','End':true},"
                  "'B':{'Type':'Pass','Result':'B','End':true},"
                  "'C':{'Type':'Pass','Result':'C','End':true}}}",
                  NULL, "'B'");
}

/* Default ResultPath `$`: the next state gets just the error output. */
static void test_catch_default_result_path(void **state)
{
    (void)state;
    expect_output("{'StartAt':'T','States':{'T':{" FAIL_TASK "," BOOM ","
                  "'Catch':[{'ErrorEquals':['Boom'],'Next':'N'}],"
                  "'End':true},'N':{'Type':'Pass','End':true}}}",
                  "{'in':1}", "{'Error':'Boom','Cause':'it broke'}");
}

/* ResultPath merges the error output into the raw input; OutputPath is
 * not applied; the exit event follows TaskFailed. */
static void test_catch_result_path_merges(void **state)
{
    (void)state;
    sfn_run_result r;
    run_def("{'StartAt':'T','States':{'T':{" FAIL_TASK "," BOOM ","
            "'OutputPath':'$.nothing',"
            "'Catch':[{'ErrorEquals':['Boom'],'ResultPath':'$.err',"
            "'Next':'N'}],'End':true},'N':{'Type':'Pass','End':true}}}",
            "{'in':1}", &r);
    assert_int_equal(r.status, SFN_EXEC_SUCCEEDED);
    json_t *want =
        parse_q("{'in':1,'err':{'Error':'Boom','Cause':'it broke'}}");
    assert_true(json_same(want, r.output));
    json_decref(want);
    long failed = nth_event(&r, SFN_EV_TaskFailed, 0);
    assert_int_equal(r.events[failed + 1].type, SFN_EV_TaskStateExited);
    sfn_run_result_free(&r);
}

/* Only the catcher's Assign runs, never the state's. */
static void test_catch_assign_replaces_state_assign(void **state)
{
    (void)state;
    expect_output("{'StartAt':'T','States':{'T':{" FAIL_TASK "," BOOM ","
                  "'Assign':{'who':'state'},"
                  "'Catch':[{'ErrorEquals':['Boom'],'ResultPath':null,"
                  "'Assign':{'who':'catcher','err.$':'$.Error'},"
                  "'Next':'N'}],'End':true},"
                  "'N':{'Type':'Pass','Parameters':{'who.$':'$who',"
                  "'err.$':'$err'},'End':true}}}",
                  NULL, "{'who':'catcher','err':'Boom'}");
}

static void test_states_all_matches_custom_error(void **state)
{
    (void)state;
    expect_output("{'StartAt':'T','States':{'T':{" FAIL_TASK "," BOOM ","
                  "'Catch':[{'ErrorEquals':['States.ALL'],'Next':'N'}],"
                  "'End':true},'N':{'Type':'Pass','Result':'ok',"
                  "'End':true}}}",
                  NULL, "'ok'");
}

static void test_task_failed_matches_custom_error(void **state)
{
    (void)state;
    expect_output("{'StartAt':'T','States':{'T':{" FAIL_TASK "," BOOM ","
                  "'Catch':[{'ErrorEquals':['States.TaskFailed'],"
                  "'Next':'N'}],'End':true},'N':{'Type':'Pass',"
                  "'Result':'ok','End':true}}}",
                  NULL, "'ok'");
}

/* States.TaskFailed matches anything but States.Timeout. */
static void test_task_failed_does_not_match_timeout(void **state)
{
    (void)state;
    sfn_run_result r;
    run_def("{'StartAt':'T','States':{'T':{'Type':'Task',"
            "'Resource':'arn:stepd:task:sleep','TimeoutSeconds':5,"
            "'Catch':[{'ErrorEquals':['States.TaskFailed'],'Next':'N'}],"
            "'End':true},'N':{'Type':'Succeed'}}}",
            NULL, &r);
    assert_int_equal(r.status, SFN_EXEC_FAILED);
    assert_string_equal(r.error, "States.Timeout");
    long timed_out = nth_event(&r, SFN_EV_TaskTimedOut, 0);
    long started = nth_event(&r, SFN_EV_TaskStarted, 0);
    assert_true(timed_out > started && started > 0);
    assert_int_equal(r.events[timed_out].ts_ms - r.events[started].ts_ms,
                     5000);
    sfn_run_result_free(&r);
    expect_output("{'StartAt':'T','States':{'T':{'Type':'Task',"
                  "'Resource':'arn:stepd:task:sleep','TimeoutSeconds':5,"
                  "'Catch':[{'ErrorEquals':['States.Timeout'],'Next':'N'}],"
                  "'End':true},'N':{'Type':'Pass','OutputPath':'$.Error',"
                  "'End':true}}}",
                  NULL, "'States.Timeout'");
}

/* ---- Parallel and Map -------------------------------------------------- */

#define FAILING_BRANCH                                                    \
    "{'StartAt':'F','States':{'F':{'Type':'Fail','Error':'BranchErr',"    \
    "'Cause':'branch cause'}}}"
#define OK_BRANCH                                                         \
    "{'StartAt':'P','States':{'P':{'Type':'Pass','End':true}}}"

/* The branch's own error and cause, not States.BranchFailed (asl.md 2.8). */
static void test_parallel_failure_propagates_branch_error(void **state)
{
    (void)state;
    sfn_run_result r;
    run_def("{'StartAt':'Par','States':{'Par':{'Type':'Parallel',"
            "'Branches':[" OK_BRANCH "," FAILING_BRANCH "],'End':true}}}",
            NULL, &r);
    assert_int_equal(r.status, SFN_EXEC_FAILED);
    assert_string_equal(r.error, "BranchErr");
    assert_string_equal(r.cause, "branch cause");
    assert_int_equal(count_events(&r, SFN_EV_ParallelStateFailed), 1);
    assert_int_equal(r.events[r.n_events - 2].type,
                     SFN_EV_ParallelStateFailed);
    sfn_run_result_free(&r);
}

/* A retried Parallel starts again without a ParallelStateFailed between
 * the attempts (AWS-recorded for Map, scenarios map_state_retry). */
static void test_parallel_retry_reruns_branches(void **state)
{
    (void)state;
    sfn_run_result r;
    run_def("{'StartAt':'Par','States':{'Par':{'Type':'Parallel',"
            "'Branches':[" FAILING_BRANCH "],"
            "'Retry':[{'ErrorEquals':['BranchErr'],'MaxAttempts':2}],"
            "'Catch':[{'ErrorEquals':['States.ALL'],'Next':'N'}],"
            "'End':true},'N':{'Type':'Pass','End':true}}}",
            NULL, &r);
    assert_int_equal(r.status, SFN_EXEC_SUCCEEDED);
    assert_int_equal(count_events(&r, SFN_EV_ParallelStateStarted), 3);
    assert_int_equal(count_events(&r, SFN_EV_FailStateEntered), 3);
    assert_int_equal(count_events(&r, SFN_EV_ParallelStateFailed), 1);
    long failed = nth_event(&r, SFN_EV_ParallelStateFailed, 0);
    assert_int_equal(r.events[failed + 1].type, SFN_EV_ParallelStateExited);
    sfn_run_result_free(&r);
}

/* Items equal to 2 fail in the iteration. */
#define MAP_FAILING_ON_2(extra)                                            \
    "{'StartAt':'M','States':{'M':{'Type':'Map'," extra                    \
    "'ItemProcessor':{'StartAt':'C','States':{'C':{'Type':'Choice',"       \
    "'Choices':[{'Variable':'$','NumericEquals':2,'Next':'F'}],"           \
    "'Default':'P'},'F':{'Type':'Fail','Error':'Two','Cause':'got 2'},"    \
    "'P':{'Type':'Pass','End':true}}},'End':true}}}"

static void test_map_failure_propagates_iteration_error(void **state)
{
    (void)state;
    expect_failure(MAP_FAILING_ON_2(""), "[1,2,3]", "Two", "got 2");
}

static void test_map_tolerated_failure_count(void **state)
{
    (void)state;
    sfn_run_result r;
    run_def(MAP_FAILING_ON_2("'ToleratedFailureCount':1,"), "[1,2,3]", &r);
    assert_int_equal(r.status, SFN_EXEC_SUCCEEDED);
    assert_int_equal(json_integer_value(json_array_get(r.output, 0)), 1);
    assert_int_equal(json_integer_value(json_array_get(r.output, 2)), 3);
    assert_int_equal(count_events(&r, SFN_EV_MapIterationFailed), 1);
    sfn_run_result_free(&r);
    expect_failure(MAP_FAILING_ON_2("'ToleratedFailureCount':1,"),
                   "[2,1,2]", "States.ExceedToleratedFailureThreshold",
                   NULL);
}

static void test_map_tolerated_failure_percentage(void **state)
{
    (void)state;
    sfn_run_result r;
    run_def(MAP_FAILING_ON_2("'ToleratedFailurePercentage':50,"),
            "[1,2,3,4]", &r);
    assert_int_equal(r.status, SFN_EXEC_SUCCEEDED);
    sfn_run_result_free(&r);
    expect_failure(MAP_FAILING_ON_2("'ToleratedFailurePercentage':50,"),
                   "[2,2,2,1]", "States.ExceedToleratedFailureThreshold",
                   NULL);
}

static void test_map_retry_has_one_map_state_failed(void **state)
{
    (void)state;
    sfn_run_result r;
    run_def(MAP_FAILING_ON_2("'Retry':[{'ErrorEquals':['Two'],"
                             "'MaxAttempts':1}],"),
            "[2]", &r);
    assert_int_equal(r.status, SFN_EXEC_FAILED);
    assert_string_equal(r.error, "Two");
    assert_int_equal(count_events(&r, SFN_EV_MapStateStarted), 2);
    assert_int_equal(count_events(&r, SFN_EV_MapStateFailed), 1);
    assert_int_equal(r.events[r.n_events - 2].type, SFN_EV_MapStateFailed);
    sfn_run_result_free(&r);
}

/* ---- Fail -------------------------------------------------------------- */

static void test_fail_static_error_and_cause(void **state)
{
    (void)state;
    expect_failure("{'StartAt':'F','States':{'F':{'Type':'Fail',"
                   "'Error':'E1','Cause':'C1'}}}",
                   NULL, "E1", "C1");
}

static void test_fail_error_path_and_cause_path(void **state)
{
    (void)state;
    expect_failure("{'StartAt':'F','States':{'F':{'Type':'Fail',"
                   "'ErrorPath':'$.e','CausePath':'$.c'}}}",
                   "{'e':'error string','c':'cause string'}",
                   "error string", "cause string");
}

static void test_fail_paths_with_intrinsics(void **state)
{
    (void)state;
    expect_failure("{'StartAt':'F','States':{'F':{'Type':'Fail',"
                   "'ErrorPath':'States.Format(`E-{}`, $.n)',"
                   "'CausePath':'States.JsonToString($.o)'}}}",
                   "{'n':7,'o':{'a':1}}", "E-7", "{\"a\":1}");
}

static void test_fail_missing_error_path_is_runtime(void **state)
{
    (void)state;
    expect_failure("{'StartAt':'F','States':{'F':{'Type':'Fail',"
                   "'ErrorPath':'$.nope'}}}",
                   "{'a':1}", "States.Runtime",
                   "The JSONPath '$.nope' specified for the field "
                   "'ErrorPath' could not be found in the input "
                   "'{\"a\":1}'");
}

/* No Error and no Cause: the execution fails with neither. */
static void test_fail_without_error_or_cause(void **state)
{
    (void)state;
    sfn_run_result r;
    run_def("{'StartAt':'F','States':{'F':{'Type':'Fail'}}}", NULL, &r);
    assert_int_equal(r.status, SFN_EXEC_FAILED);
    assert_null(r.error);
    assert_null(r.cause);
    sfn_run_result_free(&r);
}

/* ---- Wait and payload errors (AWS-recorded wording) -------------------- */

static void test_wait_seconds_path_errors(void **state)
{
    (void)state;
    const char *def = "{'StartAt':'W','States':{'W':{'Type':'Wait',"
                      "'SecondsPath':'$.s','End':true}}}";
    expect_failure(def, "{'s':-1}", "States.Runtime",
                   "The SecondsPath parameter references a negative "
                   "value: $.s == -1");
    expect_failure(def, "{'s':1.5}", "States.Runtime",
                   "The SecondsPath parameter cannot be parsed as a long "
                   "value: $.s == 1.5");
    expect_failure(def, "{}", "States.Runtime",
                   "An error occurred while executing the state 'W' "
                   "(entered at the event id #2). The SecondsPath parameter "
                   "does not reference an input value: $.s");
}

static void test_wait_timestamp_path_invalid(void **state)
{
    (void)state;
    expect_failure("{'StartAt':'W','States':{'W':{'Type':'Wait',"
                   "'TimestampPath':'$.t','End':true}}}",
                   "{'t':'2016-12-05 21:29:29Z'}", "States.Runtime",
                   "The TimestampPath parameter does not reference a valid "
                   "ISO-8601 extended offset date-time format string: $.t "
                   "== 2016-12-05 21:29:29Z");
}

static void test_max_concurrency_path_invalid(void **state)
{
    (void)state;
    expect_failure("{'StartAt':'M','States':{'M':{'Type':'Map',"
                   "'MaxConcurrencyPath':'$.mc','ItemsPath':'$.xs',"
                   "'ItemProcessor':{'StartAt':'P','States':{'P':{"
                   "'Type':'Pass','End':true}}},'End':true}}}",
                   "{'mc':'NoNumber','xs':[1]}", "States.Runtime",
                   "The MaxConcurrencyPath field refers to value "
                   "\"NoNumber\" which is not a valid integer: $.mc");
}

/* A Pass result over 256 KiB ends the execution, uncaught. */
static void test_pass_result_over_payload_limit(void **state)
{
    (void)state;
    size_t big = 262144 + 16;
    const char *head = "{'StartAt':'P','States':{'P':{'Type':'Pass',"
                       "'Result':{'a':'";
    const char *tail = "'},'End':true}}}";
    char *def = malloc(strlen(head) + big + strlen(tail) + 1);
    assert_non_null(def);
    strcpy(def, head);
    memset(def + strlen(head), 'a', big);
    strcpy(def + strlen(head) + big, tail);
    expect_failure(def, NULL, "States.DataLimitExceeded",
                   "The state/task 'P' returned a result with a size "
                   "exceeding the maximum number of bytes service limit.");
    free(def);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_runtime_error_is_not_caught),
        cmocka_unit_test(test_result_path_match_failure_is_catchable),
        cmocka_unit_test(test_intrinsic_failure_is_catchable),
        cmocka_unit_test(test_no_choice_matched),
        cmocka_unit_test(test_retry_count_and_final_error),
        cmocka_unit_test(test_retry_backoff),
        cmocka_unit_test(test_retry_max_delay_caps_backoff),
        cmocka_unit_test(test_retry_full_jitter_bounds),
        cmocka_unit_test(test_retry_max_attempts_zero_never_retries),
        cmocka_unit_test(test_exhausted_retrier_does_not_fall_through),
        cmocka_unit_test(test_retry_count_in_context),
        cmocka_unit_test(test_catch_order_first_match_wins),
        cmocka_unit_test(test_catch_default_result_path),
        cmocka_unit_test(test_catch_result_path_merges),
        cmocka_unit_test(test_catch_assign_replaces_state_assign),
        cmocka_unit_test(test_states_all_matches_custom_error),
        cmocka_unit_test(test_task_failed_matches_custom_error),
        cmocka_unit_test(test_task_failed_does_not_match_timeout),
        cmocka_unit_test(test_parallel_failure_propagates_branch_error),
        cmocka_unit_test(test_parallel_retry_reruns_branches),
        cmocka_unit_test(test_map_failure_propagates_iteration_error),
        cmocka_unit_test(test_map_tolerated_failure_count),
        cmocka_unit_test(test_map_tolerated_failure_percentage),
        cmocka_unit_test(test_map_retry_has_one_map_state_failed),
        cmocka_unit_test(test_fail_static_error_and_cause),
        cmocka_unit_test(test_fail_error_path_and_cause_path),
        cmocka_unit_test(test_fail_paths_with_intrinsics),
        cmocka_unit_test(test_fail_missing_error_path_is_runtime),
        cmocka_unit_test(test_fail_without_error_or_cause),
        cmocka_unit_test(test_wait_seconds_path_errors),
        cmocka_unit_test(test_wait_timestamp_path_invalid),
        cmocka_unit_test(test_max_concurrency_path_invalid),
        cmocka_unit_test(test_pass_result_over_payload_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

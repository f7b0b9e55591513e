/* test_exec_jsonata.c: JSONata-mode state machines (QueryLanguage JSONata)
 * run through the in-memory runner: $states (input, result, errorOutput,
 * context), Arguments / Output / Assign templates, variables and their
 * pre-state snapshot, Choice Conditions, Wait / Task / Fail / Map fields as
 * expressions, Map Items and ItemSelector, Parallel Arguments, Catch
 * Output / Assign, mixed JSONPath / JSONata machines, and
 * States.QueryEvaluationError with its EvaluationFailed event.  Expected
 * values from asl.md sections 5.4 and 7 and the AWS recordings of the
 * conformance corpus (causes worded as recorded). */
#include "exec_run_util.h"

#define JA(states) "{'QueryLanguage':'JSONata','StartAt':'S','States':{" \
    states "}}"
#define ONE(body) JA("'S':{" body ",'End':true}")
#define FAIL_STATE(body) JA("'S':{'Type':'Fail'," body "}")
#define ECHO "'Type':'Task','Resource':'arn:stepd:task:echo'"
#define FAIL_TASK "'Type':'Task','Resource':'arn:stepd:task:fail'"

/* The details of the only EvaluationFailed event (borrowed). */
static json_t *eval_failed(const sfn_run_result *r)
{
    assert_int_equal(count_events(r, SFN_EV_EvaluationFailed), 1);
    long i = nth_event(r, SFN_EV_EvaluationFailed, 0);
    return r->events[i].details;
}

static const char *detail(json_t *d, const char *key)
{
    const char *v = json_string_value(json_object_get(d, key));
    assert_non_null(v);
    return v;
}

/* ---- Output and $states ------------------------------------------------ */

static void test_output_expression_reads_states_input(void **state)
{
    (void)state;
    expect_output(ONE("'Type':'Pass','Output':'{% $states.input.a * 2 %}'"),
                  "{'a':21}", "42");
}

static void test_output_template_mixes_literals_and_expressions(void **state)
{
    (void)state;
    expect_output(ONE("'Type':'Pass','Output':{'lit':'x','n':null,"
                      "'sum':'{% $sum($states.input.v) %}',"
                      "'list':[1,'{% $states.input.v[0] %}','$.a'],"
                      "'nested':{'up':'{% $uppercase(`ab`) %}'}}"),
                  "{'v':[1,2,3]}",
                  "{'lit':'x','n':null,'sum':6,'list':[1,1,'$.a'],"
                  "'nested':{'up':'AB'}}");
}

/* A string that is not exactly {% ... %} is a literal (asl.md 7.2). */
static void test_string_not_exactly_delimited_is_literal(void **state)
{
    (void)state;
    expect_output(ONE("'Type':'Pass','Output':{'a':' {% 1 %}','b':'$.x'}"),
                  NULL, "{'a':' {% 1 %}','b':'$.x'}");
}

static void test_pass_output_defaults_to_input(void **state)
{
    (void)state;
    expect_output(ONE("'Type':'Pass'"), "{'k':[1,2]}", "{'k':[1,2]}");
}

static void test_context_object_in_states_context(void **state)
{
    (void)state;
    expect_output(ONE("'Type':'Pass','Output':{"
                      "'name':'{% $states.context.State.Name %}',"
                      "'input':'{% $states.context.Execution.Input %}'}"),
                  "{'x':1}", "{'name':'S','input':{'x':1}}");
}

/* Integral results come back as JSON integers. */
static void test_integral_result_is_integer(void **state)
{
    (void)state;
    sfn_run_result r;
    run_def(ONE("'Type':'Pass','Output':'{% $sum([1.5, 2.5]) %}'"), NULL,
            &r);
    assert_int_equal(r.status, SFN_EXEC_SUCCEEDED);
    assert_true(json_is_integer(r.output));
    assert_int_equal(json_integer_value(r.output), 4);
    sfn_run_result_free(&r);
}

/* Step Functions' additions are available, $eval is not (asl.md 7.7). */
static void test_aws_functions_available(void **state)
{
    (void)state;
    expect_output(ONE("'Type':'Pass','Output':"
                      "'{% $partition([1,2,3], 2) %}'"),
                  NULL, "[[1,2],[3]]");
}

static void test_eval_function_is_absent(void **state)
{
    (void)state;
    expect_failure(ONE("'Type':'Pass','Output':'{% $eval(`1`) %}'"), NULL,
                   "States.QueryEvaluationError", "threw an error");
}

/* ---- errors ------------------------------------------------------------ */

/* Recorded: assign BASE_UNDEFINED_OUTPUT. */
static void test_undefined_output_is_query_error(void **state)
{
    (void)state;
    sfn_run_result r;
    run_def(ONE("'Type':'Pass','Output':'{% $doesNotExist %}'"), NULL, &r);
    assert_int_equal(r.status, SFN_EXEC_FAILED);
    assert_string_equal(r.error, "States.QueryEvaluationError");
    assert_string_equal(r.cause,
                        "An error occurred while executing the state 'S' "
                        "(entered at the event id #2). The JSONata "
                        "expression '$doesNotExist' specified for the field "
                        "'Output' returned nothing (undefined).");
    json_t *d = eval_failed(&r);
    assert_string_equal(detail(d, "error"), "States.QueryEvaluationError");
    assert_string_equal(detail(d, "location"), "Output");
    assert_string_equal(detail(d, "state"), "S");
    assert_string_equal(detail(d, "cause"), r.cause);
    sfn_run_result_free(&r);
}

/* An undefined member is an error, not dropped (recorded:
 * BASE_UNDEFINED_OUTPUT_FIELD). */
static void test_undefined_member_names_its_field(void **state)
{
    (void)state;
    sfn_run_result r;
    run_def(ONE("'Type':'Pass','Output':{'ok':1,'result':"
                "'{% $states.input.nope %}'}"),
            NULL, &r);
    assert_int_equal(r.status, SFN_EXEC_FAILED);
    assert_non_null(strstr(r.cause, "specified for the field "
                                    "'Output/result' returned nothing"));
    assert_string_equal(detail(eval_failed(&r), "location"),
                        "Output/result");
    sfn_run_result_free(&r);
}

static void test_undefined_assign_names_its_field(void **state)
{
    (void)state;
    expect_failure(ONE("'Type':'Pass','Assign':{'v':'{% $nope %}'}"), NULL,
                   "States.QueryEvaluationError",
                   "The JSONata expression '$nope' specified for the field "
                   "'Assign/v' returned nothing (undefined).");
}

static void test_evaluation_error_is_query_error(void **state)
{
    (void)state;
    expect_failure(ONE("'Type':'Pass','Output':'{% `a` + 1 %}'"), NULL,
                   "States.QueryEvaluationError",
                   "The JSONata expression ''a' + 1' specified for the "
                   "field 'Output' threw an error during evaluation: T2001");
}

/* States.QueryEvaluationError is catchable (asl.md 6.1). */
static void test_query_error_is_caught(void **state)
{
    (void)state;
    expect_output(JA("'S':{" ECHO ",'Arguments':'{% $nope %}',"
                     "'Catch':[{'ErrorEquals':['States.QueryEvaluationError'],"
                     "'Output':'{% $states.errorOutput.Error %}',"
                     "'Next':'D'}],'End':true},'D':{'Type':'Succeed'}"),
                  NULL, "'States.QueryEvaluationError'");
}

/* ---- variables --------------------------------------------------------- */

static void test_assign_visible_in_next_state(void **state)
{
    (void)state;
    expect_output(JA("'S':{'Type':'Pass','Assign':{'x':'{% $states.input.a "
                     "+ 1 %}','lit':[1]},'Next':'T'},"
                     "'T':{'Type':'Pass','Output':'{% [$x, $lit] %}',"
                     "'End':true}"),
                  "{'a':1}", "[2,1]");
}

/* Assign and Output of one state see the pre-state values: swap works
 * (asl.md 7.5). */
static void test_assign_sees_pre_state_snapshot(void **state)
{
    (void)state;
    expect_output(JA("'S':{'Type':'Pass','Assign':{'x':1,'y':2},'Next':'T'},"
                     "'T':{'Type':'Pass','Assign':{'x':'{% $y %}',"
                     "'y':'{% $x %}'},'Output':'{% $x %}','Next':'U'},"
                     "'U':{'Type':'Pass','Output':'{% [$x, $y] %}',"
                     "'End':true}"),
                  NULL, "[2,1]");
}

static void test_assigned_variables_in_exited_event(void **state)
{
    (void)state;
    sfn_run_result r;
    run_def(ONE("'Type':'Pass','Assign':{'v':'{% `x` %}'}"), NULL, &r);
    long i = nth_event(&r, SFN_EV_PassStateExited, 0);
    assert_true(i >= 0);
    json_t *vars = json_object_get(r.events[i].details, "assignedVariables");
    assert_string_equal(json_string_value(json_object_get(vars, "v")),
                        "\"x\"");
    sfn_run_result_free(&r);
}

/* Mixed machines: JSONPath reads a JSONata variable and the reverse
 * (conformance query_language variable_sampling). */
static void test_mixed_languages_share_variables(void **state)
{
    (void)state;
    expect_output("{'StartAt':'P','States':{"
                  "'P':{'Type':'Pass','Assign':{'a':42},'Next':'J'},"
                  "'J':{'QueryLanguage':'JSONata','Type':'Pass',"
                  "'Assign':{'b':'{% $a + 1 %}'},'Output':{'in':"
                  "'{% $states.input %}'},'Next':'Q'},"
                  "'Q':{'Type':'Pass','Parameters':{'b.$':'$b','in.$':'$.in'},"
                  "'End':true}}}",
                  "{'z':0}", "{'b':43,'in':{'z':0}}");
}

/* An iteration reads the outer scope's variables. */
static void test_inner_scope_reads_outer_variables(void **state)
{
    (void)state;
    expect_output(JA("'S':{'Type':'Pass','Assign':{'k':10},'Next':'M'},"
                     "'M':{'Type':'Map','Items':[1,2],"
                     "'ItemProcessor':{'StartAt':'I','States':{'I':{"
                     "'Type':'Pass','Output':'{% $states.input + $k %}',"
                     "'End':true}}},'End':true}"),
                  NULL, "[11,12]");
}

/* ---- Task -------------------------------------------------------------- */

static void test_task_arguments_and_result(void **state)
{
    (void)state;
    expect_output(ONE(ECHO ",'Arguments':{'v':'{% $states.input.a %}'},"
                      "'Output':{'got':'{% $states.result.v %}',"
                      "'was':'{% $states.input %}'}"),
                  "{'a':7}", "{'got':7,'was':{'a':7}}");
}

static void test_task_output_defaults_to_result(void **state)
{
    (void)state;
    expect_output(ONE(ECHO ",'Arguments':{'r':1}"), "{'a':7}", "{'r':1}");
}

static void test_task_assign_reads_result(void **state)
{
    (void)state;
    expect_output(JA("'S':{" ECHO ",'Arguments':{'r':5},"
                     "'Assign':{'v':'{% $states.result.r %}'},'Next':'T'},"
                     "'T':{'Type':'Pass','Output':'{% $v %}','End':true}"),
                  NULL, "5");
}

static void test_task_timeout_expression(void **state)
{
    (void)state;
    sfn_run_result r;
    run_def(ONE(ECHO ",'TimeoutSeconds':'{% $states.input.t %}'"),
            "{'t':30}", &r);
    assert_int_equal(r.status, SFN_EXEC_SUCCEEDED);
    long i = nth_event(&r, SFN_EV_TaskScheduled, 0);
    assert_int_equal(json_integer_value(json_object_get(
                         r.events[i].details, "timeoutInSeconds")),
                     30);
    sfn_run_result_free(&r);
}

static void test_task_timeout_of_wrong_type(void **state)
{
    (void)state;
    expect_failure(ONE(ECHO ",'TimeoutSeconds':'{% `ten` %}'"), NULL,
                   "States.QueryEvaluationError",
                   "specified for the field 'TimeoutSeconds' returned an "
                   "unexpected result type. Expected 'integer', but was "
                   "'string' for value: \"ten\"");
}

/* ---- Catch ------------------------------------------------------------- */

static void test_catch_output_defaults_to_error_output(void **state)
{
    (void)state;
    expect_output(JA("'S':{" FAIL_TASK ",'Arguments':{'Error':'E',"
                     "'Cause':'c'},'Catch':[{'ErrorEquals':['States.ALL'],"
                     "'Next':'D'}],'End':true},'D':{'Type':'Succeed'}"),
                  NULL, "{'Error':'E','Cause':'c'}");
}

/* Only the catcher's Assign runs; it sees $states.errorOutput. */
static void test_catch_assign_and_output(void **state)
{
    (void)state;
    expect_output(JA("'S':{" FAIL_TASK ",'Arguments':{'Error':'E'},"
                     "'Assign':{'top':1},"
                     "'Catch':[{'ErrorEquals':['E'],'Assign':{'err':"
                     "'{% $states.errorOutput.Error %}'},"
                     "'Output':{'in':'{% $states.input %}'},'Next':'D'}],"
                     "'End':true},"
                     "'D':{'Type':'Pass','Output':'{% [$err, $exists($top), "
                     "$states.input] %}','End':true}"),
                  "{'q':1}", "['E',false,{'in':{'q':1}}]");
}

/* ---- Choice ------------------------------------------------------------ */

#define CHOICE(rules, extra) JA("'S':{'Type':'Choice','Choices':[" rules \
    "],'Default':'D'" extra "},'A':{'Type':'Pass','End':true}," \
    "'D':{'Type':'Pass','Output':'default','End':true}")

static void test_choice_condition_true_takes_rule(void **state)
{
    (void)state;
    expect_output(CHOICE("{'Condition':'{% $states.input.n > 1 %}',"
                         "'Next':'A'}", ""),
                  "{'n':2}", "{'n':2}");
}

static void test_choice_condition_false_takes_default(void **state)
{
    (void)state;
    expect_output(CHOICE("{'Condition':'{% $states.input.n > 1 %}',"
                         "'Next':'A'}", ""),
                  "{'n':1}", "'default'");
}

/* Recorded: outputdecl output_in_choice. */
static void test_choice_rule_output_wins(void **state)
{
    (void)state;
    expect_output(CHOICE("{'Condition':true,'Next':'A','Output':'rule'}",
                         ",'Output':'state'"),
                  NULL, "'rule'");
}

static void test_choice_state_output_on_default(void **state)
{
    (void)state;
    expect_output(JA("'S':{'Type':'Choice','Choices':[{'Condition':false,"
                     "'Next':'A','Output':'rule'}],'Default':'A',"
                     "'Output':'state'},'A':{'Type':'Pass','End':true}"),
                  NULL, "'state'");
}

/* The state-level Assign applies whichever rule matches; a rule's Assign
 * adds to it (AWS docs, Choice Rules). */
static void test_choice_rule_and_state_assign(void **state)
{
    (void)state;
    expect_output(JA("'S':{'Type':'Choice','Choices':[{'Condition':true,"
                     "'Next':'A','Assign':{'r':'{% 1 %}','both':'rule'}}],"
                     "'Assign':{'s':2,'both':'state'}},"
                     "'A':{'Type':'Pass','Output':'{% [$r, $s, $both] %}',"
                     "'End':true}"),
                  NULL, "[1,2,'rule']");
}

static void test_choice_non_boolean_condition(void **state)
{
    (void)state;
    expect_failure(CHOICE("{'Condition':'{% $states.input.n %}',"
                          "'Next':'A'}", ""),
                   "{'n':3}", "States.QueryEvaluationError",
                   "The JSONata expression '$states.input.n' specified for "
                   "the field 'Condition' returned an unexpected result "
                   "type. Expected 'boolean', but was 'number' for value: "
                   "3");
}

/* ---- Wait -------------------------------------------------------------- */

static int64_t waited_ms(const sfn_run_result *r)
{
    long a = nth_event(r, SFN_EV_WaitStateEntered, 0);
    long b = nth_event(r, SFN_EV_WaitStateExited, 0);
    assert_true(a >= 0 && b > a);
    return r->events[b].ts_ms - r->events[a].ts_ms;
}

static void test_wait_seconds_expression(void **state)
{
    (void)state;
    sfn_run_result r;
    run_def(ONE("'Type':'Wait','Seconds':'{% $states.input.s * 2 %}'"),
            "{'s':5}", &r);
    assert_int_equal(r.status, SFN_EXEC_SUCCEEDED);
    assert_int_equal(waited_ms(&r), 10000);
    sfn_run_result_free(&r);
}

/* The runner starts at 2024-01-01T00:00:00Z. */
static void test_wait_timestamp_expression(void **state)
{
    (void)state;
    sfn_run_result r;
    run_def(ONE("'Type':'Wait','Timestamp':'{% $states.input.t %}',"
                "'Output':{'waited':true}"),
            "{'t':'2024-01-01T00:01:00Z'}", &r);
    assert_int_equal(r.status, SFN_EXEC_SUCCEEDED);
    assert_int_equal(waited_ms(&r), 60000);
    assert_true(json_is_true(json_object_get(r.output, "waited")));
    sfn_run_result_free(&r);
}

static void test_wait_negative_seconds(void **state)
{
    (void)state;
    expect_failure(ONE("'Type':'Wait','Seconds':'{% -1 %}'"), NULL,
                   "States.QueryEvaluationError",
                   "Expected 'non-negative integer', but was 'number' for "
                   "value: -1");
}

/* ---- Fail -------------------------------------------------------------- */

/* Recorded: scenarios fail_error_jsonata / fail_cause_jsonata. */
static void test_fail_error_and_cause_expressions(void **state)
{
    (void)state;
    expect_failure(FAIL_STATE("'Error':'{% $states.input.e %}',"
                              "'Cause':'{% `because ` & $states.input.e %}'"),
                   "{'e':'Oops'}", "Oops", "because Oops");
}

static void test_fail_error_of_wrong_type(void **state)
{
    (void)state;
    expect_failure(FAIL_STATE("'Error':'{% 1 %}'"), NULL,
                   "States.QueryEvaluationError",
                   "specified for the field 'Error' returned an unexpected "
                   "result type. Expected 'string', but was 'number'");
}

/* ---- Map and Parallel -------------------------------------------------- */

#define PROC "'ItemProcessor':{'StartAt':'I','States':{'I':{'Type':'Pass'," \
    "'End':true}}}"

static void test_map_items_expression(void **state)
{
    (void)state;
    expect_output(ONE("'Type':'Map','Items':'{% $states.input.xs[$ > 1] %}',"
                      PROC),
                  "{'xs':[1,2,3]}", "[2,3]");
}

static void test_map_without_items_iterates_input(void **state)
{
    (void)state;
    expect_output(ONE("'Type':'Map'," PROC), "[4,5]", "[4,5]");
}

/* Recorded: scenarios map_state_items_eval_jsonata_fail_object. */
static void test_map_items_not_an_array(void **state)
{
    (void)state;
    sfn_run_result r;
    run_def(ONE("'Type':'Map','Items':'{% {`foo`: `bar`} %}'," PROC), NULL,
            &r);
    assert_int_equal(r.status, SFN_EXEC_FAILED);
    assert_string_equal(r.error, "States.QueryEvaluationError");
    assert_string_equal(r.cause,
                        "An error occurred while executing the state 'S' "
                        "(entered at the event id #2). The JSONata "
                        "expression '{'foo': 'bar'}' specified for the "
                        "field 'Items' returned an unexpected result type. "
                        "Expected 'array', but was 'object' for value: "
                        "{\"foo\":\"bar\"}");
    assert_string_equal(detail(eval_failed(&r), "location"), "Items");
    assert_int_equal(count_events(&r, SFN_EV_MapStateFailed), 1);
    sfn_run_result_free(&r);
}

/* Recorded: scenarios map_state_items_input_types_string. */
static void test_map_input_not_an_array(void **state)
{
    (void)state;
    expect_failure(ONE("'Type':'Map'," PROC), "{'a':1}",
                   "States.QueryEvaluationError",
                   "Map state input must be an array but was: {\"a\":1}");
}

static void test_map_item_selector_sees_item_and_index(void **state)
{
    (void)state;
    expect_output(ONE("'Type':'Map','Items':['a','b'],'ItemSelector':{"
                      "'v':'{% $states.context.Map.Item.Value %}',"
                      "'i':'{% $states.context.Map.Item.Index %}',"
                      "'in':'{% $states.input.k %}'}," PROC),
                  "{'k':0}",
                  "[{'v':'a','i':0,'in':0},{'v':'b','i':1,'in':0}]");
}

static void test_map_concurrency_and_tolerance_expressions(void **state)
{
    (void)state;
    expect_output(ONE("'Type':'Map','Items':[1,2],'MaxConcurrency':"
                      "'{% $states.input.c %}','ToleratedFailurePercentage':"
                      "'{% 50 %}','ToleratedFailureCount':'{% 1 %}',"
                      "'Output':'{% $count($states.result) %}'," PROC),
                  "{'c':1}", "2");
}

static void test_map_bad_concurrency_expression(void **state)
{
    (void)state;
    expect_failure(ONE("'Type':'Map','Items':[1],'MaxConcurrency':"
                       "'{% `x` %}'," PROC),
                   NULL, "States.QueryEvaluationError",
                   "specified for the field 'MaxConcurrency' returned an "
                   "unexpected result type");
}

static void test_parallel_arguments_and_result(void **state)
{
    (void)state;
    expect_output(ONE("'Type':'Parallel','Arguments':{'v':"
                      "'{% $states.input.a %}'},'Branches':["
                      "{'StartAt':'B1','States':{'B1':{'Type':'Pass',"
                      "'Output':'{% $states.input.v + 1 %}','End':true}}},"
                      "{'StartAt':'B2','States':{'B2':{'Type':'Pass',"
                      "'End':true}}}],"
                      "'Output':{'r':'{% $states.result %}'}"),
                  "{'a':1}", "{'r':[2,{'v':1}]}");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_output_expression_reads_states_input),
        cmocka_unit_test(test_output_template_mixes_literals_and_expressions),
        cmocka_unit_test(test_string_not_exactly_delimited_is_literal),
        cmocka_unit_test(test_pass_output_defaults_to_input),
        cmocka_unit_test(test_context_object_in_states_context),
        cmocka_unit_test(test_integral_result_is_integer),
        cmocka_unit_test(test_aws_functions_available),
        cmocka_unit_test(test_eval_function_is_absent),
        cmocka_unit_test(test_undefined_output_is_query_error),
        cmocka_unit_test(test_undefined_member_names_its_field),
        cmocka_unit_test(test_undefined_assign_names_its_field),
        cmocka_unit_test(test_evaluation_error_is_query_error),
        cmocka_unit_test(test_query_error_is_caught),
        cmocka_unit_test(test_assign_visible_in_next_state),
        cmocka_unit_test(test_assign_sees_pre_state_snapshot),
        cmocka_unit_test(test_assigned_variables_in_exited_event),
        cmocka_unit_test(test_mixed_languages_share_variables),
        cmocka_unit_test(test_inner_scope_reads_outer_variables),
        cmocka_unit_test(test_task_arguments_and_result),
        cmocka_unit_test(test_task_output_defaults_to_result),
        cmocka_unit_test(test_task_assign_reads_result),
        cmocka_unit_test(test_task_timeout_expression),
        cmocka_unit_test(test_task_timeout_of_wrong_type),
        cmocka_unit_test(test_catch_output_defaults_to_error_output),
        cmocka_unit_test(test_catch_assign_and_output),
        cmocka_unit_test(test_choice_condition_true_takes_rule),
        cmocka_unit_test(test_choice_condition_false_takes_default),
        cmocka_unit_test(test_choice_rule_output_wins),
        cmocka_unit_test(test_choice_state_output_on_default),
        cmocka_unit_test(test_choice_rule_and_state_assign),
        cmocka_unit_test(test_choice_non_boolean_condition),
        cmocka_unit_test(test_wait_seconds_expression),
        cmocka_unit_test(test_wait_timestamp_expression),
        cmocka_unit_test(test_wait_negative_seconds),
        cmocka_unit_test(test_fail_error_and_cause_expressions),
        cmocka_unit_test(test_fail_error_of_wrong_type),
        cmocka_unit_test(test_map_items_expression),
        cmocka_unit_test(test_map_without_items_iterates_input),
        cmocka_unit_test(test_map_items_not_an_array),
        cmocka_unit_test(test_map_input_not_an_array),
        cmocka_unit_test(test_map_item_selector_sees_item_and_index),
        cmocka_unit_test(test_map_concurrency_and_tolerance_expressions),
        cmocka_unit_test(test_map_bad_concurrency_expression),
        cmocka_unit_test(test_parallel_arguments_and_result),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

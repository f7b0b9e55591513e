/* test_exec_dataflow.c: JSONPath-mode data flow run through the in-memory
 * runner: InputPath, Parameters (paths, `$$`, intrinsics, variables),
 * ResultSelector, ResultPath (merge, null, created paths), OutputPath,
 * null Input/OutputPath, Pass Result, Assign scopes, Map ItemSelector and
 * Parallel inputs.  Expected values from asl.md sections 2-3 and 7.6. */
#include "exec_run_util.h"

#define ONE_STATE(body) \
    "{'StartAt':'S','States':{'S':{" body ",'End':true}}}"

#define ECHO "'Type':'Task','Resource':'arn:stepd:task:echo'"

/* ---- InputPath / OutputPath ------------------------------------------- */

static void test_input_path_selects(void **state)
{
    (void)state;
    expect_output(ONE_STATE("'Type':'Pass','InputPath':'$.a.b'"),
                  "{'a':{'b':[1,2]},'c':3}", "[1,2]");
}

static void test_input_path_null_gives_empty_object(void **state)
{
    (void)state;
    expect_output(ONE_STATE("'Type':'Pass','InputPath':null"), "{'a':1}",
                  "{}");
}

static void test_output_path_selects(void **state)
{
    (void)state;
    expect_output(ONE_STATE("'Type':'Pass','OutputPath':'$.a[1]'"),
                  "{'a':[10,20,30]}", "20");
}

static void test_output_path_null_gives_empty_object(void **state)
{
    (void)state;
    expect_output(ONE_STATE(ECHO ",'OutputPath':null"), "{'a':1}", "{}");
}

/* A non-definite path gives an array of its matches. */
static void test_input_path_wildcard_gives_array(void **state)
{
    (void)state;
    expect_output(ONE_STATE("'Type':'Pass','InputPath':'$.items[*].id'"),
                  "{'items':[{'id':1},{'id':2}]}", "[1,2]");
}

static void test_missing_input_path_is_runtime_error(void **state)
{
    (void)state;
    expect_failure(ONE_STATE("'Type':'Pass','InputPath':'$.nope'"),
                   "{'a':1}", "States.Runtime",
                   "An error occurred while executing the state 'S' "
                   "(entered at the event id #2). Invalid path '$.nope' : "
                   "No results for path: $['nope']");
}

/* ---- Parameters -------------------------------------------------------- */

static void test_parameters_paths_and_literals(void **state)
{
    (void)state;
    expect_output(ONE_STATE("'Type':'Pass','InputPath':'$.in',"
                            "'Parameters':{'x.$':'$.v','lit':'$.v',"
                            "'nested':{'y.$':'$.w[0]'},"
                            "'arr':[1,{'z.$':'$.v'}]}"),
                  "{'in':{'v':'V','w':[7]}}",
                  "{'x':'V','lit':'$.v','nested':{'y':7},'arr':[1,{'z':'V'}]}");
}

static void test_parameters_context_object(void **state)
{
    (void)state;
    expect_output(ONE_STATE("'Type':'Pass','Parameters':{"
                            "'name.$':'$$.State.Name',"
                            "'input.$':'$$.Execution.Input',"
                            "'start.$':'$$.Execution.StartTime'}"),
                  "{'k':1}",
                  "{'name':'S','input':{'k':1},"
                  "'start':'2024-01-01T00:00:00.000Z'}");
}

static void test_parameters_intrinsic(void **state)
{
    (void)state;
    expect_output(ONE_STATE("'Type':'Pass','Parameters':{"
                            "'msg.$':'States.Format(`Hello, {}!`, $.who)',"
                            "'n.$':'States.ArrayLength($.list)'}"),
                  "{'who':'World','list':[1,2,3]}",
                  "{'msg':'Hello, World!','n':3}");
}

static void test_parameters_variable(void **state)
{
    (void)state;
    expect_output("{'StartAt':'A','States':{"
                  "'A':{'Type':'Pass','Assign':{'cfg':{'level':2}},"
                  "'Next':'B'},"
                  "'B':{'Type':'Pass','Parameters':{'l.$':'$cfg.level',"
                  "'all.$':'$cfg'},'End':true}}}",
                  NULL, "{'l':2,'all':{'level':2}}");
}

static void test_parameters_missing_path_names_field(void **state)
{
    (void)state;
    expect_failure(ONE_STATE("'Type':'Pass','Parameters':{'v.$':'$.nope'}"),
                   "{'a':1}", "States.Runtime",
                   "The JSONPath '$.nope' specified for the field 'v.$' "
                   "could not be found in the input '{\"a\":1}'");
}

/* ---- Result, ResultSelector, ResultPath -------------------------------- */

/* Pass Result is used literally: no `.$` processing. */
static void test_pass_result_is_literal(void **state)
{
    (void)state;
    expect_output(ONE_STATE("'Type':'Pass','Result':{'a.$':'$.x'}"),
                  "{'x':1}", "{'a.$':'$.x'}");
}

static void test_result_selector(void **state)
{
    (void)state;
    expect_output(ONE_STATE(ECHO ",'Parameters':{'p':{'q':5}},"
                            "'ResultSelector':{'got.$':'$.p.q','c':1}"),
                  NULL, "{'got':5,'c':1}");
}

/* ResultPath merges into the raw input, not the effective input. */
static void test_result_path_merges_into_raw_input(void **state)
{
    (void)state;
    expect_output(ONE_STATE("'Type':'Pass','InputPath':'$.a',"
                            "'ResultPath':'$.r'"),
                  "{'a':{'x':1},'b':2}", "{'a':{'x':1},'b':2,'r':{'x':1}}");
}

static void test_result_path_creates_missing_objects(void **state)
{
    (void)state;
    expect_output(ONE_STATE("'Type':'Pass','Result':7,"
                            "'ResultPath':'$.a.b.c'"),
                  "{'a':{'k':0}}", "{'a':{'k':0,'b':{'c':7}}}");
}

static void test_result_path_overwrites(void **state)
{
    (void)state;
    expect_output(ONE_STATE("'Type':'Pass','Result':'new',"
                            "'ResultPath':'$.a'"),
                  "{'a':'old','b':1}", "{'a':'new','b':1}");
}

static void test_result_path_null_keeps_input(void **state)
{
    (void)state;
    expect_output(ONE_STATE(ECHO ",'Parameters':{'x':1},'ResultPath':null"),
                  "{'in':true}", "{'in':true}");
}

static void test_result_path_dollar_replaces_input(void **state)
{
    (void)state;
    expect_output(ONE_STATE("'Type':'Pass','Result':[1],'ResultPath':'$'"),
                  "{'in':true}", "[1]");
}

/* The full pipeline in order (asl.md 3.1). */
static void test_full_pipeline_order(void **state)
{
    (void)state;
    expect_output(ONE_STATE(ECHO ",'InputPath':'$.req',"
                            "'Parameters':{'v.$':'$.n'},"
                            "'ResultSelector':{'doubled.$':"
                            "'States.MathAdd($.v, $.v)'},"
                            "'ResultPath':'$.res','OutputPath':'$.res'"),
                  "{'req':{'n':4},'other':1}", "{'doubled':8}");
}

/* ---- Assign ------------------------------------------------------------ */

/* Task Assign: `$` is the raw result, before ResultSelector (asl.md 3.1). */
static void test_task_assign_sees_raw_result(void **state)
{
    (void)state;
    expect_output("{'StartAt':'T','States':{'T':{" ECHO ","
                  "'Parameters':{'raw':1},'ResultSelector':{'sel':2},"
                  "'Assign':{'r.$':'$'},'Next':'P'},"
                  "'P':{'Type':'Pass','Parameters':{'r.$':'$r'},"
                  "'End':true}}}",
                  NULL, "{'r':{'raw':1}}");
}

/* Pass Assign: `$` is the state's result (AWS-recorded, assign
 * BASE_ASSIGN_FROM_RESULT), and the state reads the variables as they
 * were before it. */
static void test_pass_assign_sees_result_and_old_values(void **state)
{
    (void)state;
    expect_output("{'StartAt':'A','States':{"
                  "'A':{'Type':'Pass','Assign':{'n':1},'Next':'B'},"
                  "'B':{'Type':'Pass','Result':{'answer':42},"
                  "'Assign':{'n':2,'a.$':'$.answer','old.$':'$n'},"
                  "'Next':'C'},"
                  "'C':{'Type':'Pass','Parameters':{'n.$':'$n','a.$':'$a',"
                  "'old.$':'$old'},'End':true}}}",
                  NULL, "{'n':2,'a':42,'old':1}");
}

/* Map iterations read outer variables; ItemSelector gets `$` = the Map's
 * effective input and $$.Map.Item. */
static void test_map_item_selector_and_outer_variable(void **state)
{
    (void)state;
    expect_output("{'StartAt':'A','States':{"
                  "'A':{'Type':'Pass','Assign':{'bias':10},'Next':'M'},"
                  "'M':{'Type':'Map','ItemsPath':'$.xs',"
                  "'ItemSelector':{'i.$':'$$.Map.Item.Index',"
                  "'v.$':'$$.Map.Item.Value','tag.$':'$.tag'},"
                  "'ItemProcessor':{'StartAt':'P','States':{'P':{"
                  "'Type':'Pass','Parameters':{'sum.$':"
                  "'States.MathAdd($.v, $bias)','i.$':'$.i','t.$':'$.tag'},"
                  "'End':true}}},'End':true}}}",
                  "{'xs':[1,2],'tag':'T'}",
                  "[{'sum':11,'i':0,'t':'T'},{'sum':12,'i':1,'t':'T'}]");
}

/* Legacy Map Parameters acts as ItemSelector. */
static void test_map_legacy_parameters(void **state)
{
    (void)state;
    expect_output(ONE_STATE("'Type':'Map','Parameters':{"
                            "'x.$':'$$.Map.Item.Value'},"
                            "'Iterator':{'StartAt':'P','States':{'P':{"
                            "'Type':'Pass','End':true}}}"),
                  "[5,6]", "[{'x':5},{'x':6}]");
}

/* Each branch gets the same effective input; results in branch order. */
static void test_parallel_branches_input_and_order(void **state)
{
    (void)state;
    expect_output(ONE_STATE("'Type':'Parallel','Parameters':{'v.$':'$.v'},"
                            "'Branches':["
                            "{'StartAt':'A','States':{'A':{'Type':'Pass',"
                            "'InputPath':'$.v','End':true}}},"
                            "{'StartAt':'B','States':{'B':{'Type':'Pass',"
                            "'Result':'b','End':true}}}],"
                            "'ResultSelector':{'first.$':'$[0]',"
                            "'second.$':'$[1]'}"),
                  "{'v':3}", "{'first':3,'second':'b'}");
}

static void test_map_max_concurrency_path_string(void **state)
{
    (void)state;
    /* AWS-recorded: MaxConcurrencyPath may name a string holding an
     * integer. */
    expect_output(ONE_STATE("'Type':'Map','ItemsPath':'$.xs',"
                            "'MaxConcurrencyPath':'$.mc',"
                            "'ItemProcessor':{'StartAt':'P','States':{'P':{"
                            "'Type':'Pass','End':true}}}"),
                  "{'xs':[1,2,3],'mc':'1'}", "[1,2,3]");
}

static void test_map_items_must_be_array(void **state)
{
    (void)state;
    expect_failure(ONE_STATE("'Type':'Map','ItemsPath':'$.xs',"
                             "'ItemProcessor':{'StartAt':'P','States':{'P':{"
                             "'Type':'Pass','End':true}}}"),
                   "{'xs':{'a':1}}", "States.Runtime",
                   "Map state input must be an array but was: {\"a\":1}");
}

/* ---- Wait -------------------------------------------------------------- */

static void test_wait_seconds_path_and_output(void **state)
{
    (void)state;
    sfn_run_result r;
    run_def(ONE_STATE("'Type':'Wait','SecondsPath':'$.s',"
                      "'OutputPath':'$.keep'"),
            "{'s':90,'keep':'k'}", &r);
    assert_int_equal(r.status, SFN_EXEC_SUCCEEDED);
    assert_string_equal(json_string_value(r.output), "k");
    long entered = nth_event(&r, SFN_EV_WaitStateEntered, 0);
    long exited = nth_event(&r, SFN_EV_WaitStateExited, 0);
    assert_true(entered >= 0 && exited > entered);
    assert_int_equal(r.events[exited].ts_ms - r.events[entered].ts_ms,
                     90000);
    sfn_run_result_free(&r);
}

static void test_wait_timestamp_in_past_does_not_wait(void **state)
{
    (void)state;
    sfn_run_result r;
    run_def(ONE_STATE("'Type':'Wait','TimestampPath':'$.t'"),
            "{'t':'2016-03-14T01:59:00Z'}", &r);
    assert_int_equal(r.status, SFN_EXEC_SUCCEEDED);
    assert_int_equal(r.events[r.n_events - 1].ts_ms, r.events[0].ts_ms);
    sfn_run_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_input_path_selects),
        cmocka_unit_test(test_input_path_null_gives_empty_object),
        cmocka_unit_test(test_output_path_selects),
        cmocka_unit_test(test_output_path_null_gives_empty_object),
        cmocka_unit_test(test_input_path_wildcard_gives_array),
        cmocka_unit_test(test_missing_input_path_is_runtime_error),
        cmocka_unit_test(test_parameters_paths_and_literals),
        cmocka_unit_test(test_parameters_context_object),
        cmocka_unit_test(test_parameters_intrinsic),
        cmocka_unit_test(test_parameters_variable),
        cmocka_unit_test(test_parameters_missing_path_names_field),
        cmocka_unit_test(test_pass_result_is_literal),
        cmocka_unit_test(test_result_selector),
        cmocka_unit_test(test_result_path_merges_into_raw_input),
        cmocka_unit_test(test_result_path_creates_missing_objects),
        cmocka_unit_test(test_result_path_overwrites),
        cmocka_unit_test(test_result_path_null_keeps_input),
        cmocka_unit_test(test_result_path_dollar_replaces_input),
        cmocka_unit_test(test_full_pipeline_order),
        cmocka_unit_test(test_task_assign_sees_raw_result),
        cmocka_unit_test(test_pass_assign_sees_result_and_old_values),
        cmocka_unit_test(test_map_item_selector_and_outer_variable),
        cmocka_unit_test(test_map_legacy_parameters),
        cmocka_unit_test(test_parallel_branches_input_and_order),
        cmocka_unit_test(test_map_max_concurrency_path_string),
        cmocka_unit_test(test_map_items_must_be_array),
        cmocka_unit_test(test_wait_seconds_path_and_output),
        cmocka_unit_test(test_wait_timestamp_in_past_does_not_wait),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

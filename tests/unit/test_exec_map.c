/* test_exec_map.c: Map modes beyond the inline basics: Distributed Map
 * (child executions: only MapRun events in the parent history, no outer
 * variables) and ItemBatcher (MaxItemsPerBatch, MaxInputBytesPerBatch,
 * BatchInput, ItemSelector applied per item before batching). */
#include "exec_run_util.h"

#define DIST(extra, proc)                                                  \
    "{'StartAt':'M','States':{'M':{'Type':'Map'," extra                   \
    "'ItemProcessor':{'ProcessorConfig':{'Mode':'DISTRIBUTED',"            \
    "'ExecutionType':'STANDARD'},'StartAt':'P','States':{" proc "}},"      \
    "'End':true}}}"

static void test_distributed_history_shows_map_run_only(void **state)
{
    (void)state;
    sfn_run_result r;
    run_def(DIST("", "'P':{'Type':'Pass','End':true}"), "[1,2,3]", &r);
    assert_int_equal(r.status, SFN_EXEC_SUCCEEDED);
    const sfn_event_type want[] = {
        SFN_EV_ExecutionStarted, SFN_EV_MapStateEntered,
        SFN_EV_MapStateStarted,  SFN_EV_MapRunStarted,
        SFN_EV_MapRunSucceeded,  SFN_EV_MapStateSucceeded,
        SFN_EV_MapStateExited,   SFN_EV_ExecutionSucceeded};
    assert_int_equal(r.n_events, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < r.n_events; i++) {
        assert_int_equal(r.events[i].type, want[i]);
        assert_int_equal(r.events[i].id, (int64_t)i + 1);
    }
    json_t *arn = json_object_get(r.events[3].details, "mapRunArn");
    assert_non_null(strstr(json_string_value(arn), ":mapRun:stepd/M:"));
    json_t *w = parse_q("[1,2,3]");
    assert_true(json_same(w, r.output));
    json_decref(w);
    sfn_run_result_free(&r);
}

static void test_distributed_failure_is_map_run_failed(void **state)
{
    (void)state;
    sfn_run_result r;
    run_def(DIST("", "'P':{'Type':'Fail','Error':'Bad','Cause':'c'}"),
            "[1]", &r);
    assert_int_equal(r.status, SFN_EXEC_FAILED);
    assert_string_equal(r.error, "Bad");
    long i = nth_event(&r, SFN_EV_MapRunFailed, 0);
    assert_true(i > 0);
    assert_string_equal(
        json_string_value(json_object_get(r.events[i].details, "error")),
        "Bad");
    assert_int_equal(count_events(&r, SFN_EV_FailStateEntered), 0);
    assert_int_equal(nth_event(&r, SFN_EV_MapStateFailed, 0), i + 1);
    sfn_run_result_free(&r);
}

static void test_distributed_children_see_no_outer_variables(void **state)
{
    (void)state;
    /* the child reads $x: unset in a child execution -> States.Runtime */
    const char *def =
        "{'StartAt':'A','States':{'A':{'Type':'Pass','Assign':{'x':1},"
        "'Next':'M'},'M':{'Type':'Map','ItemProcessor':{'ProcessorConfig':"
        "{'Mode':'DISTRIBUTED','ExecutionType':'STANDARD'},'StartAt':'P',"
        "'States':{'P':{'Type':'Pass','Parameters':{'v.$':'$x'},"
        "'End':true}}},'End':true}}}";
    expect_failure(def, "[1]", "States.Runtime", NULL);
    /* the same Map inline sees it */
    const char *inl =
        "{'StartAt':'A','States':{'A':{'Type':'Pass','Assign':{'x':1},"
        "'Next':'M'},'M':{'Type':'Map','ItemProcessor':{'StartAt':'P',"
        "'States':{'P':{'Type':'Pass','Parameters':{'v.$':'$x'},"
        "'End':true}}},'End':true}}}";
    expect_output(inl, "[1,2]", "[{'v':1},{'v':1}]");
}

static void test_item_batcher_groups_by_count(void **state)
{
    (void)state;
    expect_output(
        DIST("'ItemBatcher':{'MaxItemsPerBatch':2,'BatchInput':{'k.$':'$.k'}},"
             "'ItemsPath':'$.items',",
             "'P':{'Type':'Pass','End':true}"),
        "{'k':7,'items':[1,2,3,4,5]}",
        "[{'Items':[1,2],'BatchInput':{'k':7}},"
        "{'Items':[3,4],'BatchInput':{'k':7}},"
        "{'Items':[5],'BatchInput':{'k':7}}]");
}

static void test_item_batcher_applies_item_selector_first(void **state)
{
    (void)state;
    expect_output(
        DIST("'ItemBatcher':{'MaxItemsPerBatch':3},"
             "'ItemSelector':{'i.$':'$$.Map.Item.Index','v.$':"
             "'$$.Map.Item.Value'},",
             "'P':{'Type':'Pass','OutputPath':'$.Items[0]','End':true}"),
        "['a','b','c','d']", "[{'i':0,'v':'a'},{'i':3,'v':'d'}]");
}

static void test_item_batcher_by_bytes(void **state)
{
    (void)state;
    /* items of 1, 2, 3 and 4 bytes of JSON: 1+2+3 fit in 7, 4 does not */
    expect_output(
        DIST("'ItemBatcher':{'MaxInputBytesPerBatch':7},",
             "'P':{'Type':'Pass','OutputPath':'$.Items','End':true}"),
        "[1,22,333,4444]", "[[1,22,333],[4444]]");
}

static void test_item_batcher_path_and_validation(void **state)
{
    (void)state;
    expect_output(
        DIST("'ItemBatcher':{'MaxItemsPerBatchPath':'$.n'},'ItemsPath':"
             "'$.xs',",
             "'P':{'Type':'Pass','OutputPath':'$.Items','End':true}"),
        "{'n':3,'xs':[1,2,3,4]}", "[[1,2,3],[4]]");
    /* an inline Map cannot batch (AWS: Distributed only) */
    char *bad = q("{'StartAt':'M','States':{'M':{'Type':'Map','ItemBatcher':"
                  "{'MaxItemsPerBatch':2},'ItemProcessor':{'StartAt':'P',"
                  "'States':{'P':{'Type':'Pass','End':true}}},'End':true}}}");
    sfn_diags d;
    sfn_diags_init(&d);
    sfn_graph *g = NULL;
    assert_int_not_equal(sfn_asl_compile_text(bad, strlen(bad), NULL, &d, &g),
                         SFN_OK);
    assert_true(d.errors > 0);
    sfn_diags_free(&d);
    free(bad);
    /* a bad path in the batcher is a compile error with its pointer */
    bad = q(DIST("'ItemBatcher':{'MaxItemsPerBatchPath':'$.a[*]'},",
                 "'P':{'Type':'Pass','End':true}"));
    sfn_diags_init(&d);
    assert_int_not_equal(sfn_asl_compile_text(bad, strlen(bad), NULL, &d, &g),
                         SFN_OK);
    assert_string_equal(d.items[0].location,
                        "/States/M/ItemBatcher/MaxItemsPerBatchPath");
    sfn_diags_free(&d);
    free(bad);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_distributed_history_shows_map_run_only),
        cmocka_unit_test(test_distributed_failure_is_map_run_failed),
        cmocka_unit_test(test_distributed_children_see_no_outer_variables),
        cmocka_unit_test(test_item_batcher_groups_by_count),
        cmocka_unit_test(test_item_batcher_applies_item_selector_first),
        cmocka_unit_test(test_item_batcher_by_bytes),
        cmocka_unit_test(test_item_batcher_path_and_validation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

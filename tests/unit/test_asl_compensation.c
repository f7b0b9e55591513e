/* test_asl_compensation.c: what the compiler puts in the graph for the
 * stepd Compensation extension (docs/compensation.md): the undo compiled
 * as a Task state of its own, PointOfNoReturn, Compensate catchers, the
 * CompensationPolicy and its defaults, and strict mode's messages.  The
 * accept / reject rules themselves are fixtures in tests/asl/. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "sfn_asl.h"

static sfn_graph *compile(const char *text, const sfn_asl_opts *opts,
                          sfn_diags *d)
{
    sfn_diags_init(d);
    sfn_graph *g = NULL;
    sfn_asl_compile_text(text, strlen(text), opts, d, &g);
    return g;
}

static const char SAGA[] =
    "{\"StartAt\": \"Reserve\", \"CompensationPolicy\": {\"Order\":"
    " \"PARALLEL\", \"RetryForSeconds\": 120}, \"States\": {"
    "\"Reserve\": {\"Type\": \"Task\", \"Resource\": \"arn:stepd:task:echo\","
    " \"Compensation\": {\"Resource\": \"arn:stepd:task:echo\","
    " \"Parameters\": {\"id.$\": \"$.input.id\"}, \"Retry\":"
    " [{\"ErrorEquals\": [\"States.ALL\"], \"MaxAttempts\": 5}],"
    " \"TimeoutSeconds\": 30, \"OnUnknownOutcome\": true},"
    " \"PointOfNoReturn\": true, \"Next\": \"Charge\"},"
    "\"Charge\": {\"Type\": \"Task\", \"Resource\": \"arn:stepd:task:fail\","
    " \"Catch\": [{\"ErrorEquals\": [\"States.ALL\"], \"Compensate\": true,"
    " \"Next\": \"Done\"}], \"Next\": \"Done\"},"
    "\"Done\": {\"Type\": \"Succeed\"}}}";

static void test_compensation_is_a_task(void **state)
{
    (void)state;
    sfn_diags d;
    sfn_graph *g = compile(SAGA, NULL, &d);
    assert_non_null(g);
    const sfn_state *st = sfn_block_find(g->root, "Reserve");
    const sfn_compensation *c = st->compensation;
    assert_non_null(c);
    assert_int_equal(c->task.type, SFN_ST_TASK);
    assert_string_equal(c->task.name, "Reserve/Compensation");
    assert_string_equal(c->task.pointer, "/States/Reserve/Compensation");
    assert_string_equal(c->task.resource, "arn:stepd:task:echo");
    assert_non_null(c->task.parameters);
    assert_int_equal(c->task.parameters->kind, SFN_TPL_OBJECT);
    assert_int_equal(c->task.n_retriers, 1);
    assert_int_equal(c->task.retriers[0].max_attempts, 5);
    assert_true(c->task.timeout_s.set);
    assert_int_equal(c->task.timeout_s.value, 30);
    assert_int_equal(c->task.next, -1);
    assert_true(c->task.end);
    assert_int_equal(c->task.n_catchers, 0);
    assert_ptr_equal(c->task.raw, json_object_get(st->raw, "Compensation"));
    assert_true(c->has_retry);
    assert_true(c->on_unknown_outcome);
    assert_true(st->point_of_no_return);
    sfn_graph_unref(g);
    sfn_diags_free(&d);
}

static void test_catcher_and_policy(void **state)
{
    (void)state;
    sfn_diags d;
    sfn_graph *g = compile(SAGA, NULL, &d);
    assert_non_null(g);
    const sfn_state *charge = sfn_block_find(g->root, "Charge");
    assert_null(charge->compensation);
    assert_false(charge->point_of_no_return);
    assert_true(charge->catchers[0].compensate);
    assert_int_equal(g->comp_order, SFN_COMP_PARALLEL);
    assert_int_equal(g->comp_retry_for_s, 120);
    assert_true(g->uses_compensation);
    sfn_graph_unref(g);
    sfn_diags_free(&d);
}

static void test_defaults(void **state)
{
    (void)state;
    sfn_diags d;
    sfn_graph *g = compile(
        "{\"StartAt\": \"T\", \"States\": {\"T\": {\"Type\": \"Task\","
        " \"Resource\": \"arn:stepd:task:echo\", \"Compensation\":"
        " {\"Resource\": \"arn:stepd:task:echo\"}, \"End\": true}}}",
        NULL, &d);
    assert_non_null(g);
    const sfn_compensation *c = sfn_block_find(g->root, "T")->compensation;
    assert_false(c->has_retry);
    assert_false(c->on_unknown_outcome);
    assert_null(c->task.parameters);
    assert_int_equal(c->task.n_retriers, 0);
    assert_false(c->task.timeout_s.set);
    assert_int_equal(g->comp_order, SFN_COMP_REVERSE);
    assert_int_equal(g->comp_retry_for_s, 3600);
    assert_true(g->uses_compensation);
    sfn_graph_unref(g);
    sfn_diags_free(&d);
}

static void test_plain_asl_uses_none(void **state)
{
    (void)state;
    sfn_diags d;
    sfn_graph *g = compile(
        "{\"StartAt\": \"T\", \"States\": {\"T\": {\"Type\": \"Task\","
        " \"Resource\": \"arn:stepd:task:echo\", \"End\": true}}}",
        NULL, &d);
    assert_non_null(g);
    assert_false(g->uses_compensation);
    assert_null(sfn_block_find(g->root, "T")->compensation);
    sfn_graph_unref(g);
    sfn_diags_free(&d);
}

static void test_jsonata_arguments(void **state)
{
    (void)state;
    sfn_diags d;
    sfn_graph *g = compile(
        "{\"QueryLanguage\": \"JSONata\", \"StartAt\": \"T\", \"States\":"
        " {\"T\": {\"Type\": \"Task\", \"Resource\": \"arn:stepd:task:echo\","
        " \"Compensation\": {\"Resource\": \"arn:stepd:task:echo\","
        " \"Arguments\": {\"id\": \"{% $states.input.input.id %}\"}},"
        " \"End\": true}}}",
        NULL, &d);
    assert_non_null(g);
    const sfn_compensation *c = sfn_block_find(g->root, "T")->compensation;
    assert_int_equal(c->task.ql, SFN_QL_JSONATA);
    assert_non_null(c->task.arguments);
    assert_null(c->task.parameters);
    sfn_graph_unref(g);
    sfn_diags_free(&d);
}

static void test_strict_names_every_extension(void **state)
{
    (void)state;
    sfn_diags d;
    sfn_asl_opts strict = {.strict_asl = true};
    sfn_graph *g = compile(SAGA, &strict, &d);
    assert_null(g);
    static const char *const where[] = {
        "/CompensationPolicy", "/States/Reserve/Compensation",
        "/States/Reserve/PointOfNoReturn", "/States/Charge/Catch/0/Compensate"};
    assert_int_equal(d.errors, 4);
    for (size_t i = 0; i < 4; i++) {
        bool found = false;
        for (size_t k = 0; k < d.count; k++)
            if (!strcmp(d.items[k].location, where[i])) {
                found = true;
                assert_string_equal(d.items[k].code, "STEPD_EXTENSION");
                assert_non_null(strstr(d.items[k].message, "stepd lower"));
            }
        assert_true(found);
    }
    sfn_diags_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compensation_is_a_task),
        cmocka_unit_test(test_catcher_and_policy),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_plain_asl_uses_none),
        cmocka_unit_test(test_jsonata_arguments),
        cmocka_unit_test(test_strict_names_every_extension),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

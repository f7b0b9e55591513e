/* test_asl.c: unit tests of the ASL compiler's output: state indices,
 * retrier defaults, templates, Choice rule trees, nested blocks, JSONata
 * mode, diagnostics; robustness against bad text (malformed, empty,
 * non-UTF-8, deep, oversized) and wrong types in every field; a leak loop
 * and a 10,000-state chain. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sfn_asl.h"
#include "sfn_json.h"

/* Compiles text that must be valid. */
static sfn_graph *ok(const char *text)
{
    sfn_diags d;
    sfn_diags_init(&d);
    sfn_graph *g = NULL;
    sfn_rc rc = sfn_asl_compile_text(text, strlen(text), NULL, &d, &g);
    for (size_t i = 0; i < d.count; i++)
        printf("unexpected %s at %s: %s\n", d.items[i].code,
               d.items[i].location, d.items[i].message);
    assert_int_equal(rc, SFN_OK);
    assert_non_null(g);
    sfn_diags_free(&d);
    return g;
}

/* Compiles text that must fail; returns the diagnostics (caller frees). */
static sfn_diags bad_len(const char *text, size_t len)
{
    sfn_diags d;
    sfn_diags_init(&d);
    sfn_graph *g = NULL;
    sfn_rc rc = sfn_asl_compile_text(text, len, NULL, &d, &g);
    assert_int_equal(rc, SFN_EINVAL);
    assert_null(g);
    assert_true(d.errors > 0);
    return d;
}

static sfn_diags bad(const char *text)
{
    return bad_len(text, strlen(text));
}

static void test_indices_and_find(void **state)
{
    (void)state;
    sfn_graph *g = ok("{\"StartAt\":\"B\",\"States\":{"
                      "\"A\":{\"Type\":\"Pass\",\"End\":true},"
                      "\"B\":{\"Type\":\"Pass\",\"Next\":\"C\"},"
                      "\"C\":{\"Type\":\"Wait\",\"Seconds\":3,\"Next\":\"A\"}}}");
    const sfn_block *b = g->root;
    assert_int_equal(b->n_states, 3);
    assert_int_equal(b->start, 1);
    assert_string_equal(b->states[1].name, "B");
    assert_int_equal(b->states[1].next, 2);
    assert_int_equal(b->states[2].next, 0);
    assert_int_equal(b->states[2].seconds.value, 3);
    assert_true(b->states[0].end);
    assert_int_equal(b->states[0].next, -1);
    assert_string_equal(b->states[2].pointer, "/States/C");
    assert_ptr_equal(sfn_block_find(b, "C"), &b->states[2]);
    assert_null(sfn_block_find(b, "Z"));
    assert_string_equal(b->pointer, "");
    assert_null(b->parent);
    assert_int_equal(g->n_states_total, 3);
    assert_int_equal(g->ql, SFN_QL_JSONPATH);
    assert_string_equal(sfn_state_type_name(b->states[2].type), "Wait");
    sfn_graph_unref(g);
}

static void test_retry_defaults_and_catch(void **state)
{
    (void)state;
    sfn_graph *g = ok(
        "{\"StartAt\":\"T\",\"States\":{\"T\":{\"Type\":\"Task\","
        "\"Resource\":\"arn:aws:states:::lambda:invoke\",\"Retry\":["
        "{\"ErrorEquals\":[\"A\",\"B\"]},"
        "{\"ErrorEquals\":[\"States.ALL\"],\"IntervalSeconds\":3,"
        "\"MaxAttempts\":0,\"BackoffRate\":1.5,\"MaxDelaySeconds\":9,"
        "\"JitterStrategy\":\"FULL\"}],"
        "\"Catch\":[{\"ErrorEquals\":[\"X\"],\"Next\":\"H\",\"ResultPath\":"
        "\"$.err\"},{\"ErrorEquals\":[\"States.ALL\"],\"Next\":\"H\","
        "\"ResultPath\":null}],\"End\":true},"
        "\"H\":{\"Type\":\"Succeed\"}}}");
    const sfn_state *t = &g->root->states[0];
    assert_int_equal(t->n_retriers, 2);
    const sfn_retrier *r = &t->retriers[0];
    assert_int_equal(r->n_errors, 2);
    assert_string_equal(r->errors[1], "B");
    assert_int_equal(r->interval_s, 1);
    assert_int_equal(r->max_attempts, 3);
    assert_true(r->backoff_rate == 2.0);
    assert_int_equal(r->max_delay_s, 0);
    assert_false(r->jitter_full);
    r = &t->retriers[1];
    assert_int_equal(r->interval_s, 3);
    assert_int_equal(r->max_attempts, 0);
    assert_true(r->backoff_rate == 1.5);
    assert_int_equal(r->max_delay_s, 9);
    assert_true(r->jitter_full);
    assert_int_equal(t->n_catchers, 2);
    assert_int_equal(t->catchers[0].next, 1);
    assert_non_null(t->catchers[0].result_path);
    assert_false(t->catchers[0].result_path_null);
    assert_true(t->catchers[1].result_path_null);
    assert_string_equal(t->resource, "arn:aws:states:::lambda:invoke");
    sfn_graph_unref(g);
}

static void test_payload_template(void **state)
{
    (void)state;
    sfn_graph *g = ok(
        "{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\","
        "\"Parameters\":{\"a.$\":\"$.x\",\"b\":1,\"c\":{\"d\":\"$.lit\"},"
        "\"e\":[1,{\"f.$\":\"States.UUID()\"}],\"g.$\":\"$$.Execution.Id\"},"
        "\"Next\":\"Q\"},"
        "\"Q\":{\"Type\":\"Pass\",\"Parameters\":{\"k\":[1,2]},\"End\":true}}}");
    const sfn_tpl *t = g->root->states[0].parameters;
    assert_non_null(t);
    assert_int_equal(t->kind, SFN_TPL_OBJECT);
    assert_int_equal(t->count, 5);
    assert_string_equal(t->keys[0], "a");
    assert_int_equal(t->items[0]->kind, SFN_TPL_PATH);
    assert_non_null(t->items[0]->path);
    assert_int_equal(t->items[1]->kind, SFN_TPL_LITERAL);
    assert_int_equal(json_integer_value(t->items[1]->literal), 1);
    assert_int_equal(t->items[2]->kind, SFN_TPL_LITERAL);
    assert_string_equal(json_string_value(json_object_get(
                            t->items[2]->literal, "d")), "$.lit");
    const sfn_tpl *e = t->items[3];
    assert_int_equal(e->kind, SFN_TPL_ARRAY);
    assert_int_equal(e->count, 2);
    assert_int_equal(e->items[0]->kind, SFN_TPL_LITERAL);
    assert_int_equal(e->items[1]->kind, SFN_TPL_OBJECT);
    assert_string_equal(e->items[1]->keys[0], "f");
    assert_int_equal(e->items[1]->items[0]->kind, SFN_TPL_INTRINSIC);
    assert_string_equal(t->keys[4], "g");
    assert_int_equal(sfn_jsonpath_root(t->items[4]->path),
                     SFN_JP_ROOT_CONTEXT);
    const sfn_tpl *q = g->root->states[1].parameters;
    assert_int_equal(q->kind, SFN_TPL_LITERAL);
    assert_true(json_is_array(json_object_get(q->literal, "k")));
    sfn_graph_unref(g);
}

static void test_choice_rules(void **state)
{
    (void)state;
    sfn_graph *g = ok(
        "{\"StartAt\":\"C\",\"States\":{\"C\":{\"Type\":\"Choice\","
        "\"Choices\":[{\"And\":[{\"Variable\":\"$.n\",\"NumericGreaterThan\":1},"
        "{\"Not\":{\"Variable\":\"$.s\",\"StringEqualsPath\":\"$.t\"}}],"
        "\"Next\":\"Y\"},{\"Variable\":\"$.ts\",\"TimestampLessThan\":"
        "\"2016-03-14T01:59:00Z\",\"Next\":\"N\"}],\"Default\":\"N\"},"
        "\"Y\":{\"Type\":\"Succeed\"},\"N\":{\"Type\":\"Fail\"}}}");
    const sfn_state *c = &g->root->states[0];
    assert_int_equal(c->n_choices, 2);
    assert_int_equal(c->default_next, 2);
    const sfn_rule *r = c->choices[0];
    assert_int_equal(r->kind, SFN_RULE_AND);
    assert_int_equal(r->next, 1);
    assert_int_equal(r->n_children, 2);
    assert_int_equal(r->children[0]->kind, SFN_RULE_COMPARE);
    assert_int_equal(r->children[0]->op, SFN_OP_NUMERIC_GT);
    assert_int_equal(json_integer_value(r->children[0]->operand), 1);
    const sfn_rule *n = r->children[1];
    assert_int_equal(n->kind, SFN_RULE_NOT);
    assert_int_equal(n->n_children, 1);
    assert_int_equal(n->children[0]->op, SFN_OP_STRING_EQ);
    assert_non_null(n->children[0]->operand_path);
    assert_null(n->children[0]->operand);
    assert_int_equal(c->choices[1]->op, SFN_OP_TIMESTAMP_LT);
    assert_int_equal(c->choices[1]->next, 2);
    assert_true(g->root->states[2].end);
    sfn_graph_unref(g);
}

static void test_nested_blocks(void **state)
{
    (void)state;
    sfn_graph *g = ok(
        "{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Parallel\","
        "\"Branches\":[{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":"
        "\"Pass\",\"End\":true}}},{\"StartAt\":\"B\",\"States\":{\"B\":{"
        "\"Type\":\"Pass\",\"Next\":\"B2\"},\"B2\":{\"Type\":\"Succeed\"}}}],"
        "\"Next\":\"M\"},\"M\":{\"Type\":\"Map\",\"ItemsPath\":\"$.items\","
        "\"MaxConcurrency\":4,\"ItemProcessor\":{\"ProcessorConfig\":{"
        "\"Mode\":\"DISTRIBUTED\",\"ExecutionType\":\"EXPRESS\"},"
        "\"StartAt\":\"I\",\"States\":{\"I\":{\"Type\":\"Pass\","
        "\"End\":true}}},\"Label\":\"lbl\",\"ToleratedFailurePercentage\":"
        "12.5,\"End\":true}}}");
    const sfn_state *p = &g->root->states[0];
    assert_int_equal(p->n_branches, 2);
    const sfn_block *b1 = p->branches[1];
    assert_ptr_equal(b1->parent, g->root);
    assert_ptr_equal(b1->owner, p);
    assert_string_equal(b1->pointer, "/States/P/Branches/1");
    assert_int_equal(b1->n_states, 2);
    assert_int_equal(b1->states[0].next, 1);
    assert_string_equal(b1->states[1].pointer,
                        "/States/P/Branches/1/States/B2");
    const sfn_state *m = &g->root->states[1];
    assert_non_null(m->processor);
    assert_true(m->distributed);
    assert_ptr_equal(m->processor->owner, m);
    assert_string_equal(m->processor->pointer, "/States/M/ItemProcessor");
    assert_int_equal(m->max_concurrency.value, 4);
    assert_non_null(m->items_path);
    assert_string_equal(m->label, "lbl");
    assert_true(m->tolerated_failure_percentage_static == 12.5);
    assert_int_equal(g->n_states_total, 2 + 1 + 2 + 1);
    sfn_graph_unref(g);
}

static void test_jsonata_mode(void **state)
{
    (void)state;
    sfn_graph *g = ok(
        "{\"QueryLanguage\":\"JSONata\",\"StartAt\":\"T\",\"States\":{"
        "\"T\":{\"Type\":\"Task\",\"Resource\":\"arn:aws:states:::http:invoke\","
        "\"Arguments\":{\"u\":\"{% $states.input.u %}\",\"k\":\"lit\"},"
        "\"TimeoutSeconds\":\"{% $t %}\",\"Output\":\"{% $states.result %}\","
        "\"Assign\":{\"v\":\"{% 1 + 2 %}\"},\"Next\":\"C\"},"
        "\"C\":{\"Type\":\"Choice\",\"Choices\":[{\"Condition\":"
        "\"{% $v > 2 %}\",\"Next\":\"E\"},{\"Condition\":false,"
        "\"Next\":\"E\"}],\"Default\":\"E\"},"
        "\"E\":{\"Type\":\"Pass\",\"QueryLanguage\":\"JSONata\",\"End\":true}}}");
    assert_int_equal(g->ql, SFN_QL_JSONATA);
    const sfn_state *t = &g->root->states[0];
    assert_int_equal(t->ql, SFN_QL_JSONATA);
    assert_int_equal(t->arguments->kind, SFN_TPL_OBJECT);
    assert_int_equal(t->arguments->items[0]->kind, SFN_TPL_JSONATA);
    assert_int_equal(t->arguments->items[1]->kind, SFN_TPL_LITERAL);
    assert_non_null(t->timeout_s.jsonata);
    assert_true(t->timeout_s.set);
    assert_int_equal(t->output->kind, SFN_TPL_JSONATA);
    assert_int_equal(t->assign->kind, SFN_TPL_OBJECT);
    const sfn_state *c = &g->root->states[1];
    assert_int_equal(c->choices[0]->kind, SFN_RULE_CONDITION);
    assert_non_null(c->choices[0]->condition);
    assert_true(c->choices[1]->condition_literal);
    assert_false(c->choices[1]->condition_value);
    sfn_graph_unref(g);
}

static void test_jsonpath_io_fields(void **state)
{
    (void)state;
    sfn_graph *g = ok(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\","
        "\"InputPath\":null,\"OutputPath\":\"$.o\",\"ResultPath\":\"$.r\","
        "\"Result\":{\"x\":1},\"Assign\":{\"n.$\":\"$.x\",\"m\":2},"
        "\"Next\":\"F\"},\"F\":{\"Type\":\"Fail\",\"ErrorPath\":\"$.e\","
        "\"Cause\":\"boom\"}}}");
    const sfn_state *a = &g->root->states[0];
    assert_true(a->input_path_null);
    assert_null(a->input_path);
    assert_non_null(a->output_path);
    assert_non_null(a->result_path);
    assert_int_equal(json_integer_value(json_object_get(a->result, "x")), 1);
    assert_string_equal(a->assign->keys[0], "n");
    const sfn_state *f = &g->root->states[1];
    assert_non_null(f->error.path);
    assert_string_equal(f->cause.value, "boom");
    sfn_graph_unref(g);
}

/* ---------------- bad input ---------------- */

static void expect_one(sfn_diags *d, const char *code, const char *loc)
{
    assert_int_equal(d->count, 1);
    assert_string_equal(d->items[0].code, code);
    assert_string_equal(d->items[0].location, loc);
    assert_int_equal(d->items[0].severity, SFN_SEV_ERROR);
    sfn_diags_free(d);
}

static void test_malformed_json(void **state)
{
    (void)state;
    sfn_diags d = bad("{\"StartAt\": \"A\",\n  \"States\": {,}}");
    assert_non_null(strstr(d.items[0].message, "line 2"));
    assert_non_null(strstr(d.items[0].message, "column"));
    expect_one(&d, "INVALID_JSON_DESCRIPTION", "");
}

static void test_empty_and_not_object(void **state)
{
    (void)state;
    sfn_diags d = bad_len("", 0);
    expect_one(&d, "SCHEMA_VALIDATION_FAILED", "");
    d = bad("\"just a string\"");
    assert_non_null(strstr(d.items[0].message, "JSON object"));
    expect_one(&d, "SCHEMA_VALIDATION_FAILED", "");
    d = bad("null");
    expect_one(&d, "SCHEMA_VALIDATION_FAILED", "");
}

static void test_non_utf8(void **state)
{
    (void)state;
    sfn_diags d = bad("{\"StartAt\":\"\xff\",\"States\":{}}");
    assert_non_null(strstr(d.items[0].message, "UTF-8"));
    assert_non_null(strstr(d.items[0].message, "0xFF"));
    expect_one(&d, "INVALID_JSON_DESCRIPTION", "");
    d = bad("{\"Comment\":\"\xed\xa0\x80\"}"); /* surrogate */
    expect_one(&d, "INVALID_JSON_DESCRIPTION", "");
}

static void test_deep_nesting(void **state)
{
    (void)state;
    size_t depth = 10000;
    char *text = malloc(2 * depth + 64);
    assert_non_null(text);
    size_t n = (size_t)sprintf(text, "{\"Comment\":");
    memset(text + n, '[', depth);
    memset(text + n + depth, ']', depth);
    strcpy(text + n + 2 * depth, "}");
    sfn_diags d = bad(text);
    assert_non_null(strstr(d.items[0].message, "deeper"));
    expect_one(&d, "INVALID_JSON_DESCRIPTION", "");
    free(text);
}

/* A valid definition padded to `size` characters with a Comment. */
static char *padded_definition(size_t size)
{
    const char *head = "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":"
                       "\"Pass\",\"End\":true}},\"Comment\":\"";
    char *text = malloc(size + 1);
    assert_non_null(text);
    size_t h = strlen(head);
    memcpy(text, head, h);
    memset(text + h, 'c', size - h - 2);
    memcpy(text + size - 2, "\"}", 3);
    return text;
}

static void test_definition_size_limit(void **state)
{
    (void)state;
    char *text = padded_definition(SFN_ASL_DEFINITION_MAX);
    sfn_graph *g = ok(text);
    sfn_graph_unref(g);
    free(text);
    text = padded_definition(SFN_ASL_DEFINITION_MAX + 1);
    sfn_diags d = bad(text);
    assert_non_null(strstr(d.items[0].message, "1048577"));
    expect_one(&d, "DEFINITION_TOO_LARGE", "");
    free(text);
}

static const char *RICH =
    "{\"Comment\":\"c\",\"TimeoutSeconds\":100,\"StartAt\":\"T\",\"States\":{"
    "\"T\":{\"Type\":\"Task\",\"Resource\":\"arn:aws:states:::lambda:invoke\","
    "\"InputPath\":\"$\",\"OutputPath\":\"$\",\"ResultPath\":\"$.r\","
    "\"Parameters\":{\"a.$\":\"$.a\"},\"ResultSelector\":{\"b.$\":\"$.b\"},"
    "\"TimeoutSeconds\":10,\"HeartbeatSeconds\":5,"
    "\"Credentials\":{\"RoleArn\":\"arn:aws:iam::1:role/r\"},"
    "\"Assign\":{\"v\":1},\"Retry\":[{\"ErrorEquals\":[\"X\"],"
    "\"IntervalSeconds\":1,\"MaxAttempts\":2,\"BackoffRate\":2,"
    "\"MaxDelaySeconds\":5,\"JitterStrategy\":\"NONE\"}],"
    "\"Catch\":[{\"ErrorEquals\":[\"States.ALL\"],\"Next\":\"F\","
    "\"ResultPath\":\"$.e\"}],\"Next\":\"C\"},"
    "\"C\":{\"Type\":\"Choice\",\"Choices\":[{\"Variable\":\"$.x\","
    "\"NumericEquals\":1,\"Next\":\"W\"},{\"Not\":{\"Variable\":\"$.y\","
    "\"IsPresent\":true},\"Next\":\"P\"}],\"Default\":\"F\"},"
    "\"W\":{\"Type\":\"Wait\",\"Timestamp\":\"2016-03-14T01:59:00Z\","
    "\"Next\":\"P\"},"
    "\"P\":{\"Type\":\"Parallel\",\"Branches\":[{\"StartAt\":\"B\","
    "\"States\":{\"B\":{\"Type\":\"Pass\",\"Result\":[1],\"End\":true}}}],"
    "\"Next\":\"M\"},"
    "\"M\":{\"Type\":\"Map\",\"ItemsPath\":\"$.i\",\"MaxConcurrency\":2,"
    "\"ItemSelector\":{\"v.$\":\"$$.Map.Item.Value\"},\"ItemProcessor\":{"
    "\"StartAt\":\"I\",\"States\":{\"I\":{\"Type\":\"Succeed\"}}},"
    "\"Next\":\"S\"},"
    "\"S\":{\"Type\":\"Succeed\"},"
    "\"F\":{\"Type\":\"Fail\",\"Error\":\"E\",\"Cause\":\"C\"}}}";

/* Replaces, one at a time, every value reachable in RICH with values of
 * each other JSON type; compiling must never crash or leak and every
 * rejection must carry diagnostics with a location. */
static size_t mutate_all(json_t *root, json_t *node, size_t *rejected)
{
    json_t *repl[] = {json_null(), json_integer(-7), json_string("zz"),
                      json_array(), json_object(), json_true(),
                      json_real(0.5)};
    size_t runs = 0;
    size_t nrepl = sizeof repl / sizeof repl[0];
    if (json_is_object(node) || json_is_array(node)) {
        void *iter = json_is_object(node) ? json_object_iter(node) : NULL;
        size_t n = json_is_array(node) ? json_array_size(node) : 0;
        for (size_t i = 0; iter || i < n; i++) {
            json_t *child = iter ? json_object_iter_value(iter)
                                 : json_array_get(node, i);
            json_incref(child);
            for (size_t r = 0; r < nrepl; r++) {
                if (json_typeof(repl[r]) == json_typeof(child))
                    continue;
                if (iter)
                    json_object_iter_set(node, iter, repl[r]);
                else
                    json_array_set(node, i, repl[r]);
                sfn_diags d;
                sfn_diags_init(&d);
                sfn_graph *g = NULL;
                sfn_rc rc = sfn_asl_compile(root, NULL, &d, &g);
                assert_true(rc == SFN_OK || rc == SFN_EINVAL);
                if (rc == SFN_EINVAL) {
                    assert_true(d.errors > 0);
                    assert_non_null(d.items[0].location);
                    (*rejected)++;
                }
                sfn_graph_unref(g);
                sfn_diags_free(&d);
                runs++;
            }
            if (iter)
                json_object_iter_set(node, iter, child);
            else
                json_array_set(node, i, child);
            runs += mutate_all(root, child, rejected);
            json_decref(child);
            if (iter)
                iter = json_object_iter_next(node, iter);
            if (iter)
                i = 0;
            else if (!json_is_array(node))
                break;
        }
    }
    for (size_t r = 0; r < nrepl; r++)
        json_decref(repl[r]);
    return runs;
}

static void test_wrong_types_everywhere(void **state)
{
    (void)state;
    json_error_t jerr;
    json_t *def = json_loads(RICH, 0, &jerr);
    assert_non_null(def);
    sfn_graph *g = ok(RICH);
    sfn_graph_unref(g);
    size_t rejected = 0;
    size_t runs = mutate_all(def, def, &rejected);
    assert_true(runs > 300);
    assert_true(rejected > runs / 2);
    json_decref(def);
}

static void test_compile_json_api_and_refcount(void **state)
{
    (void)state;
    json_error_t jerr;
    json_t *def = json_loads(RICH, 0, &jerr);
    sfn_diags d;
    sfn_diags_init(&d);
    sfn_graph *g = NULL;
    assert_int_equal(sfn_asl_compile(def, NULL, &d, &g), SFN_OK);
    json_decref(def); /* the graph holds its own reference */
    assert_ptr_equal(sfn_graph_ref(g), g);
    assert_int_equal(g->refcount, 2);
    sfn_graph_unref(g);
    assert_string_equal(g->root->states[0].name, "T");
    assert_string_equal(g->comment, "c");
    assert_int_equal(g->timeout_s, 100);
    sfn_graph_unref(g);
    sfn_graph_unref(NULL);
    sfn_diags_free(&d);
}

static void test_collects_all_diagnostics(void **state)
{
    (void)state;
    sfn_diags d = bad(
        "{\"StartAt\":\"A\",\"Foo\":1,\"States\":{\"A\":{\"Type\":\"Pass\","
        "\"Next\":\"Nope\"},\"B\":{\"Type\":\"Task\",\"End\":true},"
        "\"C\":{\"Type\":\"Wait\",\"End\":true}}}");
    assert_int_equal(d.errors, 4);
    assert_string_equal(d.items[0].location, "/Foo");
    assert_string_equal(d.items[1].code, "MISSING_TRANSITION_TARGET");
    assert_string_equal(d.items[1].location, "/States/A/Next");
    assert_string_equal(d.items[2].location, "/States/B");
    assert_non_null(strstr(d.items[2].message, "Resource"));
    assert_string_equal(d.items[3].location, "/States/C");
    json_t *j = sfn_diags_to_json(&d, 0);
    assert_string_equal(json_string_value(json_object_get(j, "result")),
                        "FAIL");
    json_t *first = json_array_get(json_object_get(j, "diagnostics"), 0);
    assert_string_equal(json_string_value(json_object_get(first, "message")),
                        "The field 'Foo' is not supported by Step Functions");
    assert_string_equal(json_string_value(json_object_get(first, "severity")),
                        "ERROR");
    json_decref(j);
    sfn_diags_free(&d);
}

static void test_warnings(void **state)
{
    (void)state;
    const char *text =
        "{\"StartAt\":\"C\",\"States\":{\"C\":{\"Type\":\"Choice\","
        "\"Choices\":[{\"Variable\":\"$.x\",\"IsPresent\":true,\"Next\":"
        "\"M\"}]},\"M\":{\"Type\":\"Map\",\"ItemProcessor\":{\"StartAt\":"
        "\"I\",\"States\":{\"I\":{\"Type\":\"Succeed\"}}},\"End\":true}}}";
    sfn_asl_opts opts = {.warnings = true};
    sfn_diags d;
    sfn_diags_init(&d);
    sfn_graph *g = NULL;
    assert_int_equal(sfn_asl_compile_text(text, strlen(text), &opts, &d, &g),
                     SFN_OK);
    assert_non_null(g);
    assert_int_equal(d.errors, 0);
    assert_int_equal(d.count, 2);
    assert_string_equal(d.items[0].code, "CHOICE_WITHOUT_DEFAULT");
    assert_string_equal(d.items[0].location, "/States/C");
    assert_string_equal(d.items[1].code, "MAP_WITHOUT_MAX_CONCURRENCY");
    assert_int_equal(d.items[1].severity, SFN_SEV_WARNING);
    json_t *j = sfn_diags_to_json(&d, 0);
    assert_string_equal(json_string_value(json_object_get(j, "result")), "OK");
    assert_int_equal(json_array_size(json_object_get(j, "diagnostics")), 0);
    json_decref(j);
    j = sfn_diags_to_json(&d, 1);
    assert_int_equal(json_array_size(json_object_get(j, "diagnostics")), 2);
    json_decref(j);
    sfn_graph_unref(g);
    sfn_diags_free(&d);
    g = ok(text); /* warnings off: none collected */
    sfn_graph_unref(g);
}

static void test_pointer_escaping(void **state)
{
    (void)state;
    char *p = sfn_pointer_join("/States", "a/b~c");
    assert_string_equal(p, "/States/a~1b~0c");
    free(p);
    p = sfn_pointer_join_index("/Retry", 12);
    assert_string_equal(p, "/Retry/12");
    free(p);
    sfn_diags d = bad("{\"StartAt\":\"a/b\",\"States\":{\"a/b\":{\"Type\":"
                      "\"Pass\",\"End\":true,\"X\":1}}}");
    expect_one(&d, "SCHEMA_VALIDATION_FAILED", "/States/a~1b/X");
}

static void test_leak_loop(void **state)
{
    (void)state;
    for (int i = 0; i < 200; i++) {
        sfn_graph *g = ok(RICH);
        sfn_graph_unref(g);
        sfn_diags d = bad("{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":"
                          "\"Pass\",\"Parameters\":{\"a.$\":\"bad\"},"
                          "\"Next\":\"Z\"}}}");
        sfn_diags_free(&d);
    }
}

/* Compiles correctly at size; its speed is measured by bench/bench_compile,
 * never by a timed assertion here. */
static void test_10000_state_chain_compiles(void **state)
{
    (void)state;
    size_t n = 10000;
    char *text = malloc(n * 128 + 64);
    assert_non_null(text);
    size_t len = (size_t)sprintf(text, "{\"StartAt\":\"S0\",\"States\":{");
    for (size_t i = 0; i < n; i++) {
        len += (size_t)sprintf(text + len,
                               "%s\"S%zu\":{\"Type\":\"Pass\",\"Parameters\":"
                               "{\"i\":%zu,\"x.$\":\"$.x\"},",
                               i ? "," : "", i, i);
        if (i + 1 < n)
            len += (size_t)sprintf(text + len, "\"Next\":\"S%zu\"}", i + 1);
        else
            len += (size_t)sprintf(text + len, "\"End\":true}");
    }
    strcpy(text + len, "}}");
    json_error_t jerr;
    json_t *def = json_loads(text, 0, &jerr);
    assert_non_null(def);
    sfn_diags d;
    sfn_diags_init(&d);
    sfn_graph *g = NULL;
    assert_int_equal(sfn_asl_compile(def, NULL, &d, &g), SFN_OK);
    assert_int_equal(g->root->n_states, n);
    assert_int_equal(g->root->states[n - 2].next, (int)(n - 1));
    sfn_graph_unref(g);
    json_decref(def);
    sfn_diags_free(&d);
    free(text);
}

/* variableReferences: JSONata free variables ($states excluded), $var
 * paths in Choice rules and templates, nested blocks included. */
static void test_variable_references(void **state)
{
    (void)state;
    sfn_graph *g = ok(
        "{\"StartAt\":\"A\",\"States\":{"
        "\"A\":{\"Type\":\"Pass\",\"Assign\":{\"x\":1,\"y\":2},"
        "\"Next\":\"C\"},"
        "\"C\":{\"Type\":\"Choice\",\"Choices\":[{\"Variable\":\"$y\","
        "\"NumericEquals\":2,\"Next\":\"J\"}],\"Default\":\"J\"},"
        "\"J\":{\"Type\":\"Pass\",\"QueryLanguage\":\"JSONata\","
        "\"Output\":\"{% $x + $states.input.a %}\",\"Next\":\"P\"},"
        "\"P\":{\"Type\":\"Parallel\",\"End\":true,\"Branches\":[{"
        "\"StartAt\":\"In\",\"States\":{\"In\":{\"Type\":\"Pass\","
        "\"Parameters\":{\"v.$\":\"$x\"},\"End\":true}}}]}}}");
    json_t *refs = sfn_asl_variable_references(g);
    json_error_t je;
    json_t *want = json_loads("{\"C\":[\"y\"],\"J\":[\"x\"],\"In\":[\"x\"]}",
                              0, &je);
    assert_true(json_equal(refs, want));
    json_decref(want);
    json_decref(refs);
    sfn_graph_unref(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_variable_references),
        cmocka_unit_test(test_indices_and_find),
        cmocka_unit_test(test_retry_defaults_and_catch),
        cmocka_unit_test(test_payload_template),
        cmocka_unit_test(test_choice_rules),
        cmocka_unit_test(test_nested_blocks),
        cmocka_unit_test(test_jsonata_mode),
        cmocka_unit_test(test_jsonpath_io_fields),
        cmocka_unit_test(test_malformed_json),
        cmocka_unit_test(test_empty_and_not_object),
        cmocka_unit_test(test_non_utf8),
        cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_definition_size_limit),
        cmocka_unit_test(test_wrong_types_everywhere),
        cmocka_unit_test(test_compile_json_api_and_refcount),
        cmocka_unit_test(test_collects_all_diagnostics),
        cmocka_unit_test(test_warnings),
        cmocka_unit_test(test_pointer_escaping),
        cmocka_unit_test(test_leak_loop),
        cmocka_unit_test(test_10000_state_chain_compiles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

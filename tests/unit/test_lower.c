/* test_lower.c: `stepd lower` (statemachines/asl_lower.c): the shape of
 * the plain ASL it emits for each extension feature, the definitions it
 * must refuse, that every result passes the strict validator, that the
 * checked-in lowered order saga is what `stepd lower` prints, and that the
 * lowered and the extension forms run to the same outcome (status, error,
 * cause, and the undo requests in order) on the in-memory runner with the
 * built-in echo / fail / sleep resources. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "cli_harness.h"
#include "sfn_asl.h"
#include "sfn_asl_lower.h"
#include "sfn_json.h"
#include "sfn_runner.h"

#define SAGA_EXT "samples/order-saga/order-saga.compensation.asl.json"
#define SAGA_LOWERED "samples/order-saga/order-saga.lowered.asl.json"

/* ------------------------------------------------------------------ */
/* Helpers                                                             */

static json_t *parse(const char *text)
{
    json_error_t e;
    json_t *v = json_loads(text, JSON_REJECT_DUPLICATES, &e);
    if (!v)
        fail_msg("bad test JSON: %s (line %d col %d)", e.text, e.line,
                 e.column);
    return v;
}

static void assert_strict_valid(json_t *def)
{
    sfn_diags d;
    sfn_diags_init(&d);
    sfn_asl_opts strict = {.strict_asl = true};
    sfn_graph *g = NULL;
    sfn_rc rc = sfn_asl_compile(def, &strict, &d, &g);
    for (size_t i = 0; i < d.count; i++)
        print_error("%s: %s: %s\n", d.items[i].location, d.items[i].code,
                    d.items[i].message);
    sfn_graph_unref(g);
    sfn_diags_free(&d);
    assert_int_equal(rc, SFN_OK);
}

/* Lowers text; asserts success and strict validity.  New reference. */
static json_t *lower_ok(const char *text)
{
    json_t *def = parse(text);
    sfn_diags d;
    sfn_diags_init(&d);
    json_t *out = sfn_asl_lower(def, &d);
    for (size_t i = 0; !out && i < d.count; i++)
        print_error("%s: %s: %s\n", d.items[i].location, d.items[i].code,
                    d.items[i].message);
    assert_non_null(out);
    assert_int_equal(d.errors, 0);
    sfn_diags_free(&d);
    json_decref(def);
    assert_strict_valid(out);
    return out;
}

/* Lowering fails with CANNOT_LOWER (or `code`) at `location`. */
static void lower_fails(const char *text, const char *code,
                        const char *location)
{
    json_t *def = parse(text);
    sfn_diags d;
    sfn_diags_init(&d);
    json_t *out = sfn_asl_lower(def, &d);
    assert_null(out);
    bool found = false;
    for (size_t i = 0; i < d.count; i++) {
        found |= !strcmp(d.items[i].code, code) &&
                 !strcmp(d.items[i].location, location);
        if (!found)
            print_error("%s: %s: %s\n", d.items[i].location,
                        d.items[i].code, d.items[i].message);
    }
    assert_true(found);
    sfn_diags_free(&d);
    json_decref(def);
}

static json_t *st(json_t *def, const char *name)
{
    json_t *s = json_object_get(json_object_get(def, "States"), name);
    if (!s)
        fail_msg("no state '%s'", name);
    return s;
}

static const char *str(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* Catch[i] of a state. */
static json_t *catcher(json_t *def, const char *name, size_t i)
{
    json_t *c = json_array_get(json_object_get(st(def, name), "Catch"), i);
    if (!c)
        fail_msg("state '%s' has no Catch[%zu]", name, i);
    return c;
}

/* The end of a chain for a caught error: a Choice between two Fail
 * states re-raising it (with and without a Cause). */
static void assert_reraise(json_t *def, const char *name)
{
    json_t *c = st(def, name);
    assert_string_equal(str(c, "Type"), "Choice");
    json_t *rule = json_array_get(json_object_get(c, "Choices"), 0);
    json_t *with = st(def, str(rule, "Next"));
    json_t *without = st(def, str(c, "Default"));
    assert_string_equal(str(with, "Type"), "Fail");
    assert_string_equal(str(with, "Error"), "{% $stepd_error.Error %}");
    assert_string_equal(str(with, "Cause"), "{% $stepd_error.Cause %}");
    assert_string_equal(str(without, "Type"), "Fail");
    assert_null(json_object_get(without, "Cause"));
}

/* ------------------------------------------------------------------ */
/* Shape of the lowered definition                                     */

#define STEP(name, next, extra)                                              \
    "\"" name "\": {\"Type\": \"Task\", \"Resource\": \"arn:stepd:task:echo\"," \
    " \"Parameters\": {\"step\": \"" name "\", \"order.$\": \"$.order\"},"   \
    " \"ResultPath\": \"$." name "\", " extra "\"Next\": \"" next "\"}"
#define UNDO(name)                                                           \
    "\"Compensation\": {\"Resource\": \"arn:stepd:task:echo\","              \
    " \"Parameters\": {\"undo\": \"" name "\", \"in.$\": \"$.input\","       \
    " \"res.$\": \"$.result\", \"why.$\": \"$.error.Error\"}}, "
#define BOOM(next)                                                           \
    "\"C\": {\"Type\": \"Task\", \"Resource\": \"arn:stepd:task:fail\","     \
    " \"Parameters\": {\"Error\": \"Boom\", \"Cause\": \"shipping failed\"}," \
    " \"Next\": \"" next "\"}"

static const char SAGA[] =
    "{\"StartAt\": \"A\", \"States\": {"
    STEP("A", "B", UNDO("A")) ", " STEP("B", "C", UNDO("B")) ", "
    BOOM("Done") ", \"Done\": {\"Type\": \"Succeed\"}}}";

static void test_reverse_chain(void **state)
{
    (void)state;
    json_t *out = lower_ok(SAGA);
    /* A fails with nothing done: no catcher added */
    assert_null(json_object_get(st(out, "A"), "Catch"));
    /* B's failure undoes A; C's undoes B then A */
    assert_string_equal(str(catcher(out, "B", 0), "Next"), "A (undo)");
    assert_string_equal(str(catcher(out, "C", 0), "Next"), "B (undo)");
    json_t *ub = st(out, "B (undo)");
    assert_string_equal(str(ub, "Next"), "A (undo)");
    assert_string_equal(str(catcher(out, "B (undo)", 0), "Next"), "A (undo)");
    assert_reraise(out, str(st(out, "A (undo)"), "Next"));
    /* what the undo reads comes from variables */
    json_t *p = json_object_get(ub, "Parameters");
    assert_string_equal(str(p, "in.$"), "$stepd_in_B");
    assert_string_equal(str(p, "res.$"), "$stepd_result_B");
    assert_string_equal(str(p, "why.$"), "$stepd_error.Error");
    assert_true(json_is_null(json_object_get(ub, "ResultPath")));
    /* default retry of an undo without its own */
    json_t *r = json_array_get(json_object_get(ub, "Retry"), 0);
    assert_int_equal(json_integer_value(json_object_get(r, "MaxAttempts")),
                     10);
    assert_int_equal(
        json_integer_value(json_object_get(r, "MaxDelaySeconds")), 60);
    /* the input is kept by a Pass in front of the Task */
    assert_string_equal(str(out, "StartAt"), "A (save input)");
    assert_string_equal(str(st(out, "A (save input)"), "Next"), "A");
    assert_string_equal(str(st(out, "A"), "Next"), "B (save input)");
    assert_string_equal(
        str(json_object_get(st(out, "B"), "Assign"), "stepd_result_B.$"),
        "$");
    json_decref(out);
}

static void test_user_catchers_keep_priority(void **state)
{
    (void)state;
    json_t *out = lower_ok(
        "{\"StartAt\": \"A\", \"States\": {" STEP("A", "C", UNDO("A")) ", "
        "\"C\": {\"Type\": \"Task\", \"Resource\": \"arn:stepd:task:echo\","
        " \"Catch\": [{\"ErrorEquals\": [\"Oops\"], \"Next\": \"H\"}],"
        " \"End\": true}, \"H\": {\"Type\": \"Pass\", \"End\": true}}}");
    assert_string_equal(str(catcher(out, "C", 0), "Next"), "H");
    assert_string_equal(str(catcher(out, "C", 1), "Next"), "A (undo)");
    json_decref(out);
}

static void test_compensate_catcher_continues(void **state)
{
    (void)state;
    json_t *out = lower_ok(
        "{\"StartAt\": \"A\", \"States\": {" STEP("A", "C", UNDO("A")) ", "
        "\"C\": {\"Type\": \"Task\", \"Resource\": \"arn:stepd:task:fail\","
        " \"Catch\": [{\"ErrorEquals\": [\"States.ALL\"], \"Compensate\":"
        " true, \"ResultPath\": \"$.err\", \"Next\": \"H\"}],"
        " \"End\": true}, \"H\": {\"Type\": \"Pass\", \"End\": true}}}");
    json_t *c = catcher(out, "C", 0);
    assert_null(json_object_get(c, "Compensate"));
    assert_string_equal(str(c, "ResultPath"), "$.err");
    assert_string_equal(str(c, "Next"), "A (undo)");
    assert_string_equal(str(json_object_get(c, "Assign"), "stepd_error.$"),
                        "$");
    const char *cont = str(st(out, "A (undo)"), "Next");
    assert_string_equal(str(st(out, cont), "Type"), "Pass");
    assert_string_equal(str(st(out, cont), "Next"), "H");
    /* the user's States.ALL catcher replaces the generated one */
    assert_null(json_array_get(json_object_get(st(out, "C"), "Catch"), 1));
    json_decref(out);
}

static void test_point_of_no_return(void **state)
{
    (void)state;
    json_t *out = lower_ok(
        "{\"StartAt\": \"A\", \"States\": {" STEP("A", "B", UNDO("A")) ", "
        STEP("B", "X", UNDO("B") "\"PointOfNoReturn\": true, ") ", "
        STEP("X", "C", UNDO("X")) ", " BOOM("Done") ", "
        "\"Done\": {\"Type\": \"Succeed\"}}}");
    assert_null(json_object_get(st(out, "B"), "PointOfNoReturn"));
    assert_null(json_object_get(st(out, "X"), "Catch"));
    assert_string_equal(str(catcher(out, "C", 0), "Next"), "X (undo)");
    assert_reraise(out, str(st(out, "X (undo)"), "Next"));
    json_decref(out);
}

static void test_parallel_order(void **state)
{
    (void)state;
    json_t *out = lower_ok(
        "{\"StartAt\": \"A\", \"CompensationPolicy\": {\"Order\":"
        " \"PARALLEL\"}, \"States\": {" STEP("A", "B", UNDO("A")) ", "
        STEP("B", "C", UNDO("B")) ", " BOOM("Done") ", "
        "\"Done\": {\"Type\": \"Succeed\"}}}");
    assert_null(json_object_get(out, "CompensationPolicy"));
    json_t *p = st(out, str(catcher(out, "C", 0), "Next"));
    assert_string_equal(str(p, "Type"), "Parallel");
    json_t *br = json_object_get(p, "Branches");
    assert_int_equal(json_array_size(br), 2);
    json_t *b0 = json_array_get(br, 0);
    json_t *undo = json_object_get(json_object_get(b0, "States"),
                                   str(b0, "StartAt"));
    /* one undo's failure must not fail the others */
    json_t *c = json_array_get(json_object_get(undo, "Catch"), 0);
    json_t *after = json_object_get(json_object_get(b0, "States"),
                                    str(c, "Next"));
    assert_string_equal(str(after, "Type"), "Pass");
    assert_true(json_is_true(json_object_get(after, "End")));
    assert_reraise(out, str(p, "Next"));
    json_decref(out);
}

static void test_fail_state_after_steps(void **state)
{
    (void)state;
    json_t *out = lower_ok(
        "{\"StartAt\": \"A\", \"States\": {" STEP("A", "Check", UNDO("A"))
        ", \"Check\": {\"Type\": \"Choice\", \"Choices\": [{\"Variable\":"
        " \"$.ok\", \"BooleanEquals\": true, \"Next\": \"Done\"}],"
        " \"Default\": \"Rejected\"}, \"Rejected\": {\"Type\": \"Fail\","
        " \"Error\": \"Rejected\", \"CausePath\": \"$.why\"},"
        " \"Done\": {\"Type\": \"Succeed\"}}}");
    const char *keep = str(st(out, "Check"), "Default");
    assert_string_not_equal(keep, "Rejected");
    json_t *k = st(out, keep);
    json_t *p = json_object_get(k, "Parameters");
    assert_string_equal(str(p, "Error"), "Rejected");
    assert_string_equal(str(p, "Cause.$"), "$.why");
    assert_string_equal(str(k, "Next"), "A (undo)");
    assert_string_equal(str(st(out, "A (undo)"), "Next"), "Rejected");
    json_decref(out);
}

static void test_unknown_outcome_catcher(void **state)
{
    (void)state;
    json_t *out = lower_ok(
        "{\"StartAt\": \"A\", \"States\": {\"A\": {\"Type\": \"Task\","
        " \"Resource\": \"arn:stepd:task:sleep\", \"TimeoutSeconds\": 1,"
        " \"Compensation\": {\"Resource\": \"arn:stepd:task:echo\","
        " \"Parameters\": {\"r.$\": \"$.result\"}, \"OnUnknownOutcome\":"
        " true}, \"End\": true}}}");
    json_t *c = catcher(out, "A", 0);
    json_t *ee = json_object_get(c, "ErrorEquals");
    assert_string_equal(json_string_value(json_array_get(ee, 0)),
                        "States.Timeout");
    assert_true(json_is_null(
        json_object_get(json_object_get(c, "Assign"), "stepd_result_A")));
    assert_string_equal(str(c, "Next"), "A (undo)");
    json_decref(out);
}

static void test_jsonata_rewrite(void **state)
{
    (void)state;
    json_t *out = lower_ok(
        "{\"QueryLanguage\": \"JSONata\", \"StartAt\": \"A\", \"States\": {"
        "\"A\": {\"Type\": \"Task\", \"Resource\": \"arn:stepd:task:echo\","
        " \"Arguments\": {\"step\": \"A\"}, \"Compensation\": {\"Resource\":"
        " \"arn:stepd:task:echo\", \"Arguments\": {\"in\":"
        " \"{% $states.input.input %}\", \"lit\": \"$states.input\"}},"
        " \"Next\": \"C\"}, \"C\": {\"Type\": \"Task\", \"Resource\":"
        " \"arn:stepd:task:fail\", \"End\": true}}}");
    json_t *args = json_object_get(st(out, "A (undo)"), "Arguments");
    assert_string_equal(str(args, "in"),
                        "{% ({'input': $stepd_in_A, 'result': "
                        "$stepd_result_A, 'error': $stepd_error}).input %}");
    assert_string_equal(str(args, "lit"), "$states.input");
    assert_string_equal(
        str(json_object_get(st(out, "A"), "Assign"), "stepd_result_A"),
        "{% $states.result %}");
    assert_string_equal(
        str(json_object_get(catcher(out, "C", 0), "Assign"), "stepd_error"),
        "{% $states.errorOutput %}");
    json_decref(out);
}

static void test_names_unique_and_short(void **state)
{
    (void)state;
    /* an 80-character state name and a user state already called
     * "B (undo)" */
    char name[81];
    memset(name, 'N', 80);
    name[80] = '\0';
    char text[2048];
    snprintf(text, sizeof text,
             "{\"StartAt\": \"%s\", \"States\": {"
             "\"%s\": {\"Type\": \"Task\", \"Resource\": "
             "\"arn:stepd:task:echo\", \"Compensation\": {\"Resource\": "
             "\"arn:stepd:task:echo\", \"Parameters\": {\"x.$\": "
             "\"$.input\"}}, \"Next\": \"B\"}, " STEP("B", "C", UNDO("B"))
             ", \"C\": {\"Type\": \"Task\", \"Resource\": "
             "\"arn:stepd:task:fail\", \"Next\": \"B (undo)\"}, "
             "\"B (undo)\": {\"Type\": \"Succeed\"}}}", name, name);
    json_t *out = lower_ok(text);
    const char *key;
    json_t *v;
    json_object_foreach(json_object_get(out, "States"), key, v)
        assert_true(strlen(key) <= 80);
    const char *u = str(catcher(out, "C", 0), "Next");
    assert_string_not_equal(u, "B (undo)");
    assert_string_equal(str(st(out, u), "Type"), "Task");
    json_decref(out);
}

static void test_plain_definition_unchanged(void **state)
{
    (void)state;
    static const char text[] =
        "{\"StartAt\": \"A\", \"States\": {\"A\": {\"Type\": \"Task\","
        " \"Resource\": \"arn:stepd:task:echo\", \"End\": true}}}";
    json_t *out = lower_ok(text), *in = parse(text);
    assert_true(json_equal(out, in));
    json_decref(in);
    json_decref(out);
}

/* ------------------------------------------------------------------ */
/* Refusals                                                            */

static void test_refuses_nested_compensation(void **state)
{
    (void)state;
    lower_fails("{\"StartAt\": \"P\", \"States\": {\"P\": {\"Type\":"
                " \"Parallel\", \"End\": true, \"Branches\": [{\"StartAt\":"
                " \"A\", \"States\": {" STEP("A", "Z", UNDO("A")) ", \"Z\":"
                " {\"Type\": \"Succeed\"}}}]}}}",
                "CANNOT_LOWER", "/States/P/Branches/0/States/A/Compensation");
}

static void test_refuses_ambiguous_merge(void **state)
{
    (void)state;
    lower_fails("{\"StartAt\": \"Pick\", \"States\": {\"Pick\": {\"Type\":"
                " \"Choice\", \"Choices\": [{\"Variable\": \"$.a\","
                " \"IsPresent\": true, \"Next\": \"A\"}], \"Default\":"
                " \"C\"}, " STEP("A", "C", UNDO("A")) ", " BOOM("Done")
                ", \"Done\": {\"Type\": \"Succeed\"}}}",
                "CANNOT_LOWER", "/States/C");
}

static void test_refuses_unknown_member_path(void **state)
{
    (void)state;
    lower_fails("{\"StartAt\": \"A\", \"States\": {\"A\": {\"Type\":"
                " \"Task\", \"Resource\": \"arn:stepd:task:echo\","
                " \"Compensation\": {\"Resource\": \"arn:stepd:task:echo\","
                " \"Parameters\": {\"x.$\": \"$.order.id\"}}, \"End\":"
                " true}}}",
                "CANNOT_LOWER", "/States/A/Compensation/Parameters/x.$");
}

static void test_refuses_state_dependent_input(void **state)
{
    (void)state;
    lower_fails("{\"StartAt\": \"A\", \"States\": {\"A\": {\"Type\":"
                " \"Task\", \"Resource\": \"arn:stepd:task:echo\","
                " \"Parameters\": {\"n.$\": \"$$.State.RetryCount\"},"
                " \"Compensation\": {\"Resource\": \"arn:stepd:task:echo\","
                " \"Parameters\": {\"x.$\": \"$.input.n\"}}, \"End\":"
                " true}}}",
                "CANNOT_LOWER", "/States/A/Parameters");
}

static void test_refuses_invalid_definition(void **state)
{
    (void)state;
    lower_fails("{\"StartAt\": \"A\", \"States\": {\"A\": {\"Type\":"
                " \"Task\", \"Resource\": \"arn:stepd:task:echo\","
                " \"Compensation\": {}, \"End\": true}}}",
                "SCHEMA_VALIDATION_FAILED", "/States/A/Compensation");
}

/* ------------------------------------------------------------------ */
/* The checked-in lowered sample                                       */

static void test_sample_lowered_is_current(void **state)
{
    (void)state;
    char *ext = slurp(SAGA_EXT), *want = slurp(SAGA_LOWERED);
    json_t *def = parse(ext);
    sfn_diags d;
    sfn_diags_init(&d);
    json_t *out = sfn_asl_lower(def, &d);
    assert_non_null(out);
    assert_strict_valid(out);
    char *got = sfn_json_dumps(out, 1);
    assert_non_null(got);
    size_t n = strlen(got);
    assert_int_equal(strlen(want), n + 1);
    assert_memory_equal(want, got, n);
    assert_int_equal(want[n], '\n');
    free(got);
    json_decref(out);
    json_decref(def);
    sfn_diags_free(&d);
    free(ext);
    free(want);
}

static void test_cli_prints_the_sample(void **state)
{
    (void)state;
    if (!getenv("STEPD"))
        fail_msg("STEPD is not set (ctest sets it to the stepd binary)");
    const char *args[] = {"lower", SAGA_EXT, NULL};
    run_result r = run(NULL, args);
    char *want = slurp(SAGA_LOWERED);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, want);
    free(want);
    run_free(&r);
    const char *bad[] = {"lower", "--strict", SAGA_EXT, NULL};
    r = run(NULL, bad);
    assert_int_equal(r.status, 2);
    run_free(&r);
}

static void test_cli_reports_what_cannot_be_lowered(void **state)
{
    (void)state;
    char *path = write_tmp("nested.json",
        "{\"StartAt\": \"P\", \"States\": {\"P\": {\"Type\":"
        " \"Parallel\", \"End\": true, \"Branches\": [{\"StartAt\":"
        " \"A\", \"States\": {" STEP("A", "Z", UNDO("A")) ", \"Z\":"
        " {\"Type\": \"Succeed\"}}}]}}}");
    char out[256];
    snprintf(out, sizeof out, "%s/out.json", tmpdir);
    const char *args[] = {"lower", path, "-o", out, NULL};
    run_result r = run(NULL, args);
    assert_int_equal(r.status, 1);
    assert_true(has(r.err, ":/States/P/Branches/0/States/A/Compensation: "
                           "CANNOT_LOWER: "));
    assert_int_equal(access(out, F_OK), -1);
    run_free(&r);
    free(path);
}

/* ------------------------------------------------------------------ */
/* Both forms run to the same outcome                                  */

typedef struct outcome {
    sfn_exec_status status;
    char *error, *cause;
    json_t *undos; /* the payload of each undo request, in order */
} outcome;

/* The undo requests: TaskScheduled parameters (lowered form) or
 * CompensationStepScheduled input (extension form) carrying "undo". */
static void collect_undos(const sfn_run_result *r, json_t *undos)
{
    for (size_t i = 0; i < r->n_events; i++) {
        const sfn_event *e = &r->events[i];
        const char *member =
            e->type == SFN_EV_TaskScheduled ? "parameters"
            : e->type == SFN_EV_CompensationStepScheduled ? "input" : NULL;
        const char *text =
            member ? json_string_value(json_object_get(e->details, member))
                   : NULL;
        json_t *v = text ? json_loads(text, 0, NULL) : NULL;
        if (json_object_get(v, "undo"))
            json_array_append(undos, v);
        json_decref(v);
    }
}

static outcome run_def(json_t *def, const char *input)
{
    sfn_diags d;
    sfn_diags_init(&d);
    sfn_graph *g = NULL;
    assert_int_equal(sfn_asl_compile(def, NULL, &d, &g), SFN_OK);
    sfn_diags_free(&d);
    json_t *in = parse(input);
    sfn_run_result r;
    assert_int_equal(sfn_run_memory(g, in, NULL, &r), SFN_OK);
    outcome o = {.status = r.status, .undos = json_array()};
    o.error = r.error ? strdup(r.error) : NULL;
    o.cause = r.cause ? strdup(r.cause) : NULL;
    collect_undos(&r, o.undos);
    sfn_run_result_free(&r);
    json_decref(in);
    sfn_graph_unref(g);
    return o;
}

static void outcome_free(outcome *o)
{
    free(o->error);
    free(o->cause);
    json_decref(o->undos);
}

static void assert_same_str(const char *a, const char *b)
{
    if (a || b)
        assert_string_equal(a ? a : "(none)", b ? b : "(none)");
}

/* The "undo" markers in order, "B,A". */
static void assert_order(const outcome *o, const char *want)
{
    char got[256] = "";
    size_t i;
    json_t *u;
    json_array_foreach(o->undos, i, u)
        snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s",
                 i ? "," : "", str(u, "undo"));
    assert_string_equal(got, want);
}

/* Runs the lowered form, checks it against the expectation, then runs
 * the extension form (the runtime's compensation) and requires the same
 * status, error, cause and undo requests. */
static void both_forms(const char *text, const char *input,
                       sfn_exec_status status, const char *error,
                       const char *order, bool ordered)
{
    json_t *ext = parse(text);
    json_t *low = lower_ok(text);
    outcome a = run_def(low, input);
    assert_int_equal(a.status, status);
    assert_same_str(a.error, error);
    if (ordered)
        assert_order(&a, order);
    outcome b = run_def(ext, input);
    assert_int_equal(b.status, a.status);
    assert_same_str(b.error, a.error);
    assert_same_str(b.cause, a.cause);
    if (ordered) {
        assert_order(&b, order);
        if (!json_equal(a.undos, b.undos)) {
            char *x = json_dumps(a.undos, 0), *y = json_dumps(b.undos, 0);
            print_error("lowered undos: %s\nextension undos: %s\n", x, y);
            free(x);
            free(y);
        }
        assert_true(json_equal(a.undos, b.undos));
    } else {
        assert_int_equal(json_array_size(a.undos), json_array_size(b.undos));
    }
    outcome_free(&a);
    outcome_free(&b);
    json_decref(low);
    json_decref(ext);
}

static const char ORDER[] = "{\"order\": {\"id\": 7}, \"ok\": false}";

static void test_run_reverse_order(void **state)
{
    (void)state;
    both_forms(SAGA, ORDER, SFN_EXEC_FAILED, "Boom", "B,A", true);
}

static void test_run_undo_payload(void **state)
{
    (void)state;
    json_t *low = lower_ok(SAGA);
    outcome a = run_def(low, ORDER);
    assert_string_equal(a.cause, "shipping failed");
    json_t *b = json_array_get(a.undos, 0);
    json_t *want = parse("{\"undo\": \"B\", \"in\": {\"step\": \"B\","
                         " \"order\": {\"id\": 7}}, \"res\": {\"step\":"
                         " \"B\", \"order\": {\"id\": 7}}, \"why\": \"Boom\"}");
    assert_true(json_equal(b, want));
    json_decref(want);
    outcome_free(&a);
    json_decref(low);
}

static void test_run_compensate_and_continue(void **state)
{
    (void)state;
    both_forms("{\"StartAt\": \"A\", \"States\": {" STEP("A", "B", UNDO("A"))
               ", " STEP("B", "C", UNDO("B")) ", \"C\": {\"Type\": \"Task\","
               " \"Resource\": \"arn:stepd:task:fail\", \"Parameters\":"
               " {\"Error\": \"Boom\"}, \"Catch\": [{\"ErrorEquals\":"
               " [\"Boom\"], \"Compensate\": true, \"ResultPath\":"
               " \"$.err\", \"Next\": \"Recovered\"}], \"End\": true},"
               " \"Recovered\": {\"Type\": \"Pass\", \"End\": true}}}",
               ORDER, SFN_EXEC_SUCCEEDED, NULL, "B,A", true);
}

static void test_run_fail_state(void **state)
{
    (void)state;
    both_forms("{\"StartAt\": \"A\", \"States\": {" STEP("A", "Check",
               UNDO("A")) ", \"Check\": {\"Type\": \"Choice\", \"Choices\":"
               " [{\"Variable\": \"$.ok\", \"BooleanEquals\": true, \"Next\":"
               " \"Done\"}], \"Default\": \"Rejected\"}, \"Rejected\":"
               " {\"Type\": \"Fail\", \"Error\": \"Rejected\", \"Cause\":"
               " \"not ok\"}, \"Done\": {\"Type\": \"Succeed\"}}}",
               ORDER, SFN_EXEC_FAILED, "Rejected", "A", true);
}

static void test_run_point_of_no_return(void **state)
{
    (void)state;
    both_forms("{\"StartAt\": \"A\", \"States\": {" STEP("A", "B", UNDO("A"))
               ", " STEP("B", "X", UNDO("B") "\"PointOfNoReturn\": true, ")
               ", " STEP("X", "C", UNDO("X")) ", " BOOM("Done") ", "
               "\"Done\": {\"Type\": \"Succeed\"}}}",
               ORDER, SFN_EXEC_FAILED, "Boom", "X", true);
}

static void test_run_failing_undo_does_not_stop_others(void **state)
{
    (void)state;
    both_forms("{\"StartAt\": \"A\", \"States\": {" STEP("A", "B", UNDO("A"))
               ", " STEP("B", "C", "\"Compensation\": {\"Resource\":"
               " \"arn:stepd:task:fail\", \"Parameters\": {\"undo\": \"B\","
               " \"Error\": \"UndoFailed\"}, \"Retry\": [{\"ErrorEquals\":"
               " [\"States.ALL\"], \"MaxAttempts\": 1}]}, ") ", "
               BOOM("Done") ", \"Done\": {\"Type\": \"Succeed\"}}}",
               ORDER, SFN_EXEC_FAILED, "Boom", "B,B,A", true);
}

static void test_run_parallel_order(void **state)
{
    (void)state;
    both_forms("{\"StartAt\": \"A\", \"CompensationPolicy\": {\"Order\":"
               " \"PARALLEL\"}, \"States\": {" STEP("A", "B", UNDO("A")) ", "
               STEP("B", "C", UNDO("B")) ", " BOOM("Done") ", "
               "\"Done\": {\"Type\": \"Succeed\"}}}",
               ORDER, SFN_EXEC_FAILED, "Boom", NULL, false);
}

static void test_run_jsonata(void **state)
{
    (void)state;
    both_forms("{\"QueryLanguage\": \"JSONata\", \"StartAt\": \"A\","
               " \"States\": {\"A\": {\"Type\": \"Task\", \"Resource\":"
               " \"arn:stepd:task:echo\", \"Arguments\": {\"step\": \"A\"},"
               " \"Compensation\": {\"Resource\": \"arn:stepd:task:echo\","
               " \"Arguments\": {\"undo\": \"A\", \"in\":"
               " \"{% $states.input.input %}\", \"res\":"
               " \"{% $states.input.result %}\", \"why\":"
               " \"{% $states.input.error.Error %}\"}}, \"Next\": \"C\"},"
               " \"C\": {\"Type\": \"Task\", \"Resource\":"
               " \"arn:stepd:task:fail\", \"Arguments\": {\"Error\":"
               " \"Boom\"}, \"End\": true}}}",
               ORDER, SFN_EXEC_FAILED, "Boom", "A", true);
}

static void test_run_unknown_outcome(void **state)
{
    (void)state;
    both_forms("{\"StartAt\": \"A\", \"States\": {\"A\": {\"Type\": \"Task\","
               " \"Resource\": \"arn:stepd:task:sleep\", \"TimeoutSeconds\":"
               " 1, \"Compensation\": {\"Resource\": \"arn:stepd:task:echo\","
               " \"Parameters\": {\"undo\": \"A\", \"res.$\": \"$.result\"},"
               " \"OnUnknownOutcome\": true}, \"End\": true}}}",
               ORDER, SFN_EXEC_FAILED, "States.Timeout", "A", true);
}

static int setup(void **state)
{
    (void)state;
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reverse_chain),
        cmocka_unit_test(test_user_catchers_keep_priority),
        cmocka_unit_test(test_compensate_catcher_continues),
        cmocka_unit_test(test_point_of_no_return),
        cmocka_unit_test(test_parallel_order),
        cmocka_unit_test(test_fail_state_after_steps),
        cmocka_unit_test(test_unknown_outcome_catcher),
        cmocka_unit_test(test_jsonata_rewrite),
        cmocka_unit_test(test_names_unique_and_short),
        cmocka_unit_test(test_plain_definition_unchanged),
        cmocka_unit_test(test_refuses_nested_compensation),
        cmocka_unit_test(test_refuses_ambiguous_merge),
        cmocka_unit_test(test_refuses_unknown_member_path),
        cmocka_unit_test(test_refuses_state_dependent_input),
        cmocka_unit_test(test_refuses_invalid_definition),
        cmocka_unit_test(test_sample_lowered_is_current),
        cmocka_unit_test(test_cli_prints_the_sample),
        cmocka_unit_test(test_cli_reports_what_cannot_be_lowered),
        cmocka_unit_test(test_run_reverse_order),
        cmocka_unit_test(test_run_undo_payload),
        cmocka_unit_test(test_run_compensate_and_continue),
        cmocka_unit_test(test_run_fail_state),
        cmocka_unit_test(test_run_point_of_no_return),
        cmocka_unit_test(test_run_failing_undo_does_not_stop_others),
        cmocka_unit_test(test_run_parallel_order),
        cmocka_unit_test(test_run_jsonata),
        cmocka_unit_test(test_run_unknown_outcome),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

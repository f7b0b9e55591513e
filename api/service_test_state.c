/* service_test_state.c: TestState, one state run in isolation with the
 * real executor.  The state is placed in a small machine where each of its
 * transition targets is a Succeed state, and run in memory
 * (sfn_run_memory); a Task's mock becomes a built-in resource (echo of
 * the mocked result, or fail with the mocked error).  Retry and Catch
 * are taken out of that run and judged here, since TestState reports
 * RETRIABLE / CAUGHT_ERROR instead of acting on them.  The JSONPath intermediates (afterInputPath, afterParameters,
 * afterResultSelector, afterResultPath) come from running one-Pass-state
 * machines made of the state's own fields, so they are computed by the
 * same code as in an execution. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "service_internal.h"
#include "sfn_asl.h"
#include "sfn_json.h"
#include "sfn_runner.h"

#define STATE_NAME_DEFAULT "TestState"

/* Runs {Init (assign variables)} -> state `name` (fields borrowed), with a
 * Succeed state per name in `ends`; fills res.  Returns false with err
 * when the machine does not compile. */
static bool run_machine(json_t *state, const char *name, json_t *ends,
                        const char *ql, json_t *vars, json_t *input,
                        sfn_run_result *res, sfn_error *err)
{
    json_t *states = json_object();
    json_t *m = json_pack("{s:s,s:o}", "StartAt", name, "States", states);
    if (ql)
        json_object_set_new(m, "QueryLanguage", json_string(ql));
    json_object_set(states, name, state);
    const char *k;
    json_t *v;
    json_object_foreach(ends, k, v)
        if (strcmp(k, name))
            json_object_set_new(states, k, json_pack("{s:s}", "Type",
                                                     "Succeed"));
    if (json_object_size(vars)) {
        json_object_set_new(states, "stepd.TestState.Init",
                            json_pack("{s:s,s:O,s:s}", "Type", "Pass",
                                      "Assign", vars, "Next", name));
        json_object_set_new(m, "StartAt",
                            json_string("stepd.TestState.Init"));
    }
    char *text = sfn_json_dumps(m, 0);
    json_decref(m);
    sfn_graph *g = NULL;
    bool ok = text && svc_compile(text, false, &g, err);
    free(text);
    if (!ok)
        return false;
    sfn_run_opts o = {.machine_name = "TestState", .max_transitions = 10000};
    memset(res, 0, sizeof *res);
    sfn_run_memory(g, input, &o, res);
    sfn_graph_unref(g);
    return true;
}

/* One Pass state made of `fields` run on input: its output (new
 * reference), or NULL with err naming the run-time error. */
static json_t *run_pass(json_t *fields, json_t *vars, json_t *input,
                        sfn_error *err)
{
    json_t *st = json_deep_copy(fields);
    json_object_set_new(st, "Type", json_string("Pass"));
    json_object_set_new(st, "End", json_true());
    sfn_run_result r;
    json_t *ends = json_object();
    bool ok = run_machine(st, "P", ends, NULL, vars, input, &r, err);
    json_decref(ends);
    json_decref(st);
    if (!ok)
        return NULL;
    json_t *out = NULL;
    if (r.status == SFN_EXEC_SUCCEEDED)
        out = json_incref(r.output);
    else
        svc_fail(err, r.error ? r.error : "States.Runtime", "%s",
                 r.cause ? r.cause : "");
    sfn_run_result_free(&r);
    return out;
}

/* Transition targets of a state, as an object of names. */
static json_t *targets(json_t *state)
{
    json_t *t = json_object();
    const char *next = json_string_value(json_object_get(state, "Next"));
    const char *dflt = json_string_value(json_object_get(state, "Default"));
    if (next)
        json_object_set_new(t, next, json_true());
    if (dflt)
        json_object_set_new(t, dflt, json_true());
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(state, "Choices"), i, c)
    {
        const char *n = json_string_value(json_object_get(c, "Next"));
        if (n)
            json_object_set_new(t, n, json_true());
    }
    return t;
}

static bool error_matches(const char *error, json_t *equals)
{
    size_t i;
    json_t *e;
    json_array_foreach(equals, i, e)
    {
        const char *s = json_string_value(e);
        if (!s)
            continue;
        if (!strcmp(s, "States.ALL"))
            return strcmp(error, "States.Runtime") != 0;
        if (!strcmp(s, "States.TaskFailed") &&
            strcmp(error, "States.Timeout") && strcmp(error, "States.Runtime"))
            return true;
        if (!strcmp(s, error))
            return true;
    }
    return false;
}

typedef struct ts_ctx {
    json_t *state;      /* the state as given (borrowed)                 */
    const char *name;
    const char *ql;     /* machine QueryLanguage or NULL                  */
    json_t *input, *vars, *mock;
    json_t *out;        /* response                                       */
    json_t *inspection; /* DEBUG/TRACE data, or NULL                      */
} ts_ctx;

/* The state for the run: no Retry/Catch, a Task's mock as a built-in. */
static json_t *run_copy(ts_ctx *c)
{
    json_t *st = json_deep_copy(c->state);
    json_object_del(st, "Retry");
    json_object_del(st, "Catch");
    if (!c->mock)
        return st;
    json_t *eo = json_object_get(c->mock, "errorOutput");
    const char *res = json_string_value(json_object_get(c->mock, "result"));
    bool jsonata = json_object_get(st, "Arguments") ||
                   (c->ql && !strcmp(c->ql, "JSONata")) ||
                   !strcmp(json_string_value(json_object_get(
                               st, "QueryLanguage"))
                               ? json_string_value(json_object_get(
                                     st, "QueryLanguage"))
                               : "",
                           "JSONata");
    json_t *payload = eo ? json_pack("{s:O,s:O}", "Error",
                                     json_object_get(eo, "error"), "Cause",
                                     json_object_get(eo, "cause"))
                         : svc_parse_text(res);
    json_object_set_new(st, "Resource",
                        json_string(eo ? "arn:stepd:task:fail"
                                       : "arn:stepd:task:echo"));
    json_object_del(st, "Parameters");
    json_object_del(st, "Arguments");
    json_object_set_new(st, jsonata ? "Arguments" : "Parameters",
                        payload ? payload : json_null());
    return st;
}

static const char *detail_str(const sfn_event *ev, const char *key)
{
    return json_string_value(json_object_get(ev->details, key));
}

/* Output of the tested state and the state entered after it. */
static void read_history(ts_ctx *c, const sfn_run_result *r,
                         const char **output, const char **next,
                         const char **task_result)
{
    bool exited = false;
    for (size_t i = 0; i < r->n_events; i++) {
        const sfn_event *ev = &r->events[i];
        const char *type = sfn_event_type_name(ev->type);
        const char *name = detail_str(ev, "name");
        if (ev->type == SFN_EV_TaskSucceeded && !*task_result)
            *task_result = detail_str(ev, "output");
        if (!exited && strstr(type, "StateExited") && name &&
            !strcmp(name, c->name)) {
            exited = true;
            *output = detail_str(ev, "output");
        } else if (exited && strstr(type, "StateEntered") && name) {
            *next = name;
            return;
        }
    }
}

/* A failed run: RETRIABLE, CAUGHT_ERROR or FAILED. */
static void judge_error(ts_ctx *c, const char *error, const char *cause,
                        int64_t retry_count, sfn_error *err)
{
    json_object_set_new(c->out, "error", json_string(error));
    if (cause)
        json_object_set_new(c->out, "cause", json_string(cause));
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(c->state, "Retry"), i, r)
    {
        if (!error_matches(error, json_object_get(r, "ErrorEquals")))
            continue;
        json_t *max = json_object_get(r, "MaxAttempts");
        int64_t limit = json_is_integer(max) ? json_integer_value(max) : 3;
        if (retry_count < limit) {
            json_object_set_new(c->out, "status", json_string("RETRIABLE"));
            if (c->inspection)
                json_object_set_new(c->inspection, "errorDetails",
                                    json_pack("{s:I}", "retryIndex",
                                              (json_int_t)i));
            return;
        }
        break;
    }
    json_t *k;
    json_array_foreach(json_object_get(c->state, "Catch"), i, k)
    {
        if (!error_matches(error, json_object_get(k, "ErrorEquals")))
            continue;
        json_t *eo = json_pack("{s:s,s:s}", "Error", error, "Cause",
                               cause ? cause : "");
        json_t *f = json_pack("{s:O}", "Result", eo);
        json_t *rp = json_object_get(k, "ResultPath");
        if (rp)
            json_object_set(f, "ResultPath", rp);
        sfn_error e2;
        sfn_error_clear(&e2);
        json_t *o = run_pass(f, c->vars, c->input, &e2);
        json_decref(f);
        json_decref(eo);
        char *text = o ? sfn_json_dumps(o, 0) : NULL;
        json_decref(o);
        svc_set(c->out, "output", text ? json_string(text) : NULL);
        free(text);
        json_object_set(c->out, "nextState", json_object_get(k, "Next"));
        json_object_set_new(c->out, "status", json_string("CAUGHT_ERROR"));
        if (c->inspection)
            json_object_set_new(c->inspection, "errorDetails",
                                json_pack("{s:I}", "catchIndex",
                                          (json_int_t)i));
        return;
    }
    (void)err;
    json_object_set_new(c->out, "status", json_string("FAILED"));
}

static void inspect_set(ts_ctx *c, const char *key, json_t *v)
{
    if (!c->inspection || !v)
        return;
    char *text = sfn_json_dumps(v, 0);
    if (text)
        json_object_set_new(c->inspection, key, json_string(text));
    free(text);
}

/* JSONPath intermediates, each from a one-Pass machine. */
static void inspect_jsonpath(ts_ctx *c, const char *task_result)
{
    json_t *s = c->state;
    const char *type = json_string_value(json_object_get(s, "Type"));
    sfn_error e;
    sfn_error_clear(&e);
    json_t *f = json_object();
    if (json_object_get(s, "InputPath"))
        json_object_set(f, "InputPath", json_object_get(s, "InputPath"));
    json_t *after_ip = run_pass(f, c->vars, c->input, &e);
    inspect_set(c, "afterInputPath", after_ip);
    json_t *params = json_object_get(s, "Parameters");
    json_t *after_p = NULL;
    if (after_ip && params) {
        json_object_set(f, "Parameters", params);
        after_p = run_pass(f, c->vars, c->input, &e);
        inspect_set(c, "afterParameters", after_p);
    }
    json_decref(f);
    json_t *result = NULL;
    if (!strcmp(type, "Task"))
        result = svc_parse_text(task_result);
    else if (!strcmp(type, "Pass"))
        result = json_object_get(s, "Result")
                     ? json_incref(json_object_get(s, "Result"))
                     : json_incref(after_p ? after_p : after_ip);
    inspect_set(c, "result", result);
    json_t *rs = json_object_get(s, "ResultSelector");
    if (result && rs) {
        json_t *g = json_pack("{s:O}", "Parameters", rs);
        json_t *sel = run_pass(g, c->vars, result, &e);
        json_decref(g);
        inspect_set(c, "afterResultSelector", sel);
        json_decref(result);
        result = sel;
    }
    if (result && (!strcmp(type, "Task") || !strcmp(type, "Pass"))) {
        json_t *g = json_pack("{s:O}", "Result", result);
        if (json_object_get(s, "ResultPath"))
            json_object_set(g, "ResultPath", json_object_get(s, "ResultPath"));
        json_t *rp = run_pass(g, c->vars, c->input, &e);
        json_decref(g);
        inspect_set(c, "afterResultPath", rp);
        json_decref(rp);
    }
    json_decref(result);
    json_decref(after_p);
    json_decref(after_ip);
}

/* Picks the state to test out of the request's definition. */
static bool pick_state(json_t *def, const char *state_name, ts_ctx *c,
                       sfn_error *err)
{
    if (!json_is_object(def)) {
        svc_fail(err, "InvalidDefinition",
                 "Invalid State Machine Definition: 'INVALID_JSON_DESCRIPTION"
                 ": the definition is not a JSON object at /'");
        return false;
    }
    if (!state_name) {
        c->state = def;
        c->name = STATE_NAME_DEFAULT;
        return true;
    }
    c->state = json_object_get(json_object_get(def, "States"), state_name);
    c->ql = json_string_value(json_object_get(def, "QueryLanguage"));
    c->name = state_name;
    if (!json_is_object(c->state)) {
        svc_fail(err, "ValidationException",
                 "State '%s' does not exist in the definition's top-level "
                 "States",
                 state_name);
        return false;
    }
    return true;
}

static bool ts_read(json_t *req, ts_ctx *c, json_t **def, int64_t *retries,
                    sfn_error *err)
{
    static const char *const levels[] = {"INFO", "DEBUG", "TRACE", NULL};
    const char *text = NULL, *input = "{}", *level = "INFO", *vars = NULL,
               *state_name = NULL;
    if (!svc_str(req, "definition", true, SFN_ASL_DEFINITION_MAX, &text,
                 err) ||
        !svc_str(req, "input", false, 0, &input, err) ||
        !svc_str(req, "variables", false, 0, &vars, err) ||
        !svc_str(req, "stateName", false, 80, &state_name, err) ||
        !svc_enum(req, "inspectionLevel", levels, &level, err))
        return false;
    json_error_t je;
    *def = sfn_json_loadb(text, strlen(text), 0, &je);
    if (!*def) {
        svc_fail(err, "InvalidDefinition",
                 "Invalid State Machine Definition: "
                 "'INVALID_JSON_DESCRIPTION: %s at line %d, column %d'",
                 je.text, je.line, je.column);
        return false;
    }
    if (!(c->input = svc_parse_text(input))) {
        svc_fail(err, "InvalidExecutionInput",
                 "Invalid State Machine Execution Input: 'not JSON'");
        return false;
    }
    c->vars = vars ? svc_parse_text(vars) : NULL;
    if (vars && !json_is_object(c->vars)) {
        svc_fail(err, "ValidationException",
                 "variables must be a JSON object text");
        return false;
    }
    c->mock = json_object_get(req, "mock");
    json_t *cfg = json_object_get(req, "stateConfiguration");
    json_t *rc = json_object_get(cfg, "retrierRetryCount");
    *retries = json_is_integer(rc) ? json_integer_value(rc) : 0;
    if (strcmp(level, "INFO"))
        c->inspection = json_pack("{s:s}", "input", input);
    if (c->inspection && c->vars)
        json_object_set_new(c->inspection, "variables", json_string(vars));
    return pick_state(*def, state_name, c, err);
}

json_t *svc_TestState(sfn_service *svc, sfn_store *st, json_t *req,
                      sfn_error *err)
{
    (void)svc;
    (void)st;
    ts_ctx c = {0};
    json_t *def = NULL;
    int64_t retries = 0;
    if (!ts_read(req, &c, &def, &retries, err))
        goto fail;
    json_t *copy = run_copy(&c);
    json_t *ends = targets(c.state);
    sfn_run_result r;
    bool ok = run_machine(copy, c.name, ends, c.ql, c.vars, c.input, &r,
                          err);
    json_decref(copy);
    json_decref(ends);
    if (!ok)
        goto fail;
    c.out = json_object();
    const char *output = NULL, *next = NULL, *task_result = NULL;
    read_history(&c, &r, &output, &next, &task_result);
    if (r.status == SFN_EXEC_SUCCEEDED) {
        json_object_set_new(c.out, "status", json_string("SUCCEEDED"));
        svc_set(c.out, "output", output ? json_string(output) : NULL);
        svc_set(c.out, "nextState", next ? json_string(next) : NULL);
    } else {
        judge_error(&c, r.error ? r.error : "States.Runtime", r.cause,
                    retries, err);
    }
    bool jsonata = (c.ql && !strcmp(c.ql, "JSONata")) ||
                   json_object_get(c.state, "Arguments") ||
                   json_object_get(c.state, "Output");
    if (c.inspection && !jsonata)
        inspect_jsonpath(&c, task_result);
    sfn_run_result_free(&r);
    svc_set(c.out, "inspectionData", c.inspection);
    c.inspection = NULL;
    json_decref(def);
    json_decref(c.input);
    json_decref(c.vars);
    return c.out;
fail:
    json_decref(c.inspection);
    json_decref(def);
    json_decref(c.input);
    json_decref(c.vars);
    return NULL;
}

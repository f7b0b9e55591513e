/* exec_dataflow.c: JSONPath-mode data flow of a state: the context object
 * (shared with JSONata's $states.context), variable lookup through scopes,
 * payload templates, InputPath / ResultPath / OutputPath and Assign. */
#include "exec_internal.h"
#include "exec_flow.h"

#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static json_t *lookup_var(void *ud, const char *name)
{
    exec_env *e = ud;
    for (sfn_strand *s = e->s; s; s = s->parent) {
        json_t *v = s->vars ? json_object_get(s->vars, name) : NULL;
        if (v)
            return v;
        if (s->isolated)
            break;
    }
    return NULL;
}

/* $$.State carries RetryCount only in states that can be retried: the
 * AWS recordings of a Pass state's $$.State (context_object input_path,
 * base query_context_object_values) hold just Name and EnteredTime, while
 * the docs show RetryCount for a Task.  Member order is AWS's. */
static json_t *build_state_context(exec_env *e)
{
    char entered[40];
    exec_format_timestamp(e->s->entered_ms, entered, sizeof entered);
    json_t *st = json_pack("{s:s,s:s}", "Name", e->st ? e->st->name : "",
                           "EnteredTime", entered);
    if (st && e->st &&
        (e->st->type == SFN_ST_TASK || e->st->type == SFN_ST_PARALLEL ||
         e->st->type == SFN_ST_MAP))
        json_object_set_new(st, "RetryCount",
                            json_integer((json_int_t)e->s->retry_total));
    return st;
}

static json_t *build_context(exec_env *e)
{
    sfn_execution *x = e->x;
    char start[40];
    exec_format_timestamp(x->start_ms, start, sizeof start);
    json_t *ctx = json_pack(
        "{s:{s:s,s:O,s:s,s:s,s:s,s:i},s:{s:s,s:s},s:o}", "Execution", "Id",
        x->arn, "Input", x->input, "StartTime", start, "Name", x->name,
        "RoleArn", x->role_arn ? x->role_arn : "", "RedriveCount",
        (int)x->redrive_count,
        "StateMachine", "Id", x->machine_arn, "Name", x->machine_name,
        "State", build_state_context(e));
    if (ctx && e->s->token && e->st && e->st->type == SFN_ST_TASK)
        json_object_set_new(ctx, "Task",
                            json_pack("{s:s}", "Token", e->s->token));
    /* Express executions cannot be redriven: no RedriveCount (recorded) */
    if (ctx && x->express)
        json_object_del(json_object_get(ctx, "Execution"), "RedriveCount");
    if (ctx && e->map_value)
        json_object_set_new(ctx, "Map",
                            json_pack("{s:{s:i,s:O}}", "Item", "Index",
                                      (json_int_t)e->map_index, "Value",
                                      e->map_value));
    return ctx;
}

void exec_env_init(exec_env *e, sfn_execution *x, sfn_strand *s,
                   json_t *input)
{
    memset(e, 0, sizeof *e);
    e->x = x;
    e->s = s;
    e->st = &s->block->states[s->state];
    e->map_index = -1;
    e->expr.input = input;
    e->expr.lookup_var = lookup_var;
    e->expr.ud = e;
}

void exec_env_done(exec_env *e)
{
    json_decref(e->context);
    e->context = NULL;
    json_decref(e->ja_bindings);
    e->ja_bindings = NULL;
}

json_t *exec_env_context(exec_env *e)
{
    if (!e->context) {
        e->context = build_context(e);
        e->expr.context = e->context;
    }
    return e->context;
}

void exec_env_set_input(exec_env *e, json_t *input) { e->expr.input = input; }

/* The context object is only built when an expression reads `$$`. */
static sfn_rc ensure_context(exec_env *e, const sfn_jsonpath *p,
                             sfn_error *err)
{
    if (sfn_jsonpath_root(p) != SFN_JP_ROOT_CONTEXT || e->context)
        return SFN_OK;
    e->context = build_context(e);
    e->expr.context = e->context;
    return e->context ? SFN_OK
                      : sfn_error_set(err, SFN_ENOMEM, "States.Runtime", -1,
                                      "out of memory");
}

static void need_ctx_cb(const sfn_jsonpath *p, void *ud)
{
    if (sfn_jsonpath_root(p) == SFN_JP_ROOT_CONTEXT)
        *(int *)ud = 1;
}

void exec_field_not_found(sfn_error *err, const sfn_jsonpath *p,
                          const char *field, json_t *doc)
{
    char *text = doc ? sfn_json_dumps(doc, 0) : NULL;
    sfn_error_set(err, SFN_ERUNTIME, "States.Runtime", -1,
                  "The JSONPath '%s' specified for the field '%s' could not "
                  "be found in the input '%s'",
                  sfn_jsonpath_text(p), field, text ? text : "null");
    free(text);
}

/* A `.$` member.  A path that selects nothing is worded as AWS words it
 * for a payload template field (scenarios invalid_jsonpath, recorded):
 * the field is the member's key with its `.$`. */
static json_t *eval_leaf(exec_env *e, const sfn_tpl *t, const char *key,
                         sfn_error *err)
{
    json_t *out = NULL;
    if (t->kind == SFN_TPL_PATH) {
        if (ensure_context(e, t->path, err) != SFN_OK)
            return NULL;
        sfn_rc rc = sfn_jsonpath_eval(t->path, &e->expr, &out, err);
        if (rc == SFN_ENOTFOUND && key) {
            char field[SFN_ERROR_NAME_MAX];
            snprintf(field, sizeof field, "%s.$", key);
            exec_field_not_found(err, t->path, field, e->expr.input);
        }
        return rc == SFN_OK ? out : NULL;
    }
    if (t->kind == SFN_TPL_INTRINSIC) {
        int need = 0;
        sfn_intrinsic_foreach_path(t->intrinsic, need_ctx_cb, &need);
        if (need && !e->context) {
            e->context = build_context(e);
            e->expr.context = e->context;
        }
        if (sfn_intrinsic_eval(t->intrinsic, &e->expr, &out, err) != SFN_OK)
            return NULL;
        return out;
    }
    /* a JSONata leaf only reaches here from a JSONata-mode field */
    return exec_ja_expr(e, t->jsonata, NULL, key ? key : "value", err);
}

static json_t *tpl_eval(exec_env *e, const sfn_tpl *t, const char *key,
                        sfn_error *err)
{
    if (!t)
        return json_incref(e->expr.input);
    switch (t->kind) {
    case SFN_TPL_LITERAL:
        return json_incref(t->literal);
    case SFN_TPL_OBJECT: {
        json_t *o = json_object();
        for (size_t i = 0; o && i < t->count; i++) {
            json_t *v = tpl_eval(e, t->items[i], t->keys[i], err);
            if (!v) {
                json_decref(o);
                return NULL;
            }
            json_object_set_new(o, t->keys[i], v);
        }
        return o;
    }
    case SFN_TPL_ARRAY: {
        json_t *a = json_array();
        for (size_t i = 0; a && i < t->count; i++) {
            json_t *v = tpl_eval(e, t->items[i], key, err);
            if (!v) {
                json_decref(a);
                return NULL;
            }
            json_array_append_new(a, v);
        }
        return a;
    }
    default:
        return eval_leaf(e, t, key, err);
    }
}

json_t *exec_tpl_eval(exec_env *e, const sfn_tpl *t, sfn_error *err)
{
    return tpl_eval(e, t, NULL, err);
}

json_t *exec_apply_path(exec_env *e, const sfn_jsonpath *p, bool is_null,
                        json_t *doc, sfn_error *err)
{
    if (is_null)
        return json_object();
    if (!p)
        return json_incref(doc);
    json_t *saved = e->expr.input, *out = NULL;
    e->expr.input = doc;
    if (ensure_context(e, p, err) == SFN_OK)
        sfn_jsonpath_eval(p, &e->expr, &out, err);
    e->expr.input = saved;
    return out;
}

json_t *exec_apply_result_path(const sfn_jsonpath *p, bool is_null,
                               json_t *raw_input, json_t *result,
                               sfn_error *err)
{
    if (is_null)
        return json_incref(raw_input);
    if (!p)
        return json_incref(result);
    json_t *out = NULL;
    if (sfn_jsonpath_set(p, raw_input, result, &out, err) != SFN_OK)
        return NULL;
    return out;
}

json_t *exec_assign_eval(exec_env *e, const sfn_tpl *assign, json_t *doc,
                         sfn_error *err)
{
    json_t *saved = e->expr.input;
    e->expr.input = doc;
    json_t *v = exec_tpl_eval(e, assign, err);
    e->expr.input = saved;
    return v;
}

void exec_assign_apply(sfn_strand *s, json_t *values)
{
    if (!json_is_object(values))
        return;
    if (!s->vars)
        s->vars = json_object();
    /* a name assigned in an enclosing scope is updated there: inner scopes
     * may not shadow outer names (the validator rejects a re-declaration) */
    const char *k;
    json_t *v;
    json_object_foreach(values, k, v) {
        sfn_strand *owner = s;
        for (sfn_strand *p = s; !p->isolated && p->parent; p = p->parent)
            if (p->parent->vars && json_object_get(p->parent->vars, k))
                owner = p->parent;
        if (!owner->vars)
            owner->vars = json_object();
        json_object_set(owner->vars, k, v);
        owner->dirty = true;
    }
    s->dirty = true;
}

/* One reusable buffer per thread (no malloc per event once it has grown),
 * freed when the thread exits. */
static pthread_key_t text_key;
static pthread_once_t text_once = PTHREAD_ONCE_INIT;

static void text_buf_free(void *p)
{
    sfn_json_buf_free(p);
    free(p);
}

static void text_key_init(void) { pthread_key_create(&text_key, text_buf_free); }

json_t *exec_json_text(json_t *v)
{
    pthread_once(&text_once, text_key_init);
    sfn_json_buf *buf = pthread_getspecific(text_key);
    if (!buf) {
        if (!(buf = calloc(1, sizeof *buf)))
            return json_null();
        pthread_setspecific(text_key, buf);
    }
    const char *s = sfn_json_dump_to(v, buf);
    return s ? json_stringn_nocheck(s, buf->len) : json_null();
}

int64_t exec_emit(sfn_execution *x, sfn_strand *s, sfn_event_type t,
                  int64_t now_ms, json_t *details)
{
    if (s && s->quiet) {
        json_decref(details);
        return s->prev_event;
    }
    if (x->n_events == x->cap_events) {
        size_t cap = x->cap_events ? x->cap_events * 2 : 64;
        sfn_event *ev = realloc(x->events, cap * sizeof *ev);
        if (!ev) {
            json_decref(details);
            return -1;
        }
        x->events = ev;
        x->cap_events = cap;
    }
    sfn_event *ev = &x->events[x->n_events++];
    ev->id = x->next_event_id++;
    ev->prev = s ? s->prev_event : 0;
    ev->ts_ms = now_ms;
    ev->type = t;
    ev->details = details;
    if (s) {
        s->prev_event = ev->id;
        s->dirty = true;
    }
    return ev->id;
}

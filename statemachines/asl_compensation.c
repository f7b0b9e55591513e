/* asl_compensation.c: the stepd Compensation extension in the compiler
 * (docs/compensation.md): a Task's "Compensation" compiled into a Task
 * state of its own, "PointOfNoReturn", the top-level "CompensationPolicy",
 * and strict mode, which rejects every one of them as non-portable. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asl_internal.h"

bool asl_extension_rejected(asl_ctx *c, const char *ptr, const char *field)
{
    if (!c->opts || !c->opts->strict_asl)
        return false;
    asl_err(c, ASL_EXTENSION, ptr, field,
            "'%s' is a stepd extension that AWS Step Functions rejects; run "
            "`stepd lower` to produce portable ASL", field);
    return true;
}

static bool listed(const char *key, const char *const *list)
{
    for (; *list; list++)
        if (!strcmp(key, *list))
            return true;
    return false;
}

/* Unknown members, with the language hint for Parameters / Arguments (the
 * undo is written in its Task's query language). */
static void check_members(asl_ctx *c, const sfn_state *t)
{
    static const char *const jp[] = {"Resource", "Parameters", "Retry",
                                     "TimeoutSeconds", "OnUnknownOutcome",
                                     "Comment", NULL};
    static const char *const ja[] = {"Resource", "Arguments", "Retry",
                                     "TimeoutSeconds", "OnUnknownOutcome",
                                     "Comment", NULL};
    bool is_ja = t->ql == SFN_QL_JSONATA;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)t->raw, key, v) {
        if (listed(key, is_ja ? ja : jp))
            continue;
        if (!strcmp(key, is_ja ? "Parameters" : "Arguments"))
            asl_err(c, ASL_SCHEMA, t->pointer, key,
                    "'%s' is not supported in the Compensation of a %s "
                    "state; use '%s'", key, is_ja ? "JSONata" : "JSONPath",
                    is_ja ? "Arguments" : "Parameters");
        else
            asl_err(c, ASL_SCHEMA, t->pointer, key,
                    "The field '%s' is not supported in a Compensation "
                    "(allowed: Resource, %s, Retry, TimeoutSeconds, "
                    "OnUnknownOutcome, Comment)", key,
                    is_ja ? "Arguments" : "Parameters");
    }
}

static void compile_resource(asl_ctx *c, sfn_state *t)
{
    const json_t *r = json_object_get(t->raw, "Resource");
    if (!r) {
        asl_err(c, ASL_SCHEMA, t->pointer, NULL,
                "These fields are required: [Resource]");
    } else if (!json_is_string(r) || !json_string_length(r)) {
        asl_err(c, ASL_SCHEMA, t->pointer, "Resource",
                "'Resource' must be a non-empty URI string, not %s",
                asl_json_type_name(r));
    } else {
        t->resource = json_string_value(r);
        asl_task_resource(c, t, t->resource);
    }
}

static void compile_payload(asl_ctx *c, sfn_state *t)
{
    bool is_ja = t->ql == SFN_QL_JSONATA;
    const char *field = is_ja ? "Arguments" : "Parameters";
    const json_t *v = json_object_get(t->raw, field);
    if (!v)
        return;
    if (is_ja && !json_is_object(v) && !json_is_array(v) &&
        !asl_is_jsonata_string(v)) {
        asl_err(c, ASL_SCHEMA, t->pointer, field,
                "'Arguments' must be an object, an array or a {%% %%} "
                "expression, not %s", asl_json_type_name(v));
        return;
    }
    char *p = asl_ptr(c, t->pointer, field);
    sfn_tpl *tpl = asl_tpl(c, t->ql, v, p);
    asl_ptr_free(p);
    if (is_ja)
        t->arguments = tpl;
    else
        t->parameters = tpl;
}

static void compile_options(asl_ctx *c, sfn_compensation *comp)
{
    sfn_state *t = &comp->task;
    const json_t *to = json_object_get(t->raw, "TimeoutSeconds");
    if (to && json_is_integer(to) && json_integer_value(to) > 0 &&
        json_integer_value(to) < 99999999) {
        t->timeout_s.set = true;
        t->timeout_s.value = json_integer_value(to);
    } else if (to) {
        char buf[64];
        asl_err(c, ASL_SCHEMA, t->pointer, "TimeoutSeconds",
                "'TimeoutSeconds' must be a positive integer below "
                "99999999, not %s", asl_show(to, buf, sizeof buf));
    }
    const json_t *ou = json_object_get(t->raw, "OnUnknownOutcome");
    if (ou && !json_is_boolean(ou))
        asl_err(c, ASL_SCHEMA, t->pointer, "OnUnknownOutcome",
                "'OnUnknownOutcome' must be a boolean, not %s",
                asl_json_type_name(ou));
    comp->on_unknown_outcome = json_is_true(ou);
    const json_t *cm = json_object_get(t->raw, "Comment");
    if (cm && !json_is_string(cm))
        asl_err(c, ASL_SCHEMA, t->pointer, "Comment",
                "'Comment' must be a string, not %s", asl_json_type_name(cm));
    comp->has_retry = json_object_get(t->raw, "Retry") != NULL;
    asl_retry_compile(c, t);
}

/* The undo as a Task state of its own: the engine dispatches it like any
 * Task, so it is compiled with the same helpers as one. */
static sfn_compensation *new_compensation(asl_ctx *c, const sfn_state *st,
                                          const json_t *obj)
{
    sfn_compensation *comp = calloc(1, sizeof *comp);
    size_t n = strlen(st->name) + sizeof "/Compensation";
    char *name = malloc(n);
    char *ptr = sfn_pointer_join(st->pointer, "Compensation");
    if (!comp || !name || !ptr) {
        c->oom = true;
        free(comp);
        free(name);
        free(ptr);
        return NULL;
    }
    snprintf(name, n, "%s/Compensation", st->name);
    sfn_state *t = &comp->task;
    t->name = name;
    t->pointer = ptr;
    t->type = SFN_ST_TASK;
    t->ql = st->ql;
    t->raw = obj;
    t->next = -1;
    t->default_next = -1;
    t->end = true;
    return comp;
}

static void compile_point_of_no_return(asl_ctx *c, sfn_state *st)
{
    const json_t *v = json_object_get(st->raw, "PointOfNoReturn");
    if (!v || asl_extension_rejected(c, st->pointer, "PointOfNoReturn"))
        return;
    if (json_is_boolean(v))
        st->point_of_no_return = json_is_true(v);
    else
        asl_err(c, ASL_SCHEMA, st->pointer, "PointOfNoReturn",
                "'PointOfNoReturn' must be a boolean, not %s",
                asl_json_type_name(v));
}

void asl_compensation_compile(asl_ctx *c, sfn_state *st)
{
    compile_point_of_no_return(c, st);
    const json_t *obj = json_object_get(st->raw, "Compensation");
    if (!obj || asl_extension_rejected(c, st->pointer, "Compensation"))
        return;
    if (!json_is_object(obj)) {
        asl_err(c, ASL_SCHEMA, st->pointer, "Compensation",
                "'Compensation' must be an object with at least a "
                "'Resource', not %s", asl_json_type_name(obj));
        return;
    }
    sfn_compensation *comp = new_compensation(c, st, obj);
    if (!comp)
        return;
    st->compensation = comp;
    check_members(c, &comp->task);
    compile_resource(c, &comp->task);
    compile_payload(c, &comp->task);
    compile_options(c, comp);
    c->g->uses_compensation = true;
}

/* ------------------------------------------------------------------ */

static void policy_order(asl_ctx *c, const json_t *p, const char *ptr)
{
    const json_t *o = json_object_get(p, "Order");
    if (!o)
        return;
    const char *s = json_string_value(o);
    if (s && !strcmp(s, "REVERSE"))
        c->g->comp_order = SFN_COMP_REVERSE;
    else if (s && !strcmp(s, "PARALLEL"))
        c->g->comp_order = SFN_COMP_PARALLEL;
    else {
        char buf[64];
        asl_err(c, ASL_SCHEMA, ptr, "Order",
                "'Order' must be \"REVERSE\" or \"PARALLEL\", not %s",
                asl_show(o, buf, sizeof buf));
    }
}

static void policy_retry_for(asl_ctx *c, const json_t *p, const char *ptr)
{
    const json_t *r = json_object_get(p, "RetryForSeconds");
    if (!r)
        return;
    if (json_is_integer(r) && json_integer_value(r) > 0 &&
        json_integer_value(r) < 99999999) {
        c->g->comp_retry_for_s = json_integer_value(r);
        return;
    }
    char buf[64];
    asl_err(c, ASL_SCHEMA, ptr, "RetryForSeconds",
            "'RetryForSeconds' must be a positive integer below 99999999, "
            "not %s", asl_show(r, buf, sizeof buf));
}

void asl_compensation_policy(asl_ctx *c, const json_t *def)
{
    const json_t *p = json_object_get(def, "CompensationPolicy");
    if (!p || asl_extension_rejected(c, "", "CompensationPolicy"))
        return;
    if (!json_is_object(p)) {
        asl_err(c, ASL_SCHEMA, "", "CompensationPolicy",
                "'CompensationPolicy' must be an object, not %s",
                asl_json_type_name(p));
        return;
    }
    char *ptr = asl_ptr(c, "", "CompensationPolicy");
    static const char *const allowed[] = {"Order", "RetryForSeconds",
                                          "AllowRedriveAfterCompensation",
                                          NULL};
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)p, key, v) {
        if (!listed(key, allowed))
            asl_err(c, ASL_SCHEMA, ptr, key,
                    "The field '%s' is not supported in CompensationPolicy "
                    "(allowed: Order, RetryForSeconds, "
                    "AllowRedriveAfterCompensation)",
                    key);
    }
    policy_order(c, p, ptr);
    policy_retry_for(c, p, ptr);
    const json_t *ar = json_object_get(p, "AllowRedriveAfterCompensation");
    if (ar && !json_is_boolean(ar))
        asl_err(c, ASL_SCHEMA, ptr, "AllowRedriveAfterCompensation",
                "'AllowRedriveAfterCompensation' must be a boolean, not %s",
                asl_json_type_name(ar));
    c->g->comp_allow_redrive = json_is_true(ar);
    asl_ptr_free(ptr);
}

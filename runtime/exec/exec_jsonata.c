/* exec_jsonata.c: JSONata-mode expressions of a state: the bindings
 * (`$states` and workflow variables), "{% %}" templates, Map `Items`, and
 * AWS's wording of States.QueryEvaluationError causes. */
#include "exec_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QEE "States.QueryEvaluationError"

uint64_t exec_next_rand(sfn_execution *x)
{
    uint64_t z = (x->rng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static unsigned long long ja_rand(void *ud)
{
    return exec_next_rand(ud);
}

/* Inner scopes first; an isolated strand (Distributed Map child) sees no
 * outer variables.  Names are unique across nested scopes (validator), so
 * the order only matters for robustness. */
static void add_vars(json_t *b, const sfn_strand *s)
{
    for (; s; s = s->parent) {
        const char *k;
        json_t *v;
        if (s->vars)
            json_object_foreach(s->vars, k, v)
                if (!json_object_get(b, k))
                    json_object_set(b, k, v);
        if (s->isolated)
            break;
    }
}

bool exec_ja_begin(exec_env *e, json_t *input, json_t *result,
                   json_t *error_output)
{
    json_t *ctx = exec_env_context(e);
    json_t *b = json_object(), *st = json_object();
    if (!ctx || !b || !st) {
        json_decref(b);
        json_decref(st);
        return false;
    }
    json_object_set(st, "input", input ? input : json_null());
    json_object_set(st, "context", ctx);
    if (result)
        json_object_set(st, "result", result);
    if (error_output)
        json_object_set(st, "errorOutput", error_output);
    add_vars(b, e->s);
    json_object_set_new(b, "states", st);
    json_decref(e->ja_bindings);
    e->ja_bindings = b;
    return true;
}

/* The expression as AWS quotes it: the text between the delimiters,
 * trimmed. */
static void expr_text(const json_t *raw, char *buf, size_t n)
{
    const char *s = json_is_string(raw) ? json_string_value(raw) : "";
    size_t len = strlen(s);
    if (len >= 4 && s[0] == '{' && s[1] == '%' && s[len - 2] == '%' &&
        s[len - 1] == '}') {
        s += 2;
        len -= 4;
    }
    while (len && isspace((unsigned char)*s)) {
        s++;
        len--;
    }
    while (len && isspace((unsigned char)s[len - 1]))
        len--;
    snprintf(buf, n, "%.*s", (int)len, s);
}

static void set_where(exec_env *e, const char *field)
{
    snprintf(e->ja_where, sizeof e->ja_where, "%s", field);
}

const char *exec_ja_type_name(json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "object";
    case JSON_ARRAY: return "array";
    case JSON_STRING: return "string";
    case JSON_INTEGER:
    case JSON_REAL: return "number";
    case JSON_TRUE:
    case JSON_FALSE: return "boolean";
    default: return "null";
    }
}

void exec_ja_type_error(exec_env *e, const json_t *raw, const char *field,
                        const char *want, json_t *got, sfn_error *err)
{
    char text[512];
    expr_text(raw, text, sizeof text);
    char *val = sfn_json_dumps(got, 0);
    sfn_error_set(err, SFN_ETYPE, QEE, -1,
                  "The JSONata expression '%s' specified for the field '%s' "
                  "returned an unexpected result type. Expected '%s', but "
                  "was '%s' for value: %s",
                  text, field, want, exec_ja_type_name(got),
                  val ? val : "?");
    free(val);
    set_where(e, field);
}

json_t *exec_ja_expr(exec_env *e, const sfn_jsonata *j, const json_t *raw,
                     const char *field, sfn_error *err)
{
    json_t *in = e->expr.input ? e->expr.input : e->s->input;
    if (!e->ja_bindings && !exec_ja_begin(e, in, NULL, NULL)) {
        sfn_error_set(err, SFN_ENOMEM, QEE, -1, "out of memory");
        set_where(e, field);
        return NULL;
    }
    sfn_jsonata_opts o;
    memset(&o, 0, sizeof o);
    o.aws_functions = true;
    o.now_ms = e->now_ms;
    o.rand64 = ja_rand;
    o.rand_ud = e->x;
    json_t *out = NULL;
    sfn_error je;
    sfn_error_clear(&je);
    /* `$` at the top level is not meaningful in Step Functions (asl.md
     * 7.2): expressions read $states.input, so no input document */
    sfn_rc rc = sfn_jsonata_eval(j, NULL, e->ja_bindings, &o, &out, &je);
    if (rc == SFN_OK && out)
        return out;
    char text[512];
    expr_text(raw, text, sizeof text);
    if (rc == SFN_OK)
        sfn_error_set(err, SFN_ENOTFOUND, QEE, -1,
                      "The JSONata expression '%s' specified for the field "
                      "'%s' returned nothing (undefined).",
                      text, field);
    else
        sfn_error_set(err, rc, QEE, -1,
                      "The JSONata expression '%s' specified for the field "
                      "'%s' threw an error during evaluation: %s%s%s",
                      text, field, je.name, je.name[0] ? ": " : "",
                      je.cause);
    set_where(e, field);
    return NULL;
}

static json_t *tpl_walk(exec_env *e, const sfn_tpl *t, const json_t *raw,
                        const char *where, sfn_error *err)
{
    char sub[sizeof e->ja_where];
    switch (t->kind) {
    case SFN_TPL_LITERAL:
        return json_incref(t->literal);
    case SFN_TPL_OBJECT: {
        json_t *o = json_object();
        for (size_t i = 0; o && i < t->count; i++) {
            snprintf(sub, sizeof sub, "%s/%s", where, t->keys[i]);
            json_t *v = tpl_walk(e, t->items[i],
                                 json_object_get(raw, t->keys[i]), sub, err);
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
            snprintf(sub, sizeof sub, "%s/%zu", where, i);
            json_t *v = tpl_walk(e, t->items[i], json_array_get(raw, i), sub,
                                 err);
            if (!v) {
                json_decref(a);
                return NULL;
            }
            json_array_append_new(a, v);
        }
        return a;
    }
    case SFN_TPL_JSONATA:
        return exec_ja_expr(e, t->jsonata, raw, where, err);
    default:
        /* JSONPath leaves never occur in a JSONata-mode field */
        sfn_error_set(err, SFN_EINVAL, QEE, -1,
                      "The field '%s' holds a JSONPath expression in a "
                      "JSONata state", where);
        set_where(e, where);
        return NULL;
    }
}

json_t *exec_ja_tpl(exec_env *e, const sfn_tpl *t, const json_t *raw,
                    const char *field, sfn_error *err)
{
    e->ja_where[0] = '\0';
    return tpl_walk(e, t, raw, field, err);
}

json_t *exec_ja_items(exec_env *e, const sfn_state *st, json_t *input,
                      sfn_error *err)
{
    json_t *items;
    if (st->items) {
        const json_t *raw = json_object_get(st->raw, "Items");
        if (!(items = exec_ja_tpl(e, st->items, raw, "Items", err)))
            return NULL;
        if (!json_is_array(items)) {
            exec_ja_type_error(e, raw, "Items", "array", items, err);
            json_decref(items);
            return NULL;
        }
        return items;
    }
    if (json_is_array(input))
        return json_incref(input);
    /* no Items: the raw input is iterated (scenarios
     * map_state_items_input_types, recorded) */
    char *text = sfn_json_dumps(input, 0);
    sfn_error_set(err, SFN_ETYPE, QEE, -1,
                  "Map state input must be an array but was: %s",
                  text ? text : "?");
    free(text);
    set_where(e, "Items");
    return NULL;
}

/* exec_fields.c: the state fields whose value may come from the input
 * (Wait SecondsPath/TimestampPath, Task TimeoutSecondsPath, Map
 * MaxConcurrencyPath and ToleratedFailure*Path, Fail ErrorPath/CausePath,
 * and their JSONata forms "Seconds": "{% ... %}" ...): reading them,
 * checking them, and AWS's wording when they are wrong. */
#include "exec_flow.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The value as AWS quotes it in a message: a string raw, anything else as
 * JSON text.  malloc'd; NULL on ENOMEM. */
static char *value_text(json_t *v)
{
    if (json_is_string(v))
        return strdup(json_string_value(v));
    return sfn_json_dumps(v, 0);
}

static bool integral(json_t *v, long long *out)
{
    if (json_is_integer(v)) {
        *out = (long long)json_integer_value(v);
        return true;
    }
    if (!json_is_real(v))
        return false;
    double d = json_real_value(v);
    if (!isfinite(d) || d != floor(d) || fabs(d) >= 9.2e18)
        return false;
    *out = (long long)d;
    return true;
}

/* ---- JSONata variants: the expression sits in the field itself
 * ("Seconds", not "SecondsPath"); callers name the JSONPath variant. ---- */

static void ja_name(const char *field, char *buf, size_t n)
{
    size_t len = strlen(field);
    if (len > 4 && !strcmp(field + len - 4, "Path"))
        len -= 4;
    snprintf(buf, n, "%.*s", (int)len, field);
}

/* The field's JSON in the definition (ItemBatcher fields are nested). */
static const json_t *ja_raw(const exec_env *e, const char *name)
{
    const json_t *v = e->st ? json_object_get(e->st->raw, name) : NULL;
    if (!v && e->st && e->st->item_batcher)
        v = json_object_get(e->st->item_batcher, name);
    return v;
}

static json_t *ja_field(exec_env *e, const sfn_jsonata *j, const char *field,
                        char *name, size_t n, const json_t **raw,
                        sfn_error *err)
{
    ja_name(field, name, n);
    *raw = ja_raw(e, name);
    return exec_ja_expr(e, j, *raw, name, err);
}

/* A whole number within [0, max]; otherwise the error AWS gives for a
 * value of the wrong type. */
static bool ja_integer(exec_env *e, const sfn_jsonata *j, const char *field,
                       long long *out, sfn_error *err)
{
    char name[64];
    const json_t *raw;
    json_t *v = ja_field(e, j, field, name, sizeof name, &raw, err);
    if (!v)
        return false;
    bool ok = integral(v, out) && *out >= 0;
    if (!ok)
        exec_ja_type_error(e, raw, name,
                           json_is_number(v) ? "non-negative integer"
                                             : "integer",
                           v, err);
    json_decref(v);
    return ok;
}

static bool ja_percent(exec_env *e, const sfn_jsonata *j, const char *field,
                       double *out, sfn_error *err)
{
    char name[64];
    const json_t *raw;
    json_t *v = ja_field(e, j, field, name, sizeof name, &raw, err);
    if (!v)
        return false;
    double pct = json_is_number(v) ? json_number_value(v) : -1;
    bool ok = pct >= 0 && pct <= 100;
    if (ok)
        *out = pct;
    else
        exec_ja_type_error(e, raw, name,
                           json_is_number(v) ? "number between 0 and 100"
                                             : "number",
                           v, err);
    json_decref(v);
    return ok;
}

static bool ja_string(exec_env *e, const sfn_jsonata *j, const char *field,
                      char **out, sfn_error *err)
{
    char name[64];
    const json_t *raw;
    json_t *v = ja_field(e, j, field, name, sizeof name, &raw, err);
    if (!v)
        return false;
    if (json_is_string(v))
        *out = strdup(json_string_value(v));
    else
        exec_ja_type_error(e, raw, name, "string", v, err);
    json_decref(v);
    return *out != NULL;
}

/* The value must be a string in the RFC 3339 form a JSONPath Timestamp
 * takes; a string of another form is reported with the JSONPath wording,
 * as a QueryEvaluationError of the field. */
static bool ja_timestamp(exec_env *e, const sfn_jsonata *j, int64_t *out,
                         sfn_error *err)
{
    const json_t *raw;
    char name[64];
    json_t *v = ja_field(e, j, "Timestamp", name, sizeof name, &raw, err);
    if (!v)
        return false;
    bool ok = json_is_string(v) &&
              exec_parse_timestamp(json_string_value(v), out);
    if (!ok && json_is_string(v)) {
        sfn_error_set(err, SFN_EINVAL, "States.QueryEvaluationError", -1,
                      "The Timestamp field is not a valid ISO-8601 extended "
                      "offset date-time format string: %s",
                      json_string_value(v));
        snprintf(e->ja_where, sizeof e->ja_where, "Timestamp");
    } else if (!ok) {
        exec_ja_type_error(e, raw, name, "string", v, err);
    }
    json_decref(v);
    return ok;
}

bool exec_dyn_seconds(exec_env *e, const sfn_dyn_int *d, const char *field,
                      json_t *doc, long long *out, sfn_error *err)
{
    if (d->jsonata)
        return ja_integer(e, d->jsonata, field, out, err);
    if (!d->path) {
        *out = d->value;
        return true;
    }
    const char *p = sfn_jsonpath_text(d->path);
    json_t *v = exec_apply_path(e, d->path, false, doc, err);
    if (!v) {
        sfn_error_set(err, SFN_ERUNTIME, "States.Runtime", -1,
                      "The %s parameter does not reference an input value: "
                      "%s",
                      field, p);
        return false;
    }
    bool ok = integral(v, out);
    if (!ok || *out < 0) {
        char *text = value_text(v);
        sfn_error_set(err, SFN_ERUNTIME, "States.Runtime", -1,
                      ok ? "The %s parameter references a negative value: "
                           "%s == %s"
                         : "The %s parameter cannot be parsed as a long "
                           "value: %s == %s",
                      field, p, text ? text : "?");
        free(text);
        ok = false;
    }
    json_decref(v);
    return ok;
}

/* An integer, or a string holding one: AWS runs MaxConcurrencyPath "1"
 * (assign reference_in_map_state, recorded). */
static bool count_value(json_t *v, long long *out)
{
    if (integral(v, out))
        return *out >= 0;
    if (!json_is_string(v))
        return false;
    const char *s = json_string_value(v);
    char *end;
    errno = 0;
    long long n = strtoll(s, &end, 10);
    if (!*s || *end || errno || n < 0)
        return false;
    *out = n;
    return true;
}

bool exec_dyn_count(exec_env *e, const sfn_dyn_int *d, const char *field,
                    json_t *doc, long long *out, sfn_error *err)
{
    if (d->jsonata)
        return ja_integer(e, d->jsonata, field, out, err);
    if (!d->path) {
        *out = d->value;
        return true;
    }
    json_t *v = exec_apply_path(e, d->path, false, doc, err);
    if (!v)
        return false;
    bool ok = count_value(v, out);
    if (!ok) {
        char *text = value_text(v);
        sfn_error_set(err, SFN_ERUNTIME, "States.Runtime", -1,
                      "The %s field refers to value \"%s\" which is not a "
                      "valid integer: %s",
                      field, text ? text : "?", sfn_jsonpath_text(d->path));
        free(text);
    }
    json_decref(v);
    return ok;
}

bool exec_dyn_percent(exec_env *e, const sfn_dyn_int *d, double static_value,
                      const char *field, json_t *doc, double *out,
                      sfn_error *err)
{
    if (d->jsonata)
        return ja_percent(e, d->jsonata, field, out, err);
    if (!d->path) {
        *out = static_value;
        return true;
    }
    json_t *v = exec_apply_path(e, d->path, false, doc, err);
    if (!v)
        return false;
    double pct = -1;
    if (json_is_number(v)) {
        pct = json_number_value(v);
    } else if (json_is_string(v)) {
        char *end;
        pct = strtod(json_string_value(v), &end);
        if (*end || end == json_string_value(v))
            pct = -1;
    }
    bool ok = pct >= 0 && pct <= 100;
    if (ok) {
        *out = pct;
    } else {
        char *text = value_text(v);
        sfn_error_set(err, SFN_ERUNTIME, "States.Runtime", -1,
                      "The %s field refers to value \"%s\" which is not a "
                      "valid percentage between 0 and 100: %s",
                      field, text ? text : "?", sfn_jsonpath_text(d->path));
        free(text);
    }
    json_decref(v);
    return ok;
}

bool exec_dyn_string(exec_env *e, const sfn_dyn_str *d, const char *field,
                     char **out, sfn_error *err)
{
    *out = NULL;
    if (!d->set)
        return true;
    if (d->jsonata)
        return ja_string(e, d->jsonata, field, out, err);
    if (d->value) {
        *out = strdup(d->value);
        return true;
    }
    json_t *v = NULL;
    if (d->path) {
        v = exec_apply_path(e, d->path, false, e->expr.input, err);
        if (!v)
            exec_field_not_found(err, d->path, field, e->expr.input);
    } else if (d->intrinsic) {
        sfn_intrinsic_eval(d->intrinsic, &e->expr, &v, err);
    }
    if (!v)
        return false;
    if (!json_is_string(v)) {
        char *text = value_text(v);
        sfn_error_set(err, SFN_ETYPE, "States.Runtime", -1,
                      "The value of the field '%s' is not a string: %s",
                      field, text ? text : "?");
        free(text);
        json_decref(v);
        return false;
    }
    *out = strdup(json_string_value(v));
    json_decref(v);
    return *out != NULL;
}

bool exec_dyn_timestamp(exec_env *e, const sfn_dyn_str *d, json_t *doc,
                        int64_t *out, sfn_error *err)
{
    if (d->jsonata)
        return ja_timestamp(e, d->jsonata, out, err);
    if (d->value) {
        if (exec_parse_timestamp(d->value, out))
            return true;
        sfn_error_set(err, SFN_ERUNTIME, "States.Runtime", -1,
                      "The Timestamp field is not a valid ISO-8601 extended "
                      "offset date-time format string: %s",
                      d->value);
        return false;
    }
    const char *p = d->path ? sfn_jsonpath_text(d->path) : "";
    json_t *v = d->path ? exec_apply_path(e, d->path, false, doc, err) : NULL;
    if (!v) {
        sfn_error_set(err, SFN_ERUNTIME, "States.Runtime", -1,
                      "The TimestampPath parameter does not reference an "
                      "input value: %s",
                      p);
        return false;
    }
    bool ok = json_is_string(v) &&
              exec_parse_timestamp(json_string_value(v), out);
    if (!ok) {
        char *text = value_text(v);
        sfn_error_set(err, SFN_ERUNTIME, "States.Runtime", -1,
                      "The TimestampPath parameter does not reference a "
                      "valid ISO-8601 extended offset date-time format "
                      "string: %s == %s",
                      p, text ? text : "?");
        free(text);
    }
    json_decref(v);
    return ok;
}

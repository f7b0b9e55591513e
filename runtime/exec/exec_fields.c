/* exec_fields.c: the state fields whose value may come from the input
 * (Wait SecondsPath/TimestampPath, Task TimeoutSecondsPath, Map
 * MaxConcurrencyPath and ToleratedFailure*Path, Fail ErrorPath/CausePath):
 * reading them, checking them, and AWS's wording when they are wrong. */
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

static bool jsonata_field(const char *field, sfn_error *err)
{
    sfn_error_set(err, SFN_EUNSUPPORTED, "States.QueryEvaluationError", -1,
                  "JSONata expressions are not supported yet (field '%s')",
                  field);
    return false;
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

bool exec_dyn_seconds(exec_env *e, const sfn_dyn_int *d, const char *field,
                      json_t *doc, long long *out, sfn_error *err)
{
    if (d->jsonata)
        return jsonata_field(field, err);
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
        return jsonata_field(field, err);
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
        return jsonata_field(field, err);
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
        return jsonata_field(field, err);
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
        return jsonata_field("Timestamp", err);
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

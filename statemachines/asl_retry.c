/* asl_retry.c: Retry and Catch arrays of Task, Parallel and Map: the
 * ErrorEquals rules (non-empty strings, States.ALL alone and last), retrier
 * ranges with AWS defaults, and catcher transitions, ResultPath / Output /
 * Assign by the state's query language. */
#include <stdlib.h>
#include <string.h>

#include "asl_internal.h"

static const char *const RETRY_FIELDS[] = {
    "ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate",
    "MaxDelaySeconds", "JitterStrategy", "Comment", NULL};
/* "Compensate" is a stepd extension (docs/compensation.md) */
static const char *const CATCH_JP[] = {"ErrorEquals", "Next", "ResultPath",
                                       "Assign", "Comment", "Compensate",
                                       NULL};
static const char *const CATCH_JA[] = {"ErrorEquals", "Next", "Output",
                                       "Assign", "Comment", "Compensate",
                                       NULL};
static const char *const ERRORS_REQUIRED[] = {"ErrorEquals", NULL};

/* Checks ErrorEquals; fills errors/n; *has_all when it names States.ALL. */
static void error_equals(asl_ctx *c, const json_t *obj, const char *ptr,
                         const char ***errors, size_t *n, bool *has_all)
{
    const json_t *ee = json_object_get(obj, "ErrorEquals");
    *has_all = false;
    if (!ee)
        return;
    if (!json_is_array(ee) || !json_array_size(ee)) {
        asl_err(c, ASL_SCHEMA, ptr, "ErrorEquals",
                "'ErrorEquals' must be a non-empty array of error names, "
                "not %s", json_is_array(ee) ? "an empty array"
                                            : asl_json_type_name(ee));
        return;
    }
    *errors = calloc(json_array_size(ee), sizeof **errors);
    if (!*errors) {
        c->oom = true;
        return;
    }
    size_t i;
    json_t *it;
    json_array_foreach(ee, i, it) {
        if (!json_is_string(it)) {
            char *p = asl_ptr(c, ptr, "ErrorEquals");
            asl_err(c, ASL_SCHEMA, p, NULL,
                    "'ErrorEquals' element %zu must be a string, not %s", i,
                    asl_json_type_name(it));
            asl_ptr_free(p);
            continue;
        }
        (*errors)[(*n)++] = json_string_value(it);
        if (!strcmp(json_string_value(it), "States.ALL"))
            *has_all = true;
    }
    if (*has_all && json_array_size(ee) > 1)
        asl_err(c, ASL_ALL_NOT_ALONE, ptr, "ErrorEquals",
                "'States.ALL' must be the only element of its ErrorEquals");
}

static long long int_field(asl_ctx *c, const json_t *obj, const char *ptr,
                           const char *f, long long def, long long min,
                           long long max)
{
    const json_t *v = json_object_get(obj, f);
    if (!v)
        return def;
    if (json_is_integer(v) && json_integer_value(v) >= min &&
        json_integer_value(v) <= max)
        return json_integer_value(v);
    char buf[64];
    asl_err(c, ASL_SCHEMA, ptr, f,
            "'%s' must be an integer from %lld to %lld, not %s", f, min, max,
            asl_show(v, buf, sizeof buf));
    return def;
}

static void retrier(asl_ctx *c, const json_t *obj, const char *ptr,
                    sfn_retrier *r, bool *has_all)
{
    r->interval_s = 1;
    r->max_attempts = 3;
    r->backoff_rate = 2.0;
    *has_all = false;
    if (!json_is_object(obj)) {
        asl_err(c, ASL_SCHEMA, ptr, NULL, "A retrier must be an object, "
                "not %s", asl_json_type_name(obj));
        return;
    }
    asl_check_known(c, obj, ptr, RETRY_FIELDS);
    asl_check_required(c, obj, ptr, ERRORS_REQUIRED);
    error_equals(c, obj, ptr, &r->errors, &r->n_errors, has_all);
    r->interval_s = int_field(c, obj, ptr, "IntervalSeconds", 1, 1, 99999999);
    r->max_attempts = int_field(c, obj, ptr, "MaxAttempts", 3, 0, 99999998);
    r->max_delay_s = int_field(c, obj, ptr, "MaxDelaySeconds", 0, 1, 31622401);
    const json_t *br = json_object_get(obj, "BackoffRate");
    if (br) {
        if (json_is_number(br) && json_number_value(br) >= 1.0)
            r->backoff_rate = json_number_value(br);
        else {
            char buf[64];
            asl_err(c, ASL_SCHEMA, ptr, "BackoffRate",
                    "'BackoffRate' must be a number of at least 1.0, not %s",
                    asl_show(br, buf, sizeof buf));
        }
    }
    const json_t *js = json_object_get(obj, "JitterStrategy");
    const char *s = json_string_value(js);
    if (js && (!s || (strcmp(s, "FULL") && strcmp(s, "NONE"))))
        asl_err(c, ASL_SCHEMA, ptr, "JitterStrategy",
                "'JitterStrategy' must be \"FULL\" or \"NONE\"");
    r->jitter_full = s && !strcmp(s, "FULL");
    if (json_object_get(obj, "MaxAttempts") && r->max_attempts == 0)
        asl_warn(c, ASL_W_NO_RETRY, ptr, "MaxAttempts",
                 "This retrier has MaxAttempts 0 and never retries");
}

static void catcher(asl_ctx *c, const json_t *names, const sfn_state *st,
                    const json_t *obj, const char *ptr, sfn_catcher *k,
                    bool *has_all)
{
    k->next = -1;
    *has_all = false;
    if (!json_is_object(obj)) {
        asl_err(c, ASL_SCHEMA, ptr, NULL, "A catcher must be an object, "
                "not %s", asl_json_type_name(obj));
        return;
    }
    bool ja = st->ql == SFN_QL_JSONATA;
    asl_check_known(c, obj, ptr, ja ? CATCH_JA : CATCH_JP);
    static const char *const req[] = {"ErrorEquals", "Next", NULL};
    asl_check_required(c, obj, ptr, req);
    error_equals(c, obj, ptr, &k->errors, &k->n_errors, has_all);
    if (json_object_get(obj, "Next"))
        k->next = asl_resolve(c, names, json_object_get(obj, "Next"), ptr,
                              "Next");
    if (!ja)
        k->result_path = asl_path_or_null(
            c, json_object_get(obj, "ResultPath"), ASL_PATH_RESULT, ptr,
            "ResultPath", &k->result_path_null);
    const json_t *cp = json_object_get(obj, "Compensate");
    if (cp && !asl_extension_rejected(c, ptr, "Compensate")) {
        if (json_is_boolean(cp))
            k->compensate = json_is_true(cp);
        else
            asl_err(c, ASL_SCHEMA, ptr, "Compensate",
                    "'Compensate' must be a boolean, not %s",
                    asl_json_type_name(cp));
    }
    char *p;
    if (ja && json_object_get(obj, "Output")) {
        p = asl_ptr(c, ptr, "Output");
        k->output = asl_tpl_jsonata(c, json_object_get(obj, "Output"), p);
        asl_ptr_free(p);
    }
    if (json_object_get(obj, "Assign")) {
        p = asl_ptr(c, ptr, "Assign");
        k->assign = asl_assign_compile(c, st->ql,
                                       json_object_get(obj, "Assign"), p);
        asl_ptr_free(p);
    }
}

/* States.ALL must sit in the last element; reports each earlier one. */
static void all_last(asl_ctx *c, const char *ptr, size_t i, size_t n,
                     const char *what)
{
    if (i + 1 < n) {
        char *p = asl_ptr_index(c, ptr, i);
        asl_err(c, ASL_ALL_NOT_LAST, p, "ErrorEquals",
                "A %s with 'States.ALL' must be the last one; %zu more "
                "follow it", what, n - i - 1);
        asl_ptr_free(p);
    }
}

static void compile_retry(asl_ctx *c, sfn_state *st)
{
    const json_t *arr = json_object_get(st->raw, "Retry");
    if (!arr)
        return;
    char *ptr = asl_ptr(c, st->pointer, "Retry");
    if (!json_is_array(arr)) {
        asl_err(c, ASL_SCHEMA, ptr, NULL, "'Retry' must be an array of "
                "retriers, not %s", asl_json_type_name(arr));
    } else if ((st->retriers = calloc(json_array_size(arr) + 1,
                                      sizeof *st->retriers))) {
        size_t i;
        json_t *it;
        json_array_foreach(arr, i, it) {
            char *p = asl_ptr_index(c, ptr, i);
            bool all;
            retrier(c, it, p, &st->retriers[st->n_retriers++], &all);
            asl_ptr_free(p);
            if (all)
                all_last(c, ptr, i, json_array_size(arr), "retrier");
        }
    } else {
        c->oom = true;
    }
    asl_ptr_free(ptr);
}

static void compile_catch(asl_ctx *c, const json_t *names, sfn_state *st)
{
    const json_t *arr = json_object_get(st->raw, "Catch");
    if (!arr)
        return;
    char *ptr = asl_ptr(c, st->pointer, "Catch");
    if (!json_is_array(arr)) {
        asl_err(c, ASL_SCHEMA, ptr, NULL, "'Catch' must be an array of "
                "catchers, not %s", asl_json_type_name(arr));
    } else if ((st->catchers = calloc(json_array_size(arr) + 1,
                                      sizeof *st->catchers))) {
        size_t i;
        json_t *it;
        json_array_foreach(arr, i, it) {
            char *p = asl_ptr_index(c, ptr, i);
            bool all;
            catcher(c, names, st, it, p, &st->catchers[st->n_catchers++],
                    &all);
            asl_ptr_free(p);
            if (all)
                all_last(c, ptr, i, json_array_size(arr), "catcher");
        }
    } else {
        c->oom = true;
    }
    asl_ptr_free(ptr);
}

void asl_retry_compile(asl_ctx *c, sfn_state *st)
{
    compile_retry(c, st);
}

void asl_retry_catch_compile(asl_ctx *c, const json_t *names, sfn_state *st)
{
    compile_retry(c, st);
    compile_catch(c, names, st);
}

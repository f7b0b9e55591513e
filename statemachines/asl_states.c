/* asl_states.c: one state at a time: its Type and QueryLanguage, the field
 * matrix (which fields each type accepts in each language, AWS field
 * matrix 2.1 + language table 7.4), transitions, the JSONPath or JSONata
 * I/O fields and the rules of Pass, Task, Wait, Fail and Parallel.  Choice
 * and Map have their own files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asl_internal.h"

const char *sfn_state_type_name(sfn_state_type t)
{
    static const char *const names[] = {"Pass", "Task",    "Choice",
                                        "Wait", "Succeed", "Fail",
                                        "Parallel", "Map"};
    return (unsigned)t < 8 ? names[t] : "Unknown";
}

#define T(x) (1u << SFN_ST_##x)
#define T_ALL 0xFFu
#define T_FLOW (T(PASS) | T(TASK) | T(WAIT) | T(PARALLEL) | T(MAP))
#define T_WORK (T(TASK) | T(PARALLEL) | T(MAP))
enum { L_JP = 1, L_JA = 2, L_ANY = 3 };

typedef struct field_rule {
    const char *name;
    unsigned types;
    unsigned langs;
} field_rule;

/* Sorted by name (strcmp order) for bsearch. */
static const field_rule FIELDS[] = {
    {"Arguments", T(TASK) | T(PARALLEL), L_JA},
    {"Assign", T_FLOW | T(CHOICE), L_ANY},
    {"Branches", T(PARALLEL), L_ANY},
    {"Catch", T_WORK, L_ANY},
    {"Cause", T(FAIL), L_ANY},
    {"CausePath", T(FAIL), L_JP},
    {"Choices", T(CHOICE), L_ANY},
    {"Comment", T_ALL, L_ANY},
    {"Compensation", T(TASK), L_ANY}, /* stepd extension */
    {"Credentials", T(TASK), L_ANY},
    {"Default", T(CHOICE), L_ANY},
    {"End", T_FLOW, L_ANY},
    {"Error", T(FAIL), L_ANY},
    {"ErrorPath", T(FAIL), L_JP},
    {"HeartbeatSeconds", T(TASK), L_ANY},
    {"HeartbeatSecondsPath", T(TASK), L_JP},
    {"InputPath", T_ALL & ~T(FAIL), L_JP},
    {"ItemBatcher", T(MAP), L_ANY},
    {"ItemProcessor", T(MAP), L_ANY},
    {"ItemReader", T(MAP), L_ANY},
    {"ItemSelector", T(MAP), L_ANY},
    {"Items", T(MAP), L_JA},
    {"ItemsPath", T(MAP), L_JP},
    {"Iterator", T(MAP), L_ANY},
    {"Label", T(MAP), L_ANY},
    {"MaxConcurrency", T(MAP), L_ANY},
    {"MaxConcurrencyPath", T(MAP), L_JP},
    {"Next", T_FLOW, L_ANY},
    {"Output", T_ALL & ~T(FAIL), L_JA},
    {"OutputPath", T_ALL & ~T(FAIL), L_JP},
    {"Parameters", T(PASS) | T_WORK, L_JP},
    {"PointOfNoReturn", T(TASK), L_ANY}, /* stepd extension */
    {"QueryLanguage", T_ALL, L_ANY},
    {"Resource", T(TASK), L_ANY},
    {"Result", T(PASS), L_JP},
    {"ResultPath", T(PASS) | T_WORK, L_JP},
    {"ResultSelector", T_WORK, L_JP},
    {"ResultWriter", T(MAP), L_ANY},
    {"Retry", T_WORK, L_ANY},
    {"Seconds", T(WAIT), L_ANY},
    {"SecondsPath", T(WAIT), L_JP},
    {"TimeoutSeconds", T(TASK), L_ANY},
    {"TimeoutSecondsPath", T(TASK), L_JP},
    {"Timestamp", T(WAIT), L_ANY},
    {"TimestampPath", T(WAIT), L_JP},
    {"ToleratedFailureCount", T(MAP), L_ANY},
    {"ToleratedFailureCountPath", T(MAP), L_JP},
    {"ToleratedFailurePercentage", T(MAP), L_ANY},
    {"ToleratedFailurePercentagePath", T(MAP), L_JP},
    {"Type", T_ALL, L_ANY},
};

static int cmp_field(const void *key, const void *elem)
{
    return strcmp(key, ((const field_rule *)elem)->name);
}

static const field_rule *find_field(const char *name)
{
    return bsearch(name, FIELDS, sizeof FIELDS / sizeof FIELDS[0],
                   sizeof FIELDS[0], cmp_field);
}

static void check_fields(asl_ctx *c, const sfn_state *st)
{
    const char *key;
    json_t *v;
    unsigned lang = st->ql == SFN_QL_JSONATA ? L_JA : L_JP;
    json_object_foreach((json_t *)st->raw, key, v) {
        const field_rule *r = find_field(key);
        bool ext = !strcmp(key, "Compensation") ||
                   !strcmp(key, "PointOfNoReturn");
        if (ext && st->type != SFN_ST_TASK) {
            if (!asl_extension_rejected(c, st->pointer, key))
                asl_err(c, ASL_SCHEMA, st->pointer, key,
                        "'%s' is a stepd extension allowed only on Task "
                        "states, not on a %s state", key,
                        sfn_state_type_name(st->type));
        } else if (!r || !(r->types & (1u << st->type)))
            asl_err(c, ASL_SCHEMA, st->pointer, key,
                    "The field '%s' is not supported by Step Functions", key);
        else if (!(r->langs & lang))
            asl_err(c, ASL_SCHEMA, st->pointer, key,
                    "The field '%s' is not supported by Step Functions in "
                    "%s states (the state's QueryLanguage is %s)", key,
                    lang == L_JA ? "JSONata" : "JSONPath",
                    lang == L_JA ? "JSONata" : "JSONPath");
    }
}

/* The field's value when the state's type and language accept it; fields
 * the matrix rejected were reported once already and are not read. */
static const json_t *get_ok(const sfn_state *st, const char *field)
{
    const field_rule *r = find_field(field);
    unsigned lang = st->ql == SFN_QL_JSONATA ? L_JA : L_JP;
    if (!r || !(r->types & (1u << st->type)) || !(r->langs & lang))
        return NULL;
    return json_object_get(st->raw, field);
}

/* ------------------------------------------------------------------ */
/* Shared field helpers                                                */

int asl_resolve(asl_ctx *c, const json_t *names, const json_t *target,
                const char *base, const char *field)
{
    c->bad_edges++; /* undone below when the target resolves */
    if (!json_is_string(target)) {
        asl_err(c, ASL_SCHEMA, base, field,
                "'%s' must be a string naming a state, not %s", field,
                asl_json_type_name(target));
        return -1;
    }
    json_t *ix = json_object_get(names, json_string_value(target));
    if (!ix) {
        asl_err(c, ASL_MISSING_TARGET, base, field,
                "Missing '%s' target: '%s' is not a state in the same "
                "States block", field, json_string_value(target));
        return -1;
    }
    c->bad_edges--;
    return (int)json_integer_value(ix);
}

void asl_dyn_int(asl_ctx *c, const sfn_state *st, const char *field,
                 long long min, long long max, sfn_dyn_int *out)
{
    const json_t *v = json_object_get(st->raw, field);
    if (!v)
        return;
    if (st->ql == SFN_QL_JSONATA && asl_is_jsonata_string(v)) {
        char *p = asl_ptr(c, st->pointer, field);
        out->jsonata = asl_jsonata(c, json_string_value(v), p);
        asl_ptr_free(p);
        out->set = true;
        return;
    }
    if (json_is_integer(v) && json_integer_value(v) >= min &&
        json_integer_value(v) <= max) {
        out->set = true;
        out->value = json_integer_value(v);
        return;
    }
    char buf[96];
    asl_err(c, ASL_SCHEMA, st->pointer, field,
            "'%s' must be an integer from %lld to %lld%s, not %s", field, min,
            max, st->ql == SFN_QL_JSONATA ? " or a {% %} expression" : "",
            asl_show(v, buf, sizeof buf));
}

void asl_dyn_int_path(asl_ctx *c, const sfn_state *st, const char *field,
                      sfn_dyn_int *out)
{
    const json_t *v = json_object_get(st->raw, field);
    if (!v || st->ql != SFN_QL_JSONPATH)
        return;
    if (!json_is_string(v)) {
        asl_err(c, ASL_SCHEMA, st->pointer, field,
                "'%s' must be a reference path string, not %s", field,
                asl_json_type_name(v));
        return;
    }
    out->set = true;
    out->path = asl_path(c, json_string_value(v), ASL_PATH_REFERENCE,
                         st->pointer, field);
}

/* At most one of the two fields; reports the second. */
static bool exclusive(asl_ctx *c, const sfn_state *st, const char *a,
                      const char *b)
{
    if (json_object_get(st->raw, a) && json_object_get(st->raw, b)) {
        asl_err(c, ASL_SCHEMA, st->pointer, b,
                "'%s' and '%s' are mutually exclusive; use one of them", a,
                b);
        return false;
    }
    return true;
}

static const json_t *get(const sfn_state *st, const char *field)
{
    return json_object_get(st->raw, field);
}

static void check_string(asl_ctx *c, const sfn_state *st, const char *field)
{
    const json_t *v = get(st, field);
    if (v && !json_is_string(v))
        asl_err(c, ASL_SCHEMA, st->pointer, field,
                "'%s' must be a string, not %s", field,
                asl_json_type_name(v));
}

/* ------------------------------------------------------------------ */
/* Common parts                                                        */

static bool parse_type(asl_ctx *c, sfn_state *st)
{
    const json_t *t = get(st, "Type");
    if (!t) {
        asl_err(c, ASL_SCHEMA, st->pointer, NULL,
                "These fields are required: [Type]");
        return false;
    }
    const char *s = json_string_value(t);
    for (int i = 0; s && i < 8; i++) {
        if (!strcmp(s, sfn_state_type_name((sfn_state_type)i))) {
            st->type = (sfn_state_type)i;
            return true;
        }
    }
    char buf[96];
    asl_err(c, ASL_SCHEMA, st->pointer, "Type",
            "Unknown state type %s; expected one of Pass, Task, Choice, "
            "Wait, Succeed, Fail, Parallel, Map", asl_show(t, buf, sizeof buf));
    return false;
}

static void parse_ql(asl_ctx *c, sfn_state *st)
{
    st->ql = c->g->ql;
    const json_t *v = get(st, "QueryLanguage");
    if (!v)
        return;
    const char *s = json_string_value(v);
    if (s && !strcmp(s, "JSONata")) {
        st->ql = SFN_QL_JSONATA;
    } else if (s && !strcmp(s, "JSONPath")) {
        /* reported, then treated as declared so its JSONPath fields do
         * not each raise a second diagnostic */
        if (c->g->ql == SFN_QL_JSONATA)
            asl_err(c, ASL_SCHEMA, st->pointer, NULL,
                    "'QueryLanguage' can not be 'JSONPath' if set to "
                    "'JSONata' for whole state machine");
        st->ql = SFN_QL_JSONPATH;
    } else {
        asl_err(c, ASL_SCHEMA, st->pointer, "QueryLanguage",
                "'QueryLanguage' must be \"JSONPath\" or \"JSONata\"");
    }
}

static void compile_transition(asl_ctx *c, const json_t *names,
                               sfn_state *st)
{
    st->next = -1;
    if (st->type == SFN_ST_SUCCEED || st->type == SFN_ST_FAIL) {
        st->end = true;
        return;
    }
    if (st->type == SFN_ST_CHOICE)
        return;
    const json_t *next = get(st, "Next"), *end = get(st, "End");
    if (end && !json_is_boolean(end)) {
        asl_err(c, ASL_SCHEMA, st->pointer, "End",
                "'End' must be a boolean, not %s", asl_json_type_name(end));
        c->bad_edges++;
        return;
    }
    st->end = json_is_true(end);
    if (st->end && next) {
        asl_err(c, ASL_SCHEMA, st->pointer, "Next",
                "'Next' and \"End\": true are mutually exclusive");
        c->bad_edges++;
        return;
    }
    if (!st->end && !next) {
        asl_err(c, ASL_SCHEMA, st->pointer, NULL,
                "State '%s' must have 'Next' or \"End\": true", st->name);
        c->bad_edges++;
        return;
    }
    if (next)
        st->next = asl_resolve(c, names, next, st->pointer, "Next");
}

static sfn_tpl *field_tpl(asl_ctx *c, const sfn_state *st, const char *f,
                          sfn_ql ql)
{
    const json_t *v = get_ok(st, f);
    if (!v)
        return NULL;
    char *p = asl_ptr(c, st->pointer, f);
    sfn_tpl *t = asl_tpl(c, ql, v, p);
    asl_ptr_free(p);
    return t;
}

static void compile_io_jsonpath(asl_ctx *c, sfn_state *st)
{
    st->input_path = asl_path_or_null(c, get_ok(st, "InputPath"),
                                      ASL_PATH_ANY, st->pointer, "InputPath",
                                      &st->input_path_null);
    st->output_path = asl_path_or_null(c, get_ok(st, "OutputPath"),
                                       ASL_PATH_ANY, st->pointer,
                                       "OutputPath", &st->output_path_null);
    st->result_path = asl_path_or_null(c, get_ok(st, "ResultPath"),
                                       ASL_PATH_RESULT, st->pointer,
                                       "ResultPath", &st->result_path_null);
    const json_t *rs = get_ok(st, "ResultSelector");
    if (rs && !json_is_object(rs))
        asl_err(c, ASL_SCHEMA, st->pointer, "ResultSelector",
                "'ResultSelector' must be an object, not %s",
                asl_json_type_name(rs));
    else
        st->result_selector = field_tpl(c, st, "ResultSelector",
                                        SFN_QL_JSONPATH);
    if (st->type != SFN_ST_MAP)
        st->parameters = field_tpl(c, st, "Parameters", SFN_QL_JSONPATH);
    st->result = (json_t *)get_ok(st, "Result");
}

static void compile_io_jsonata(asl_ctx *c, sfn_state *st)
{
    const json_t *args = get_ok(st, "Arguments");
    if (args && !json_is_object(args) && !json_is_array(args) &&
        !asl_is_jsonata_string(args))
        asl_err(c, ASL_SCHEMA, st->pointer, "Arguments",
                "'Arguments' must be an object, an array or a {%% %%} "
                "expression, not %s", asl_json_type_name(args));
    else
        st->arguments = field_tpl(c, st, "Arguments", SFN_QL_JSONATA);
    st->output = field_tpl(c, st, "Output", SFN_QL_JSONATA);
}

/* ------------------------------------------------------------------ */
/* Task                                                                */

/* Optimized integrations whose actions we know; any other service is left
 * to the engine (stepd has its own resources). */
static const char *const KNOWN_ACTIONS[] = {
    "dynamodb:getItem", "dynamodb:putItem", "dynamodb:updateItem",
    "dynamodb:deleteItem", NULL};

void asl_task_resource(asl_ctx *c, const sfn_state *st, const char *r)
{
    const char *pfx = "arn:aws:states:::";
    if (strncmp(r, pfx, strlen(pfx)))
        return;
    const char *svc = r + strlen(pfx);
    const char *dot = strchr(svc, '.');
    size_t n = dot ? (size_t)(dot - svc) : strlen(svc);
    if (!strncmp(svc, "dynamodb:", 9)) {
        bool ok = false;
        for (const char *const *a = KNOWN_ACTIONS; *a; a++)
            ok |= strlen(*a) == n && !strncmp(*a, svc, n);
        if (!ok)
            asl_err(c, ASL_BAD_RESOURCE, st->pointer, "Resource",
                    "The resource provided %s is not recognized; DynamoDB "
                    "supports getItem, putItem, updateItem and deleteItem "
                    "(use arn:aws:states:::aws-sdk:dynamodb:<action> for "
                    "others)", r);
    }
    if (c->opts->express && dot &&
        (!strncmp(dot, ".sync", 5) || !strcmp(dot, ".waitForTaskToken")))
        asl_err(c, ASL_SCHEMA, st->pointer, "Resource",
                "Express state machine does not support '%s' service "
                "integration", !strncmp(dot, ".sync", 5) ? ".sync"
                                                         : ".waitForTaskToken");
}

static void compile_credentials(asl_ctx *c, sfn_state *st)
{
    const json_t *v = get(st, "Credentials");
    if (!v)
        return;
    char *p = asl_ptr(c, st->pointer, "Credentials");
    if (!json_is_object(v)) {
        asl_err(c, ASL_SCHEMA, p, NULL, "'Credentials' must be an object, "
                "not %s", asl_json_type_name(v));
    } else {
        static const char *const jp[] = {"RoleArn", "RoleArn.$", NULL};
        static const char *const ja[] = {"RoleArn", NULL};
        asl_check_known(c, v, p, st->ql == SFN_QL_JSONATA ? ja : jp);
        if (!json_object_get(v, "RoleArn") &&
            !json_object_get(v, "RoleArn.$"))
            asl_err(c, ASL_SCHEMA, p, NULL,
                    "The field 'RoleArn' is required but was missing");
        st->credentials = asl_tpl(c, st->ql, v, p);
    }
    asl_ptr_free(p);
}

static void compile_task(asl_ctx *c, sfn_state *st)
{
    const json_t *r = get(st, "Resource");
    if (!r)
        asl_err(c, ASL_SCHEMA, st->pointer, NULL,
                "These fields are required: [Resource]");
    else if (!json_is_string(r) || !json_string_length(r))
        asl_err(c, ASL_SCHEMA, st->pointer, "Resource",
                "'Resource' must be a non-empty URI string, not %s",
                asl_json_type_name(r));
    else {
        st->resource = json_string_value(r);
        asl_task_resource(c, st, st->resource);
    }
    if (exclusive(c, st, "TimeoutSeconds", "TimeoutSecondsPath")) {
        asl_dyn_int(c, st, "TimeoutSeconds", 1, 99999998, &st->timeout_s);
        asl_dyn_int_path(c, st, "TimeoutSecondsPath", &st->timeout_s);
    }
    if (exclusive(c, st, "HeartbeatSeconds", "HeartbeatSecondsPath")) {
        asl_dyn_int(c, st, "HeartbeatSeconds", 1, 99999998, &st->heartbeat_s);
        asl_dyn_int_path(c, st, "HeartbeatSecondsPath", &st->heartbeat_s);
    }
    const sfn_dyn_int *to = &st->timeout_s, *hb = &st->heartbeat_s;
    if (to->set && hb->set && !to->path && !to->jsonata && !hb->path &&
        !hb->jsonata && hb->value >= to->value)
        asl_err(c, ASL_SCHEMA, st->pointer, "HeartbeatSeconds",
                "'HeartbeatSeconds' (%lld) must be smaller than "
                "'TimeoutSeconds' (%lld)", hb->value, to->value);
    if (!to->set)
        asl_warn(c, ASL_W_NO_TIMEOUT, st->pointer, NULL,
                 "Task '%s' has no TimeoutSeconds; it can wait for its "
                 "resource until the execution times out", st->name);
    compile_credentials(c, st);
}

/* ------------------------------------------------------------------ */
/* Wait, Fail, Parallel                                                */

static void compile_timestamp(asl_ctx *c, sfn_state *st)
{
    const json_t *v = get(st, "Timestamp");
    if (!v)
        return;
    st->timestamp.set = true;
    if (st->ql == SFN_QL_JSONATA && asl_is_jsonata_string(v)) {
        char *p = asl_ptr(c, st->pointer, "Timestamp");
        st->timestamp.jsonata = asl_jsonata(c, json_string_value(v), p);
        asl_ptr_free(p);
    } else if (!json_is_string(v) ||
               !asl_timestamp_valid(json_string_value(v))) {
        char buf[96];
        asl_err(c, ASL_SCHEMA, st->pointer, "Timestamp",
                "String does not match RFC3339 timestamp: %s (expected e.g. "
                "\"2016-03-14T01:59:00Z\")", asl_show(v, buf, sizeof buf));
    } else {
        st->timestamp.value = json_string_value(v);
    }
}

static void compile_wait(asl_ctx *c, sfn_state *st)
{
    static const char *const jp[] = {"Seconds", "SecondsPath", "Timestamp",
                                     "TimestampPath", NULL};
    static const char *const ja[] = {"Seconds", "Timestamp", NULL};
    const char *const *fields = st->ql == SFN_QL_JSONATA ? ja : jp;
    const char *first = NULL;
    int n = 0;
    for (const char *const *f = fields; *f; f++) {
        if (!get(st, *f))
            continue;
        if (n++ == 0)
            first = *f;
        else
            asl_err(c, ASL_SCHEMA, st->pointer, *f,
                    "A Wait state takes exactly one of Seconds, SecondsPath,"
                    " Timestamp, TimestampPath; '%s' conflicts with '%s'", *f,
                    first);
    }
    bool rejected = st->ql == SFN_QL_JSONATA &&
                    (get(st, "SecondsPath") || get(st, "TimestampPath"));
    if (n == 0 && !rejected)
        asl_err(c, ASL_SCHEMA, st->pointer, NULL,
                "A Wait state needs exactly one of %s",
                st->ql == SFN_QL_JSONATA
                    ? "Seconds, Timestamp"
                    : "Seconds, SecondsPath, Timestamp, TimestampPath");
    if (n != 1)
        return;
    asl_dyn_int(c, st, "Seconds", 0, 99999999, &st->seconds);
    asl_dyn_int_path(c, st, "SecondsPath", &st->seconds);
    compile_timestamp(c, st);
    const json_t *tp = get(st, "TimestampPath");
    if (tp && st->ql == SFN_QL_JSONPATH) {
        bool isnull;
        st->timestamp.set = true;
        st->timestamp.path = asl_path_or_null(c, tp, ASL_PATH_REFERENCE,
                                              st->pointer, "TimestampPath",
                                              &isnull);
        if (isnull)
            asl_err(c, ASL_SCHEMA, st->pointer, "TimestampPath",
                    "'TimestampPath' must be a reference path, not null");
    }
}

static void compile_fail_field(asl_ctx *c, sfn_state *st, const char *f,
                               const char *fpath, sfn_dyn_str *out)
{
    if (!exclusive(c, st, f, fpath))
        return;
    const json_t *v = get(st, f);
    if (v) {
        out->set = true;
        if (st->ql == SFN_QL_JSONATA && asl_is_jsonata_string(v)) {
            char *p = asl_ptr(c, st->pointer, f);
            out->jsonata = asl_jsonata(c, json_string_value(v), p);
            asl_ptr_free(p);
        } else if (json_is_string(v)) {
            out->value = json_string_value(v);
        } else {
            check_string(c, st, f);
        }
    }
    if (st->ql == SFN_QL_JSONPATH)
        asl_path_or_intrinsic(c, get(st, fpath), st->pointer, fpath, out);
}

static void compile_parallel(asl_ctx *c, sfn_state *st, sfn_block *b)
{
    const json_t *br = get(st, "Branches");
    if (!br) {
        asl_err(c, ASL_SCHEMA, st->pointer, NULL,
                "These fields are required: [Branches]");
        return;
    }
    if (!json_is_array(br) || !json_array_size(br)) {
        asl_err(c, ASL_SCHEMA, st->pointer, "Branches",
                "'Branches' must be a non-empty array of state machines, "
                "not %s", json_is_array(br) ? "an empty array"
                                            : asl_json_type_name(br));
        return;
    }
    st->branches = calloc(json_array_size(br), sizeof *st->branches);
    if (!st->branches) {
        c->oom = true;
        return;
    }
    char *bp = asl_ptr(c, st->pointer, "Branches");
    size_t i;
    json_t *it;
    json_array_foreach(br, i, it) {
        char *p = asl_ptr_index(c, bp, i);
        sfn_block *blk = NULL;
        asl_block_compile(c, it, p, b, st, false, &blk);
        asl_ptr_free(p);
        if (!blk)
            break;
        st->branches[st->n_branches++] = blk;
    }
    asl_ptr_free(bp);
}

/* ------------------------------------------------------------------ */

void asl_state_compile(asl_ctx *c, sfn_block *b, const json_t *names,
                       sfn_state *st)
{
    if (!json_is_object(st->raw)) {
        asl_err(c, ASL_SCHEMA, st->pointer, NULL,
                "State '%s' must be an object, not %s", st->name,
                asl_json_type_name(st->raw));
        return;
    }
    if (!parse_type(c, st))
        return;
    parse_ql(c, st);
    check_fields(c, st);
    check_string(c, st, "Comment");
    compile_transition(c, names, st);
    if (st->ql == SFN_QL_JSONPATH)
        compile_io_jsonpath(c, st);
    else
        compile_io_jsonata(c, st);
    const json_t *assign = get_ok(st, "Assign");
    if (assign) {
        char *p = asl_ptr(c, st->pointer, "Assign");
        st->assign = asl_assign_compile(c, st->ql, assign, p);
        asl_ptr_free(p);
    }
    switch (st->type) {
    case SFN_ST_TASK: compile_task(c, st); break;
    case SFN_ST_CHOICE: asl_choice_compile(c, names, st); break;
    case SFN_ST_WAIT: compile_wait(c, st); break;
    case SFN_ST_FAIL:
        compile_fail_field(c, st, "Error", "ErrorPath", &st->error);
        compile_fail_field(c, st, "Cause", "CausePath", &st->cause);
        break;
    case SFN_ST_PARALLEL: compile_parallel(c, st, b); break;
    case SFN_ST_MAP: asl_map_compile(c, b, st); break;
    default: break;
    }
    if (st->type == SFN_ST_TASK || st->type == SFN_ST_PARALLEL ||
        st->type == SFN_ST_MAP)
        asl_retry_catch_compile(c, names, st);
    if (st->type == SFN_ST_TASK)
        asl_compensation_compile(c, st);
}

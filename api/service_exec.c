/* service_exec.c: execution actions: StartExecution, StartSyncExecution,
 * DescribeExecution, DescribeStateMachineForExecution, ListExecutions,
 * StopExecution and GetExecutionHistory.  Starts and stops go through the
 * engine thread (answered after their commit), starts also without
 * waiting (svc_start_async); reads go to the store. */
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "service_async.h"
#include "service_internal.h"
#include "sfn_events.h"
#include "sfn_exec.h"
#include "sfn_json.h"
#include "sfn_tasks.h"

#define EXEC_ARNS (SVC_ALLOW(SVC_ARN_EXECUTION) | SVC_ALLOW(SVC_ARN_EXPRESS))

/* What a StartExecution ARN resolves to. */
typedef struct start_target {
    svc_arn arn;
    sfn_machine_rec m;   /* the revision to run                          */
    char *version_arn;   /* when started through a version or alias      */
    const char *alias_arn;
} start_target;

static void target_free(start_target *t)
{
    sfn_machine_rec_free(&t->m);
    free(t->version_arn);
}

/* Picks a version of an alias by weight. */
static int64_t route(sfn_service *svc, const char *routing, sfn_error *err)
{
    json_t *r = svc_parse_text(routing);
    unsigned char b[2] = {0};
    RAND_bytes(b, sizeof b);
    int pick = (b[0] << 8 | b[1]) % 100, acc = 0;
    int64_t version = 0;
    size_t i;
    json_t *v;
    json_array_foreach(r, i, v)
    {
        svc_arn a;
        const char *arn =
            json_string_value(json_object_get(v, "stateMachineVersionArn"));
        acc += (int)json_integer_value(json_object_get(v, "weight"));
        if (arn && svc_parse_arn(svc, arn, SVC_ALLOW(SVC_ARN_VERSION), &a,
                                 err) &&
            (pick < acc || !version))
            version = a.version;
        if (pick < acc)
            break;
    }
    json_decref(r);
    return version;
}

static bool resolve(sfn_service *svc, sfn_store *st, const char *arn,
                    start_target *t, sfn_error *err)
{
    if (!svc_parse_arn(svc, arn,
                       SVC_ALLOW(SVC_ARN_MACHINE) | SVC_ALLOW(SVC_ARN_VERSION) |
                           SVC_ALLOW(SVC_ARN_ALIAS),
                       &t->arn, err))
        return false;
    int64_t version = t->arn.version, revision = 0;
    if (t->arn.kind == SVC_ARN_ALIAS) {
        sfn_alias_rec al = {0};
        if (sfn_store_get_alias(st, t->arn.name, t->arn.qualifier, &al,
                                err) != SFN_OK)
            goto missing;
        version = route(svc, al.routing, err);
        sfn_alias_rec_free(&al);
        t->alias_arn = arn;
    }
    if (version) {
        sfn_version_rec v = {0};
        if (sfn_store_get_version(st, t->arn.name, version, &v, err) !=
            SFN_OK)
            goto missing;
        revision = v.revision;
        sfn_version_rec_free(&v);
        t->version_arn = svc_version_arn(svc, t->arn.name, version);
    }
    if (sfn_store_get_machine(st, t->arn.name, revision, &t->m, err) ==
        SFN_OK)
        return true;
missing:
    svc_fail(err, "StateMachineDoesNotExist",
             "State Machine Does Not Exist: '%s'", arn);
    return false;
}

typedef struct start_in {
    const char *arn, *name, *input_text;
    json_t *input;
    char *arn_copy;        /* the ARN without its "#TestCase" suffix      */
    const char *test_case; /* Step Functions Local mock selection, or NULL */
} start_in;

static void start_in_free(start_in *in)
{
    json_decref(in->input);
    free(in->arn_copy);
}

/* "ARN#TestCaseName" runs the machine under a mock test case, as Step
 * Functions Local does: the ARN proper is what precedes the '#'. */
static bool split_test_case(start_in *in, sfn_error *err)
{
    const char *hash = strchr(in->arn, '#');
    if (!hash)
        return true;
    if (!hash[1]) {
        svc_fail(err, "ValidationException",
                 "stateMachineArn '%s' ends with '#': name a test case "
                 "after it (ARN#TestCaseName)",
                 in->arn);
        return false;
    }
    in->arn_copy = strndup(in->arn, (size_t)(hash - in->arn));
    if (!in->arn_copy)
        return svc_internal(err), false;
    in->test_case = hash + 1;
    in->arn = in->arn_copy;
    return true;
}

/* The mock configuration must define the case for this machine. */
static bool test_case_known(sfn_service *svc, const start_target *t,
                            const start_in *in, sfn_error *err)
{
    if (!in->test_case ||
        (svc->tasks &&
         sfn_tasks_has_test_case(svc->tasks, t->m.name, in->test_case)))
        return true;
    svc_fail(err, "ValidationException",
             svc->tasks ? "Test case '%s' is not defined for state machine "
                          "'%s' in the mock configuration"
                        : "Test case '%s' cannot be used for state machine "
                          "'%s': no mock configuration is loaded",
             in->test_case, t->m.name);
    return false;
}

static bool start_read(sfn_service *svc, json_t *req, start_in *in,
                       sfn_error *err)
{
    in->input_text = "{}";
    if (!svc_str(req, "stateMachineArn", true, 256, &in->arn, err) ||
        !svc_str(req, "name", false, 0, &in->name, err) ||
        !svc_str(req, "input", false, 0, &in->input_text, err) ||
        !svc_str(req, "traceHeader", false, 256, &(const char *){0}, err) ||
        !split_test_case(in, err))
        return false;
    if (in->name && !svc_valid_name(in->name)) {
        svc_fail(err, "InvalidName", "Invalid Name: '%s'", in->name);
        return false;
    }
    size_t len = strlen(in->input_text);
    if (len > svc->limits.payload_bytes_max) {
        svc_fail(err, "InvalidExecutionInput",
                 "Invalid State Machine Execution Input: 'input is %zu "
                 "bytes, above the limit of %zu bytes'",
                 len, svc->limits.payload_bytes_max);
        return false;
    }
    json_error_t je;
    in->input = sfn_json_loadb(in->input_text, len, JSON_DECODE_ANY, &je);
    if (!in->input) {
        svc_fail(err, "InvalidExecutionInput",
                 "Invalid State Machine Execution Input: '%s at line %d, "
                 "column %d'",
                 je.text, je.line, je.column);
        return false;
    }
    return true;
}

/* Everything a start checks before the engine: the execution limit, the
 * graph (*g, a new reference) and the task bindings; fills *c. */
static bool start_prepare(sfn_service *svc, sfn_store *st, start_target *t,
                          start_in *in, bool sync, sfn_start_call *c,
                          sfn_graph **g_out, sfn_error *err)
{
    if (svc_open_executions(svc) >= svc->max_open) {
        svc_fail(err, "ExecutionLimitExceeded",
                 "Maximum number of running executions reached: %lld",
                 (long long)svc->max_open);
        return false;
    }
    sfn_graph *g = svc_graph(svc, st, t->m.name, t->m.revision, err);
    if (!g)
        return svc_internal(err), false;
    /* tasks.unbound = "start": refuse what would fail at a Task later */
    sfn_error unbound;
    if (svc->tasks &&
        sfn_tasks_check_graph(svc->tasks, g, in->test_case, &unbound) !=
            SFN_OK) {
        sfn_graph_unref(g);
        svc_fail(err, "ValidationException",
                 "Cannot start an execution of '%s': %s", t->m.name,
                 unbound.cause);
        return false;
    }
    *c = (sfn_start_call){.machine = t->m.name,
                          .revision = t->m.revision,
                          .graph = g,
                          .name = in->name,
                          .input = in->input,
                          .express = !strcmp(t->m.type, "EXPRESS"),
                          .wait_for_end = sync,
                          .test_case = in->test_case};
    *g_out = g;
    return true;
}

/* After the engine answered (rc): the error, or the version/alias record
 * of a new execution.  c released on failure. */
static bool start_after(sfn_store *st, const start_target *t,
                        sfn_start_call *c, sfn_rc rc, sfn_error *err)
{
    if (rc != SFN_OK) {
        *err = c->err;
        if (!err->name[0])
            svc_internal(err);
        sfn_start_call_done(c);
        return false;
    }
    if (!c->existed && (t->version_arn || t->alias_arn)) {
        sfn_error e2;
        sfn_store_put_exec_meta(st, c->arn, t->version_arn, t->alias_arn,
                                &e2);
    }
    return true;
}

/* Runs a start through the engine; c filled (release with
 * sfn_start_call_done) when true. */
static bool start_call(sfn_service *svc, sfn_store *st, start_target *t,
                       start_in *in, bool sync, sfn_start_call *c,
                       sfn_error *err)
{
    sfn_graph *g = NULL;
    if (!start_prepare(svc, st, t, in, sync, c, &g, err))
        return false;
    sfn_rc rc = sfn_engine_call_start(svc->engine, c);
    sfn_graph_unref(g);
    return start_after(st, t, c, rc, err);
}

static json_t *sync_result(sfn_service *svc, const start_target *t,
                           const start_in *in, const sfn_start_call *c)
{
    char *marn = svc_machine_arn(svc, t->m.name);
    const char *status = sfn_exec_status_name(c->status);
    /* express ARN: ...:express:<machine>:<name>:<uuid> */
    svc_arn a;
    const char *name = svc_parse_arn(svc, c->arn, SVC_ALLOW(SVC_ARN_EXPRESS),
                                     &a, NULL)
                           ? a.qualifier
                           : "";
    int64_t ms = c->stop_ms - c->start_ms;
    json_t *out = json_pack(
        "{s:s,s:s,s:s,s:o,s:o,s:s,s:s,s:{s:b},s:{s:i,s:I}}", "executionArn",
        c->arn, "stateMachineArn", marn ? marn : "", "name", name,
        "startDate", svc_date(c->start_ms), "stopDate", svc_date(c->stop_ms),
        "status", status, "input", in->input_text, "inputDetails", "included",
        1, "billingDetails", "billedMemoryUsedInMB", 64,
        "billedDurationInMilliseconds",
        (json_int_t)((ms < 100 ? 100 : (ms + 99) / 100 * 100)));
    free(marn);
    if (!out)
        return NULL;
    if (c->output) {
        json_object_set_new(out, "output", json_string(c->output));
        json_object_set_new(out, "outputDetails",
                            json_pack("{s:b}", "included", 1));
    }
    svc_set(out, "error", c->error ? json_string(c->error) : NULL);
    svc_set(out, "cause", c->cause ? json_string(c->cause) : NULL);
    return out;
}

/* The checks and reads of StartExecution (sync false) and
 * StartSyncExecution (true) before the engine. */
static bool start_check(sfn_service *svc, sfn_store *st, json_t *req,
                        bool sync, start_in *in, start_target *t,
                        sfn_error *err)
{
    if (!start_read(svc, req, in, err) || !resolve(svc, st, in->arn, t, err) ||
        !test_case_known(svc, t, in, err))
        return false;
    if (sync && strcmp(t->m.type, "EXPRESS")) {
        svc_fail(err, "StateMachineTypeNotSupported",
                 "This operation is not supported by this type of state "
                 "machine");
        return false;
    }
    return true;
}

/* The response of an answered start; releases c. */
static json_t *start_reply(sfn_service *svc, const start_target *t,
                           const start_in *in, sfn_start_call *c, bool sync,
                           sfn_error *err)
{
    json_t *out = sync ? sync_result(svc, t, in, c)
                       : json_pack("{s:s,s:o}", "executionArn", c->arn,
                                   "startDate", svc_date(c->start_ms));
    sfn_start_call_done(c);
    return out ? out : svc_internal(err);
}

static json_t *start_now(sfn_service *svc, sfn_store *st, json_t *req,
                         bool sync, sfn_error *err)
{
    start_in in = {0};
    start_target t = {0};
    sfn_start_call c;
    json_t *out = NULL;
    if (start_check(svc, st, req, sync, &in, &t, err) &&
        start_call(svc, st, &t, &in, sync, &c, err))
        out = start_reply(svc, &t, &in, &c, sync, err);
    start_in_free(&in);
    target_free(&t);
    return out;
}

json_t *svc_StartExecution(sfn_service *svc, sfn_store *st, json_t *req,
                           sfn_error *err)
{
    return start_now(svc, st, req, false, err);
}

json_t *svc_StartSyncExecution(sfn_service *svc, sfn_store *st, json_t *req,
                               sfn_error *err)
{
    return start_now(svc, st, req, true, err);
}

/* ---- starts answered later (sfn_service_call_async) --------------------- */

typedef struct start_job {
    sfn_service_async a; /* first member: the job is reached through it */
    json_t *req;         /* a reference: `in` points into its strings     */
    bool sync;
    start_in in;
    start_target t;
    sfn_start_call c;
    sfn_graph *g;
} start_job;

static void start_job_free(start_job *j)
{
    sfn_graph_unref(j->g);
    start_in_free(&j->in);
    target_free(&j->t);
    json_decref(j->req);
    free(j);
}

/* On the engine thread: hand the answer to the caller's callback. */
static void start_answered(void *ud, sfn_start_call *c)
{
    (void)c;
    start_job *j = ud;
    j->a.done(j->a.ud, &j->a);
}

static json_t *start_finish(sfn_service_async *a, sfn_store *st,
                            sfn_error *err)
{
    start_job *j = (start_job *)a;
    json_t *out = NULL;
    if (start_after(st, &j->t, &j->c, j->c.err.rc, err))
        out = start_reply(j->a.svc, &j->t, &j->in, &j->c, j->sync, err);
    start_job_free(j);
    return out;
}

static void start_discard(sfn_service_async *a)
{
    start_job *j = (start_job *)a;
    sfn_start_call_done(&j->c);
    start_job_free(j);
}

bool svc_start_async(sfn_service *svc, sfn_store *st, json_t *req, bool sync,
                     sfn_service_done_fn done, void *ud, json_t **out,
                     sfn_error *err)
{
    *out = NULL;
    start_job *j = calloc(1, sizeof *j);
    if (!j) {
        svc_fail(err, "InternalFailure", "out of memory");
        return false;
    }
    j->a = (sfn_service_async){.svc = svc, .done = done, .ud = ud,
                               .finish = start_finish,
                               .discard = start_discard};
    j->req = json_incref(req);
    j->sync = sync;
    if (start_check(svc, st, req, sync, &j->in, &j->t, err) &&
        start_prepare(svc, st, &j->t, &j->in, sync, &j->c, &j->g, err)) {
        /* from here the engine thread may answer and free the job */
        if (sfn_engine_call_start_async(svc->engine, &j->c, start_answered,
                                        j) == SFN_OK)
            return true;
        *err = j->c.err;
    }
    start_job_free(j);
    return false;
}

/* Reads an execution named by the request's executionArn. */
static bool get_exec(sfn_service *svc, sfn_store *st, json_t *req,
                     sfn_exec_rec *r, const char **arn_out, sfn_error *err)
{
    const char *arn = NULL;
    svc_arn a;
    if (!svc_str(req, "executionArn", true, 2048, &arn, err) ||
        !svc_parse_arn(svc, arn,
                       EXEC_ARNS,
                       &a, err))
        return false;
    *arn_out = arn;
    if (sfn_store_get_execution(st, arn, r, err) == SFN_OK)
        return true;
    svc_fail(err, "ExecutionDoesNotExist", "Execution Does Not Exist: '%s'",
             arn);
    return false;
}

/* NULL when the execution can be redriven (the engine re-checks). */
static const char *redrive_reason(const sfn_exec_rec *r, int64_t now)
{
    switch (r->status) {
    case SFN_EXEC_RUNNING:
        return "Execution is RUNNING and cannot be redriven";
    case SFN_EXEC_SUCCEEDED:
        return "Execution is SUCCEEDED and cannot be redriven";
    default:
        break;
    }
    if (strstr(r->arn, ":express:"))
        return "Express executions cannot be redriven";
    if (now - r->stop_ms > 14LL * 24 * 3600 * 1000)
        return "Execution stopped more than 14 days ago";
    if (r->redrive_count >= 1000)
        return "Execution reached the redrive limit of 1000";
    if (r->comp_status != SFN_COMP_STATUS_NONE)
        return "Execution ran its compensation; it can be redriven only "
               "when its definition sets CompensationPolicy."
               "AllowRedriveAfterCompensation";
    return NULL;
}

json_t *svc_DescribeExecution(sfn_service *svc, sfn_store *st, json_t *req,
                              sfn_error *err)
{
    sfn_exec_rec r = {0};
    const char *arn;
    if (!get_exec(svc, st, req, &r, &arn, err))
        return NULL;
    char *marn = svc_machine_arn(svc, r.machine);
    const char *why = redrive_reason(&r, svc_now_ms());
    json_t *out = json_pack(
        "{s:s,s:s,s:s,s:s,s:o,s:s,s:{s:b},s:I,s:s}", "executionArn", r.arn,
        "stateMachineArn", marn ? marn : "", "name", r.name, "status",
        sfn_exec_status_name((sfn_exec_status)r.status), "startDate",
        svc_date(r.start_ms), "input", r.input ? r.input : "{}",
        "inputDetails", "included", 1, "redriveCount",
        (json_int_t)r.redrive_count, "redriveStatus",
        why ? "NOT_REDRIVABLE" : "REDRIVABLE");
    if (out && why)
        json_object_set_new(out, "redriveStatusReason", json_string(why));
    if (out && r.redrive_ms)
        json_object_set_new(out, "redriveDate", svc_date(r.redrive_ms));
    free(marn);
    if (out && r.status != SFN_EXEC_RUNNING)
        json_object_set_new(out, "stopDate", svc_date(r.stop_ms));
    if (out && r.status == SFN_EXEC_SUCCEEDED && r.output) {
        json_object_set_new(out, "output", json_string(r.output));
        json_object_set_new(out, "outputDetails",
                            json_pack("{s:b}", "included", 1));
    }
    if (out) {
        svc_set(out, "error", r.error ? json_string(r.error) : NULL);
        svc_set(out, "cause", r.cause ? json_string(r.cause) : NULL);
        /* stepd extension (docs/compensation.md) */
        json_object_set_new(out, "compensationStatus",
                            json_string(sfn_comp_status_name(r.comp_status)));
        char *v = NULL, *al = NULL;
        sfn_error e2;
        sfn_store_get_exec_meta(st, r.arn, &v, &al, &e2);
        svc_set(out, "stateMachineVersionArn", v ? json_string(v) : NULL);
        svc_set(out, "stateMachineAliasArn", al ? json_string(al) : NULL);
        free(v);
        free(al);
    }
    sfn_exec_rec_free(&r);
    return out ? out : svc_internal(err);
}

json_t *svc_DescribeStateMachineForExecution(sfn_service *svc, sfn_store *st,
                                             json_t *req, sfn_error *err)
{
    sfn_exec_rec r = {0};
    const char *arn;
    if (!get_exec(svc, st, req, &r, &arn, err))
        return NULL;
    sfn_machine_rec m = {0};
    char *marn = svc_machine_arn(svc, r.machine);
    json_t *out = NULL;
    if (sfn_store_get_machine(st, r.machine, r.revision, &m, err) != SFN_OK) {
        svc_fail(err, "StateMachineDoesNotExist",
                 "State Machine Does Not Exist: '%s'", marn ? marn : "");
        goto done;
    }
    sfn_machine_meta meta = {0};
    sfn_error e2;
    sfn_store_get_machine_meta(st, r.machine, &meta, &e2);
    out = json_pack("{s:s,s:s,s:s,s:s,s:o,s:{s:s,s:b},s:{s:b}}",
                    "stateMachineArn", marn ? marn : "", "name", m.name,
                    "definition", m.definition, "roleArn",
                    meta.role_arn ? meta.role_arn : "", "updateDate",
                    svc_date(m.updated_ms), "loggingConfiguration", "level",
                    "OFF", "includeExecutionData", 0, "tracingConfiguration",
                    "enabled", 0);
    sfn_machine_rec latest = {0};
    if (out && meta.revision_id &&
        sfn_store_get_machine(st, r.machine, 0, &latest, &e2) == SFN_OK &&
        latest.revision == r.revision)
        json_object_set_new(out, "revisionId", json_string(meta.revision_id));
    sfn_machine_rec_free(&latest);
    sfn_machine_meta_free(&meta);
    sfn_machine_rec_free(&m);
    if (!out)
        svc_internal(err);
done:
    free(marn);
    sfn_exec_rec_free(&r);
    return out;
}

/* ---- ListExecutions ----------------------------------------------------- */

static const char *const statuses[] = {"RUNNING",   "SUCCEEDED", "FAILED",
                                       "TIMED_OUT", "ABORTED",
                                       "PENDING_REDRIVE", NULL};

typedef struct lx_ctx {
    sfn_service *svc;
    sfn_store *st;
    const char *marn;
    const char *only_version, *only_alias; /* filter by qualified ARN */
    int64_t limit;
    json_t *items;
    int64_t last_start, last_id;
    bool more;
} lx_ctx;

static int lx_one(const sfn_exec_rec *r, void *ud)
{
    lx_ctx *c = ud;
    char *v = NULL, *al = NULL;
    sfn_error e2;
    sfn_store_get_exec_meta(c->st, r->arn, &v, &al, &e2);
    bool keep = (!c->only_version || (v && !strcmp(v, c->only_version))) &&
                (!c->only_alias || (al && !strcmp(al, c->only_alias)));
    if (keep && (int64_t)json_array_size(c->items) == c->limit) {
        c->more = true;
        free(v);
        free(al);
        return 1;
    }
    if (keep) {
        json_t *it = json_pack(
            "{s:s,s:s,s:s,s:s,s:o,s:i}", "executionArn", r->arn,
            "stateMachineArn", c->marn, "name", r->name, "status",
            sfn_exec_status_name((sfn_exec_status)r->status), "startDate",
            svc_date(r->start_ms), "redriveCount", 0);
        if (r->status != SFN_EXEC_RUNNING)
            json_object_set_new(it, "stopDate", svc_date(r->stop_ms));
        svc_set(it, "stateMachineVersionArn", v ? json_string(v) : NULL);
        svc_set(it, "stateMachineAliasArn", al ? json_string(al) : NULL);
        json_array_append_new(c->items, it);
    }
    /* the cursor advances over filtered rows too */
    c->last_start = r->start_ms;
    c->last_id = r->id;
    free(v);
    free(al);
    return 0;
}

static bool lx_cursor(json_t *req, int64_t *after_start, int64_t *after_id,
                      sfn_error *err)
{
    const char *token = NULL;
    if (!svc_str(req, "nextToken", false, 3096, &token, err))
        return false;
    if (!token)
        return true;
    json_t *tok = svc_token_read(token, err);
    if (!tok)
        return false;
    const char *k = json_string_value(json_object_get(tok, "k"));
    *after_start = json_integer_value(json_object_get(tok, "s"));
    *after_id = json_integer_value(json_object_get(tok, "i"));
    bool ok = k && !strcmp(k, "executions") && *after_id > 0;
    json_decref(tok);
    if (!ok)
        svc_fail(err, "InvalidToken", "Invalid Token: '%s'", token);
    return ok;
}

json_t *svc_ListExecutions(sfn_service *svc, sfn_store *st, json_t *req,
                           sfn_error *err)
{
    const char *arn = NULL, *map_run = NULL, *status = NULL;
    lx_ctx c = {.svc = svc, .st = st};
    int64_t after_start = 0, after_id = 0;
    svc_arn a;
    if (!svc_str(req, "stateMachineArn", false, 256, &arn, err) ||
        !svc_str(req, "mapRunArn", false, 2000, &map_run, err) ||
        !svc_enum(req, "statusFilter", statuses, &status, err) ||
        !svc_max_results(req, 1000, 100, &c.limit, err) ||
        !lx_cursor(req, &after_start, &after_id, err))
        return NULL;
    if (!arn == !map_run)
        return svc_fail(err, "ValidationException",
                        "Must provide a StateMachine ARN or a MapRun ARN");
    if (map_run)
        return svc_fail(err, "ResourceNotFound", "Resource Not Found: '%s'",
                        map_run);
    if (!svc_parse_arn(svc, arn,
                       SVC_ALLOW(SVC_ARN_MACHINE) | SVC_ALLOW(SVC_ARN_VERSION) |
                           SVC_ALLOW(SVC_ARN_ALIAS),
                       &a, err))
        return NULL;
    sfn_machine_rec m = {0};
    if (sfn_store_get_machine(st, a.name, 0, &m, err) != SFN_OK)
        return svc_fail(err, "StateMachineDoesNotExist",
                        "State Machine Does Not Exist: '%s'", arn);
    bool express = !strcmp(m.type, "EXPRESS");
    sfn_machine_rec_free(&m);
    if (express)
        return svc_fail(err, "StateMachineTypeNotSupported",
                        "This operation is not supported by this type of "
                        "state machine");
    char *marn = svc_machine_arn(svc, a.name);
    c.marn = marn ? marn : "";
    c.only_version = a.kind == SVC_ARN_VERSION ? arn : NULL;
    c.only_alias = a.kind == SVC_ARN_ALIAS ? arn : NULL;
    int st_filter = -1;
    for (int i = 0; status && statuses[i]; i++)
        if (!strcmp(status, statuses[i]))
            st_filter = i < 5 ? i : 99; /* PENDING_REDRIVE: never */
    c.items = json_array();
    sfn_rc rc = sfn_store_list_executions(st, a.name, st_filter, after_start,
                                          after_id, 0, lx_one, &c, err);
    free(marn);
    if (rc != SFN_OK) {
        json_decref(c.items);
        return svc_internal(err);
    }
    json_t *out = json_pack("{s:o}", "executions", c.items);
    if (c.more) {
        json_t *tok = json_pack("{s:s,s:I,s:I}", "k", "executions", "s",
                                (json_int_t)c.last_start, "i",
                                (json_int_t)c.last_id);
        char *t = svc_token_make(tok);
        svc_set(out, "nextToken", t ? json_string(t) : NULL);
        free(t);
        json_decref(tok);
    }
    return out;
}

json_t *svc_RedriveExecution(sfn_service *svc, sfn_store *st, json_t *req,
                             sfn_error *err)
{
    (void)st;
    const char *arn = NULL, *token = NULL;
    svc_arn a;
    if (!svc_str(req, "executionArn", true, 2048, &arn, err) ||
        !svc_str(req, "clientToken", false, 64, &token, err) ||
        !svc_parse_arn(svc, arn, EXEC_ARNS, &a, err))
        return NULL;
    int64_t when = 0;
    if (sfn_engine_call_redrive(svc->engine, arn, &when, err) != SFN_OK)
        return err->name[0] ? NULL : svc_internal(err);
    return json_pack("{s:o}", "redriveDate", svc_date(when));
}

json_t *svc_StopExecution(sfn_service *svc, sfn_store *st, json_t *req,
                          sfn_error *err)
{
    const char *arn = NULL, *error = NULL, *cause = NULL;
    svc_arn a;
    json_t *comp = json_object_get(req, "compensate"); /* stepd extension */
    if (comp && !json_is_boolean(comp)) {
        svc_fail(err, "ValidationException",
                 "compensate must be a boolean");
        return NULL;
    }
    if (!svc_str(req, "executionArn", true, 2048, &arn, err) ||
        !svc_str(req, "error", false, 256, &error, err) ||
        !svc_str(req, "cause", false, 32768, &cause, err) ||
        !svc_parse_arn(svc, arn,
                       EXEC_ARNS,
                       &a, err))
        return NULL;
    int64_t stop_ms = 0;
    if (svc_call_stop(svc, st, arn, error, cause, json_is_true(comp),
                      &stop_ms, err) != SFN_OK)
        return err->name[0] ? NULL : svc_internal(err);
    return json_pack("{s:o}", "stopDate", svc_date(stop_ms));
}

/* ---- GetExecutionHistory ------------------------------------------------ */

typedef struct hist_ctx {
    json_t *events;
    bool include_data;
    int64_t limit, last_id;
    bool more;
} hist_ctx;

static int hist_one(const sfn_store_event *e, void *ud)
{
    hist_ctx *c = ud;
    if ((int64_t)json_array_size(c->events) == c->limit) {
        c->more = true;
        return 1;
    }
    sfn_event ev = {e->id, e->prev, e->ts_ms, (sfn_event_type)e->type,
                    svc_parse_text(e->details)};
    json_t *j = sfn_event_to_json(&ev, c->include_data);
    json_decref(ev.details);
    if (j)
        json_array_append_new(c->events, j);
    c->last_id = e->id;
    return 0;
}

json_t *svc_GetExecutionHistory(sfn_service *svc, sfn_store *st, json_t *req,
                                sfn_error *err)
{
    sfn_exec_rec r = {0};
    const char *arn, *token = NULL;
    hist_ctx c = {.include_data = true, .limit = 100};
    bool reverse = false;
    int64_t after = 0;
    if (!svc_max_results(req, 1000, 100, &c.limit, err) ||
        !svc_bool(req, "reverseOrder", &reverse, err) ||
        !svc_bool(req, "includeExecutionData", &c.include_data, err) ||
        !svc_str(req, "nextToken", false, 1024, &token, err))
        return NULL;
    if (token) {
        json_t *tok = svc_token_read(token, err);
        if (!tok)
            return NULL;
        const char *k = json_string_value(json_object_get(tok, "k"));
        after = json_integer_value(json_object_get(tok, "a"));
        bool ok = k && !strcmp(k, "history") && after > 0 &&
                  json_is_true(json_object_get(tok, "r")) == reverse;
        json_decref(tok);
        if (!ok)
            return svc_fail(err, "InvalidToken", "Invalid Token: '%s'",
                            token);
    }
    if (!get_exec(svc, st, req, &r, &arn, err))
        return NULL;
    c.events = json_array();
    sfn_rc rc = sfn_store_get_history(st, r.id, after, (size_t)c.limit + 1,
                                      reverse, hist_one, &c, err);
    sfn_exec_rec_free(&r);
    if (rc != SFN_OK) {
        json_decref(c.events);
        return svc_internal(err);
    }
    json_t *out = json_pack("{s:o}", "events", c.events);
    if (c.more) {
        json_t *tok = json_pack("{s:s,s:I,s:b}", "k", "history", "a",
                                (json_int_t)c.last_id, "r", reverse);
        char *t = svc_token_make(tok);
        svc_set(out, "nextToken", t ? json_string(t) : NULL);
        free(t);
        json_decref(tok);
    }
    return out;
}

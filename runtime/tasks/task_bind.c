/* task_bind.c: resource bindings from the configuration.  A Task whose
 * Resource is a Lambda ARN, arn:aws:states:::lambda:invoke (matched on
 * FunctionName) or any other pattern is POSTed as JSON to the bound HTTP
 * endpoint; the JSON answer is the result (wrapped like AWS's Invoke
 * output for lambda:invoke), a Lambda-style error body or a non-2xx status
 * is the error.  Error names (decided here, documented in docs/config.md):
 *   errorType given               -> errorType
 *   errorMessage only             -> Lambda.Unknown (Lambda resources, as
 *                                    AWS), else States.TaskFailed
 *   other non-2xx                 -> Lambda.ServiceException / TaskFailed
 *   transport failure             -> Lambda.SdkClientException / TaskFailed
 *   timeout from TimeoutSeconds   -> States.Timeout
 *   response above the cap        -> States.DataLimitExceeded */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "tasks_internal.h"

#define INVOKE "arn:aws:states:::lambda:invoke"
#define CALLBACK_SUFFIX ".waitForTaskToken"
#define BODY_IN_CAUSE 1024 /* bytes of a non-2xx body quoted in a cause */

bool sfn__tasks_is_lambda_invoke(const char *resource)
{
    return resource && (!strcmp(resource, INVOKE) ||
                        !strcmp(resource, INVOKE CALLBACK_SUFFIX));
}

static bool is_lambda_arn(const char *resource)
{
    return !strncmp(resource, "arn:aws:lambda:", 15) &&
           strstr(resource, ":function:");
}

/* The resource without a ".waitForTaskToken" suffix, or NULL. */
static char *callback_base(const char *resource)
{
    size_t n = strlen(resource), k = strlen(CALLBACK_SUFFIX);
    if (n <= k || strcmp(resource + n - k, CALLBACK_SUFFIX))
        return NULL;
    return strndup(resource, n - k);
}

const sfn_binding *sfn__tasks_binding_for(const sfn_tasks *t,
                                          const char *resource)
{
    char *base = callback_base(resource);
    const sfn_binding *hit = NULL;
    for (size_t i = 0; !hit && i < t->cfg.n_bindings; i++) {
        const sfn_binding *b = &t->cfg.bindings[i];
        if (sfn__tasks_glob(b->resource, resource) ||
            (base && sfn__tasks_glob(b->resource, base)))
            hit = b;
    }
    free(base);
    return hit;
}

/* Field n (0-based, ':'-separated) of an ARN into buf; false if absent. */
static bool arn_field(const char *arn, int n, char *buf, size_t size)
{
    for (int i = 0; arn && i < n; i++) {
        arn = strchr(arn, ':');
        if (arn)
            arn++;
    }
    if (!arn)
        return false;
    size_t len = strcspn(arn, ":");
    if (!len || len >= size)
        return false;
    memcpy(buf, arn, len);
    buf[len] = '\0';
    return true;
}

/* Whether pattern matches FunctionName as given or as the full ARN it
 * stands for.  Without an account (at start, no execution yet) the
 * pattern's own account field is used. */
static bool function_match(const char *pattern, const char *fn,
                           const char *region, const char *account)
{
    if (sfn__tasks_glob(pattern, fn))
        return true;
    if (!strncmp(fn, "arn:", 4))
        return false;
    char acct[64] = "*", arn[1024];
    if (account)
        snprintf(acct, sizeof acct, "%s", account);
    else
        arn_field(pattern, 4, acct, sizeof acct);
    if (strstr(fn, ":function:")) /* "123456789012:function:name" */
        snprintf(arn, sizeof arn, "arn:aws:lambda:%s:%s", region, fn);
    else
        snprintf(arn, sizeof arn, "arn:aws:lambda:%s:%s:function:%s", region,
                 acct, fn);
    return sfn__tasks_glob(pattern, arn);
}

const sfn_binding *sfn__tasks_binding_for_function(const sfn_tasks *t,
                                                   const char *fn,
                                                   const char *exec_arn)
{
    char region[64], account[64];
    if (!arn_field(exec_arn, 3, region, sizeof region))
        snprintf(region, sizeof region, "%s",
                 t->cfg.region ? t->cfg.region : "us-east-1");
    bool have_account = arn_field(exec_arn, 4, account, sizeof account);
    for (size_t i = 0; i < t->cfg.n_bindings; i++)
        if (function_match(t->cfg.bindings[i].resource, fn, region,
                           have_account ? account : NULL))
            return &t->cfg.bindings[i];
    return NULL;
}

/* ---- the response -------------------------------------------------------- */

static const char *first_header(const sfn_httpc_response *r, const char *name)
{
    return json_string_value(json_array_get(json_object_get(r->headers, name),
                                            0));
}

static json_t *parse_body(const sfn_httpc_response *r)
{
    if (!r->body || !r->body_len)
        return json_null();
    json_t *j = json_loadb(r->body, r->body_len, JSON_DECODE_ANY, NULL);
    return j ? j : json_stringn(r->body, r->body_len);
}

/* Lambda-style error bodies; true when the body (or the
 * X-Amz-Function-Error header) says the function failed. */
static bool lambda_error(const task_op *op, const sfn_httpc_response *r,
                         json_t *body, sfn_task_outcome *o)
{
    const char *type = json_string_value(json_object_get(body, "errorType"));
    const char *msg = json_string_value(json_object_get(body, "errorMessage"));
    bool flagged = first_header(r, "x-amz-function-error") != NULL;
    if (!type && !msg && !flagged)
        return false;
    bool lambda = op->kind != OP_KIND_PATTERN;
    const char *text = r->body ? r->body : "";
    int n = (int)r->body_len;
    if (type && lambda)
        sfn__tasks_fail(o, type, "%.*s", n, text);
    else if (type)
        sfn__tasks_fail(o, type, "%s", msg ? msg : "");
    else if (lambda)
        sfn__tasks_fail(o, "Lambda.Unknown",
                        "The cause could not be determined because Lambda "
                        "did not return an error type. Returned payload: %.*s",
                        n, text);
    else
        sfn__tasks_fail(o, "States.TaskFailed", "%s", msg ? msg : text);
    if (o->cause && !*o->cause) {
        free(o->cause);
        o->cause = NULL;
    }
    return true;
}

static void request_id(char *buf, size_t size)
{
    unsigned char b[16] = {0};
    if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b)
        memset(b, 0x5a, sizeof b);
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(buf, size,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
             "%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10],
             b[11], b[12], b[13], b[14], b[15]);
}

/* AWS's lambda:invoke output around the function's answer (steals
 * payload). */
static json_t *invoke_result(const sfn_httpc_response *r, json_t *payload)
{
    json_t *all = r->headers ? json_deep_copy(r->headers) : json_object();
    json_t *flat = json_object();
    const char *k;
    json_t *v;
    json_object_foreach(all, k, v)
        json_object_set(flat, k, json_array_get(v, 0));
    const char *ver = first_header(r, "x-amz-executed-version");
    const char *rid = first_header(r, "x-amzn-requestid");
    char gen[40];
    if (!rid) {
        request_id(gen, sizeof gen);
        rid = gen;
    }
    return json_pack("{s:s, s:o, s:{s:o, s:o, s:I}, s:{s:s}, s:I}",
                     "ExecutedVersion", ver ? ver : "$LATEST", "Payload",
                     payload, "SdkHttpMetadata", "AllHttpHeaders", all,
                     "HttpHeaders", flat, "HttpStatusCode",
                     (json_int_t)r->code, "SdkResponseMetadata", "RequestId",
                     rid, "StatusCode", (json_int_t)r->code);
}

static void finish_bind(sfn_tasks *t, task_op *op, const sfn_httpc_response *r,
                        sfn_task_outcome *o)
{
    (void)t;
    if (r->status != SFN_HTTPC_OK) {
        sfn__tasks_transport_fail(op, r, o);
        return;
    }
    json_t *body = parse_body(r);
    if (!body) {
        sfn__tasks_fail(o, "States.Runtime",
                        "the response of %s is neither JSON nor UTF-8 text",
                        op->what);
        return;
    }
    if (lambda_error(op, r, body, o)) {
        json_decref(body);
        return;
    }
    if (r->code < 200 || r->code > 299) {
        json_decref(body);
        sfn__tasks_fail(o,
                        op->kind == OP_KIND_PATTERN ? "States.TaskFailed"
                                                    : "Lambda.ServiceException",
                        "%s answered HTTP %ld%s%s: %.*s", op->what, r->code,
                        r->reason && *r->reason ? " " : "",
                        r->reason ? r->reason : "",
                        (int)(r->body_len < BODY_IN_CAUSE ? r->body_len
                                                          : BODY_IN_CAUSE),
                        r->body ? r->body : "");
        return;
    }
    o->result = op->kind == OP_KIND_INVOKE ? invoke_result(r, body) : body;
    if (!o->result)
        sfn__tasks_fail(o, "States.Runtime", "out of memory");
}

/* ---- the request --------------------------------------------------------- */

static bool add_headers(const sfn_tasks *t, const sfn_binding *b,
                        const sfn_task_req *r, task_op *op)
{
    bool ok = sfn__tasks_header_set(op, "Content-Type", "application/json") &&
              sfn__tasks_header_set(op, "Accept", "application/json");
    const char *k;
    json_t *v;
    json_object_foreach(b->headers, k, v)
        ok = ok && (!json_is_string(v) ||
                    sfn__tasks_header_set(op, k, json_string_value(v)));
    if (r->idempotency_key)
        ok = ok && sfn__tasks_header_set(op, "Idempotency-Key",
                                         r->idempotency_key);
    if (r->exec_arn)
        ok = ok && sfn__tasks_header_set(op, "X-Stepd-Execution-Arn",
                                         r->exec_arn);
    if (r->state)
        ok = ok && sfn__tasks_header_set(op, "X-Stepd-State", r->state);
    if (r->token)
        ok = ok && sfn__tasks_header_set(op, "X-Stepd-Task-Token", r->token);
    (void)t;
    return ok;
}

static bool build(sfn_tasks *t, const sfn_binding *b, const sfn_task_req *r,
                  json_t *send, task_op *op)
{
    op->conn = b->connection ? sfn__tasks_conn_find(t, b->connection) : -1;
    char *pub = sfn__tasks_url_public(b->url);
    bool ok = pub && (op->method = strdup("POST")) &&
              (op->url = strdup(b->url)) &&
              asprintf(&op->what, "%s (binding %s)", pub, b->resource) >= 0;
    free(pub);
    if (!ok) {
        op->what = NULL;
        return false;
    }
    json_t *query = json_object();
    json_t *body = json_is_object(send) ? json_deep_copy(send)
                                        : json_incref(send);
    ok = query && body && add_headers(t, b, r, op) &&
         sfn__tasks_conn_merge(t, op, query, body) &&
         sfn__tasks_url_add_query(&op->url, query) &&
         (op->body = json_dumps(body, JSON_ENCODE_ANY | JSON_COMPACT));
    if (ok)
        op->body_len = strlen(op->body);
    json_decref(query);
    json_decref(body);
    sfn__tasks_timeout(r, b->timeout_s > 0 ? b->timeout_s
                                           : t->cfg.http_timeout_s,
                       op);
    return ok;
}

static sfn_task_disp no_binding(const sfn_task_req *r, const char *fn,
                                sfn_task_outcome *out)
{
    if (fn)
        sfn__tasks_fail(out, "States.TaskFailed",
                        "no binding for Lambda function '%s' (resource %s): "
                        "add one to \"bindings\" in the stepd config",
                        fn, r->resource);
    else
        sfn__tasks_fail(out, "States.TaskFailed",
                        "no binding for resource '%s': add one to "
                        "\"bindings\" in the stepd config",
                        r->resource ? r->resource : "");
    return SFN_TASK_DONE;
}

sfn_task_disp sfn__tasks_bind(sfn_tasks *t, const sfn_task_req *r,
                              sfn_task_outcome *out, sfn_task_cb cb,
                              void *ud, uint64_t *handle)
{
    const char *res = r->resource ? r->resource : "";
    const sfn_binding *b;
    json_t *send = r->payload;
    task_op_kind kind = OP_KIND_PATTERN;
    const char *fn = NULL;
    if (sfn__tasks_is_lambda_invoke(res)) {
        fn = json_string_value(json_object_get(r->payload, "FunctionName"));
        if (!fn || !*fn) {
            sfn__tasks_fail(out, "States.Runtime",
                            "lambda:invoke: Parameters.FunctionName is "
                            "required (a function name or ARN)");
            return SFN_TASK_DONE;
        }
        b = sfn__tasks_binding_for_function(t, fn, r->exec_arn);
        send = json_object_get(r->payload, "Payload");
        kind = OP_KIND_INVOKE;
    } else {
        b = sfn__tasks_binding_for(t, res);
        if (is_lambda_arn(res))
            kind = OP_KIND_LAMBDA;
    }
    if (!b)
        return no_binding(r, fn, out);
    json_t *empty = send ? NULL : json_object();
    task_op *op = sfn__tasks_op_new(t, kind);
    bool ok = op && (send || empty) &&
              build(t, b, r, send ? send : empty, op);
    json_decref(empty);
    if (!ok) {
        sfn__tasks_op_free(op);
        sfn__tasks_fail(out, "States.Runtime", "out of memory");
        return SFN_TASK_DONE;
    }
    op->finish = finish_bind;
    return sfn__tasks_op_start(t, op, cb, ud, handle, out);
}

/* rest.c: the REST dialect (sfn_rest.h).  Each route maps onto one or two
 * AWS actions of sfn_service with the AWS request shapes (state machines,
 * executions, task callbacks, activities), and the answer
 * is reshaped for people: JSON text members become JSON values, epoch
 * timestamps become ISO 8601, nextToken becomes nextCursor, and each
 * execution gets an "id" (MACHINE:NAME) usable in /v1/executions/{id}. */
#include <ctype.h>
#include <math.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "sfn_rest.h"

/* ---- responses -------------------------------------------------------- */

static void send_json(sfn_http_resp *resp, int status, json_t *body)
{
    char *text = body ? json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER)
                      : NULL;
    json_decref(body);
    if (body && !text) {
        sfn_http_resp_json(resp, 500,
                           strdup("{\"error\":\"InternalFailure\","
                                  "\"message\":\"out of memory\"}"),
                           "application/json");
        return;
    }
    sfn_http_resp_json(resp, status, text, "application/json");
}

void sfn_rest_error(sfn_http_resp *resp, int status, const char *code,
                    const char *message, json_t *details)
{
    json_t *o = json_pack("{s:s, s:s}", "error", code, "message", message);
    if (o && details)
        json_object_set_new(o, "details", details);
    else
        json_decref(details);
    send_json(resp, status, o);
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcmp(s + n - k, suffix);
}

int sfn_rest_status(const char *type)
{
    if (ends_with(type, "DoesNotExist") || !strcmp(type, "ResourceNotFound"))
        return 404;
    if (ends_with(type, "AlreadyExists") ||
        !strcmp(type, "ConflictException") ||
        !strcmp(type, "StateMachineDeleting"))
        return 409;
    if (ends_with(type, "LimitExceeded") ||
        !strcmp(type, "ThrottlingException"))
        return 429;
    return sfn_service_http_status(type);
}

static void service_error(sfn_http_resp *resp, const sfn_error *err)
{
    const char *type = err->name[0] ? err->name : "InternalFailure";
    sfn_rest_error(resp, sfn_rest_status(type), type, err->cause, NULL);
}

/* ---- reshaping AWS answers -------------------------------------------- */

void sfn_rest_iso8601(double epoch_seconds, char *buf, size_t size)
{
    long long ms = llround(epoch_seconds * 1000.0);
    time_t secs = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    int frac = (int)(ms - (long long)secs * 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    size_t n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, size - n, ".%03dZ", frac);
}

static bool is_timestamp_member(const char *k)
{
    static const char *const names[] = {
        "creationDate", "updateDate", "startDate", "stopDate",
        "redriveDate",  "timestamp",  NULL};
    for (int i = 0; names[i]; i++)
        if (!strcmp(k, names[i]))
            return true;
    return false;
}

static bool is_json_text_member(const char *k)
{
    static const char *const names[] = {"input", "output", "definition",
                                        "parameters", NULL};
    for (int i = 0; names[i]; i++)
        if (!strcmp(k, names[i]))
            return true;
    return false;
}

static json_t *friendly(json_t *v);

/* One member's friendly value (new reference). */
static json_t *friendly_member(const char *k, json_t *v)
{
    if (json_is_number(v) && is_timestamp_member(k)) {
        char iso[40];
        sfn_rest_iso8601(json_number_value(v), iso, sizeof iso);
        return json_string(iso);
    }
    if (json_is_string(v) && is_json_text_member(k)) {
        json_t *parsed = json_loadb(json_string_value(v),
                                    json_string_length(v), JSON_DECODE_ANY,
                                    NULL);
        if (parsed)
            return parsed;
    }
    return friendly(v);
}

/* A deep copy of an AWS response with the conversions above (new). */
static json_t *friendly(json_t *v)
{
    if (json_is_object(v)) {
        json_t *o = json_object();
        const char *k;
        json_t *m;
        json_object_foreach(v, k, m) {
            if (ends_with(k, "Details") && json_is_object(m) &&
                json_object_get(m, "truncated") && json_object_size(m) == 1)
                continue; /* inputDetails{truncated}: noise for people */
            json_object_set_new(o, strcmp(k, "nextToken") ? k : "nextCursor",
                                friendly_member(k, m));
        }
        return o;
    }
    if (json_is_array(v)) {
        json_t *a = json_array();
        size_t i;
        json_t *m;
        json_array_foreach(v, i, m) json_array_append_new(a, friendly(m));
        return a;
    }
    return json_incref(v);
}

/* "arn:...:execution:M:N" -> "M:N" (borrowed, into the ARN), or NULL. */
static const char *exec_id_of(const char *arn)
{
    const char *p = arn ? strstr(arn, ":execution:") : NULL;
    if (p)
        return p + strlen(":execution:");
    p = arn ? strstr(arn, ":express:") : NULL;
    return p ? p + strlen(":express:") : NULL;
}

/* Adds "id" to every object with an executionArn (one level down too). */
static void add_exec_ids(json_t *v)
{
    if (json_is_array(v)) {
        size_t i;
        json_t *m;
        json_array_foreach(v, i, m) add_exec_ids(m);
        return;
    }
    if (!json_is_object(v))
        return;
    const char *id =
        exec_id_of(json_string_value(json_object_get(v, "executionArn")));
    if (id)
        json_object_set_new(v, "id", json_string(id));
    add_exec_ids(json_object_get(v, "executions"));
}

/* ---- requests ---------------------------------------------------------- */

typedef struct {
    sfn_service *svc;
    const sfn_http_req *req;
    sfn_http_resp *resp;
    char name[256];          /* {name} path segment                       */
    char id[1024];           /* {id} path segment                         */
} ctx;

static char *machine_arn(sfn_service *svc, const char *name)
{
    char *arn = NULL;
    if (!strncmp(name, "arn:", 4))
        return strdup(name);
    if (asprintf(&arn, "arn:aws:states:%s:%s:stateMachine:%s",
                 sfn_service_region(svc), sfn_service_account(svc),
                 name) < 0)
        return NULL;
    return arn;
}

/* {id}: an execution ARN, or MACHINE:NAME.  NULL with a 400 filled. */
static char *exec_arn(ctx *c)
{
    char *arn = NULL;
    if (!strncmp(c->id, "arn:", 4)) {
        snprintf(c->resp->exec_arn, sizeof c->resp->exec_arn, "%s", c->id);
        return strdup(c->id);
    }
    if (!strchr(c->id, ':') || c->id[0] == ':') {
        sfn_rest_error(c->resp, 400, "InvalidArn",
                       "execution id must be an execution ARN or "
                       "MACHINE:NAME",
                       json_pack("{s:s}", "id", c->id));
        return NULL;
    }
    if (asprintf(&arn, "arn:aws:states:%s:%s:execution:%s",
                 sfn_service_region(c->svc), sfn_service_account(c->svc),
                 c->id) < 0)
        return NULL;
    snprintf(c->resp->exec_arn, sizeof c->resp->exec_arn, "%s", arn);
    return arn;
}

static const char *query(const ctx *c, const char *name)
{
    return c->req->query ? c->req->query(c->req->ud, name) : NULL;
}

static const char *header(const ctx *c, const char *name)
{
    return c->req->header ? c->req->header(c->req->ud, name) : NULL;
}

/* Bodies are JSON: no Content-Type, application/json or a +json type. */
static bool json_content_type(ctx *c)
{
    const char *ct = header(c, "Content-Type");
    if (!ct || !c->req->body_len)
        return true;
    size_t n = strcspn(ct, "; \t");
    if ((n == 16 && !strncasecmp(ct, "application/json", 16)) ||
        (n > 5 && !strncasecmp(ct + n - 5, "+json", 5)))
        return true;
    char msg[256];
    snprintf(msg, sizeof msg,
             "Content-Type '%.*s' is not supported: send "
             "application/json",
             (int)(n < 100 ? n : 100), ct);
    sfn_rest_error(c->resp, 415, "UnsupportedMediaType", msg, NULL);
    return false;
}

/* Sets request members from query arguments: limit -> maxResults (1..1000),
 * cursor -> nextToken.  False with a 400 filled on a bad limit. */
static bool paging(ctx *c, json_t *request)
{
    const char *limit = query(c, "limit"), *cursor = query(c, "cursor");
    if (limit) {
        char *end = NULL;
        long v = strtol(limit, &end, 10);
        if (!*limit || *end || v < 1 || v > 1000) {
            sfn_rest_error(c->resp, 400, "ValidationException",
                           "limit must be an integer from 1 to 1000",
                           json_pack("{s:s}", "limit", limit));
            return false;
        }
        json_object_set_new(request, "maxResults", json_integer(v));
    }
    if (cursor && *cursor)
        json_object_set_new(request, "nextToken", json_string(cursor));
    return true;
}

/* Calls the action; on failure fills the error response and returns NULL.
 * request is stolen. */
static json_t *call(ctx *c, const char *action, json_t *request)
{
    sfn_error err;
    sfn_error_clear(&err);
    json_t *out = request ? sfn_service_call(c->svc, action, request, &err)
                          : NULL;
    if (!request)
        sfn_error_set(&err, SFN_ENOMEM, "InternalFailure", -1,
                      "out of memory");
    json_decref(request);
    if (!out)
        service_error(c->resp, &err);
    return out;
}

static void append_pct(char *out, size_t size, const char *s)
{
    size_t n = strlen(out);
    for (const unsigned char *p = (const unsigned char *)s;
         *p && n + 4 < size; p++) {
        if (isalnum(*p) || strchr("-._~", *p))
            out[n++] = (char)*p;
        else
            n += (size_t)snprintf(out + n, size - n, "%%%02X", *p);
    }
    out[n] = '\0';
}

/* ---- state machines ---------------------------------------------------- */

/* Runs an action and sends its answer in the REST shape (errors are sent
 * by call); exec_ids adds each execution's `id`.  req: stolen. */
static void relay(ctx *c, const char *action, json_t *req, int status,
                  bool exec_ids)
{
    json_t *out = call(c, action, req);
    if (!out)
        return;
    json_t *body = friendly(out);
    json_decref(out);
    if (exec_ids)
        add_exec_ids(body);
    send_json(c->resp, status, body);
}

static void describe_machine(ctx *c, const char *arn, int status)
{
    relay(c, "DescribeStateMachine",
          json_pack("{s:s}", "stateMachineArn", arn), status, false);
}

/* The body as a JSON string (new), or NULL with a 400 filled when it is
 * not UTF-8 text. */
static json_t *body_string(ctx *c, const char *code)
{
    json_t *s = json_stringn(c->req->body, c->req->body_len);
    if (!s)
        sfn_rest_error(c->resp, 400, code,
                       "the request body is not valid UTF-8 text", NULL);
    return s;
}

/* An invalid definition: 400 with the validator's diagnostics. */
static void definition_error(ctx *c, const char *message)
{
    sfn_error err;
    json_t *req = json_pack("{s:o, s:i}", "definition",
                            json_stringn(c->req->body, c->req->body_len),
                            "maxResults", 100);
    json_t *v = req ? sfn_service_call(c->svc,
                                       "ValidateStateMachineDefinition", req,
                                       &err)
                    : NULL;
    json_decref(req);
    json_t *diags = v ? json_incref(json_object_get(v, "diagnostics")) : NULL;
    json_decref(v);
    sfn_rest_error(c->resp, 400, "InvalidDefinition", message, diags);
}

/* CreateStateMachine or UpdateStateMachine's request (new), or NULL with
 * the response filled. */
static json_t *put_request(ctx *c, const char *arn, bool create,
                           const char *type)
{
    json_t *def = body_string(c, "InvalidDefinition");
    if (!def)
        return NULL;
    if (!create)
        return json_pack("{s:s, s:o}", "stateMachineArn", arn, "definition",
                         def);
    char role[128], up[16] = "STANDARD";
    snprintf(role, sizeof role, "arn:aws:iam::%s:role/stepd",
             sfn_service_account(c->svc));
    if (type) { /* AWS spells types in upper case */
        size_t i = 0;
        for (; type[i] && i + 1 < sizeof up; i++)
            up[i] = (char)toupper((unsigned char)type[i]);
        up[i] = '\0';
    }
    return json_pack("{s:s, s:o, s:s, s:s}", "name", c->name, "definition",
                     def, "roleArn", role, "type", up);
}

static void put_machine(ctx *c, const char *arn)
{
    sfn_error err;
    json_t *req = json_pack("{s:s}", "stateMachineArn", arn);
    json_t *cur = sfn_service_call(c->svc, "DescribeStateMachine", req, &err);
    json_decref(req);
    const char *type = query(c, "type");
    bool create = !cur;
    if (!cur && strcmp(err.name, "StateMachineDoesNotExist") &&
        strcmp(err.name, "InvalidArn")) {
        service_error(c->resp, &err);
        return;
    }
    const char *cur_type = json_string_value(json_object_get(cur, "type"));
    if (cur && type && cur_type && strcasecmp(type, cur_type)) {
        sfn_rest_error(c->resp, 409, "ConflictException",
                       "the type of an existing state machine cannot "
                       "change; delete it first",
                       json_pack("{s:s}", "type", cur_type));
        json_decref(cur);
        return;
    }
    json_decref(cur);
    json_t *r = put_request(c, arn, create, type);
    if (!r)
        return;
    json_t *out = sfn_service_call(
        c->svc, create ? "CreateStateMachine" : "UpdateStateMachine", r,
        &err);
    json_decref(r);
    if (!out) {
        if (!strcmp(err.name, "InvalidDefinition"))
            definition_error(c, err.cause);
        else
            service_error(c->resp, &err);
        return;
    }
    json_decref(out);
    if (create) {
        char loc[320] = "/v1/state-machines/";
        append_pct(loc, sizeof loc, c->name);
        sfn_http_resp_header(c->resp, "Location", loc);
    }
    describe_machine(c, arn, create ? 201 : 200);
}

static void list_machines(ctx *c)
{
    json_t *req = json_object();
    if (!paging(c, req)) {
        json_decref(req);
        return;
    }
    relay(c, "ListStateMachines", req, 200, false);
}

static void delete_machine(ctx *c, const char *arn)
{
    json_t *cur = call(c, "DescribeStateMachine",
                       json_pack("{s:s}", "stateMachineArn", arn));
    if (!cur)
        return;
    json_decref(cur);
    json_t *out = call(c, "DeleteStateMachine",
                       json_pack("{s:s}", "stateMachineArn", arn));
    if (!out)
        return;
    json_decref(out);
    sfn_http_resp_json(c->resp, 204, NULL, "application/json");
}

/* ---- executions --------------------------------------------------------- */

/* False with a 400 `code` filled when the body is not JSON. */
static bool valid_json_body(ctx *c, const char *what, const char *code)
{
    json_error_t je;
    json_t *v = json_loadb(c->req->body, c->req->body_len, JSON_DECODE_ANY,
                           &je);
    if (v) {
        json_decref(v);
        return true;
    }
    char msg[400];
    snprintf(msg, sizeof msg, "%s is not valid JSON: %s", what, je.text);
    sfn_rest_error(c->resp, 400, code, msg,
                   json_pack("{s:i, s:i}", "line", je.line, "column",
                             je.column));
    return false;
}

static void start_execution(ctx *c, const char *arn)
{
    if (c->req->body_len &&
        !valid_json_body(c, "the execution input", "InvalidExecutionInput"))
        return;
    json_t *input = c->req->body_len ? body_string(c, "InvalidExecutionInput")
                                     : json_string("{}");
    if (!input)
        return;
    json_t *req = json_pack("{s:s, s:o}", "stateMachineArn", arn, "input",
                            input);
    const char *name = query(c, "name");
    if (req && name)
        json_object_set_new(req, "name", json_string(name));
    json_t *out = call(c, "StartExecution", req);
    if (!out)
        return;
    const char *earn = json_string_value(json_object_get(out, "executionArn"));
    const char *id = exec_id_of(earn);
    if (earn)
        snprintf(c->resp->exec_arn, sizeof c->resp->exec_arn, "%s", earn);
    char loc[1024] = "/v1/executions/";
    if (id) {
        const char *colon = strchr(id, ':');
        char machine[256];
        snprintf(machine, sizeof machine, "%.*s",
                 (int)(colon ? colon - id : (long)strlen(id)), id);
        append_pct(loc, sizeof loc, machine);
        if (colon) {
            strcat(loc, ":");
            append_pct(loc, sizeof loc, colon + 1);
        }
    }
    sfn_http_resp_header(c->resp, "Location", loc);
    json_t *body = friendly(out);
    json_decref(out);
    add_exec_ids(body);
    json_object_set_new(body, "location", json_string(loc));
    send_json(c->resp, 201, body);
}

static void list_executions(ctx *c)
{
    const char *sm = query(c, "stateMachine"), *st = query(c, "status");
    if (!sm || !*sm) {
        sfn_rest_error(c->resp, 400, "ValidationException",
                       "the stateMachine query parameter (a state machine "
                       "name or ARN) is required",
                       NULL);
        return;
    }
    char *arn = machine_arn(c->svc, sm);
    json_t *req = json_pack("{s:s}", "stateMachineArn", arn ? arn : "");
    free(arn);
    if (st && *st) {
        char up[32];
        size_t i = 0;
        for (; st[i] && i + 1 < sizeof up; i++)
            up[i] = (char)toupper((unsigned char)st[i]);
        up[i] = '\0';
        json_object_set_new(req, "statusFilter", json_string(up));
    }
    if (!paging(c, req)) {
        json_decref(req);
        return;
    }
    relay(c, "ListExecutions", req, 200, true);
}

static void describe_execution(ctx *c, const char *arn)
{
    relay(c, "DescribeExecution", json_pack("{s:s}", "executionArn", arn),
          200, true);
}

static bool truthy(const char *s)
{
    return s && (!strcasecmp(s, "true") || !strcmp(s, "1") ||
                 !strcasecmp(s, "yes"));
}

static void history(ctx *c, const char *arn)
{
    json_t *req = json_pack("{s:s, s:b}", "executionArn", arn,
                            "reverseOrder", truthy(query(c, "reverse")));
    if (!paging(c, req)) {
        json_decref(req);
        return;
    }
    relay(c, "GetExecutionHistory", req, 200, false);
}

/* Copies "error" and "cause" of an optional JSON object body into req.
 * False with a 400 filled (req untouched) when the body is not one. */
static bool error_cause_body(ctx *c, json_t *req)
{
    if (!c->req->body_len)
        return true;
    json_error_t je;
    json_t *opts = json_loadb(c->req->body, c->req->body_len, 0, &je);
    if (!json_is_object(opts)) {
        json_decref(opts);
        sfn_rest_error(c->resp, 400, "SerializationException",
                       "the body must be a JSON object "
                       "{\"error\":...,\"cause\":...} or empty",
                       NULL);
        return false;
    }
    const char *keys[] = {"error", "cause"};
    for (int i = 0; i < 2; i++) {
        json_t *v = json_object_get(opts, keys[i]);
        if (json_is_string(v))
            json_object_set(req, keys[i], v);
    }
    /* stepd extension: run the compensations first */
    json_t *comp = json_object_get(opts, "compensate");
    if (comp)
        json_object_set(req, "compensate", comp);
    json_decref(opts);
    return true;
}

static void stop_execution(ctx *c, const char *arn)
{
    json_t *req = json_pack("{s:s}", "executionArn", arn);
    if (!error_cause_body(c, req)) {
        json_decref(req);
        return;
    }
    relay(c, "StopExecution", req, 200, false);
}

static void validate(ctx *c)
{
    json_t *def = body_string(c, "InvalidDefinition");
    if (!def)
        return;
    json_t *req = json_pack("{s:o}", "definition", def);
    const char *type = query(c, "type"), *sev = query(c, "severity");
    if (req && type)
        json_object_set_new(req, "type", json_string(type));
    if (req && sev)
        json_object_set_new(req, "severity", json_string(sev));
    json_t *out = call(c, "ValidateStateMachineDefinition", req);
    if (out)
        send_json(c->resp, 200, out);
}

/* ---- routing helpers ----------------------------------------------------- */

static void method_not_allowed(ctx *c, const char *allow)
{
    sfn_http_resp_header(c->resp, "Allow", allow);
    char msg[160];
    snprintf(msg, sizeof msg, "%s is not allowed here; use %s",
             c->req->method, allow);
    sfn_rest_error(c->resp, 405, "MethodNotAllowed", msg, NULL);
}

static void route_name(ctx *c, const char *route)
{
    snprintf(c->resp->route, sizeof c->resp->route, "%s %s", c->req->method,
             route);
}

static bool is(const ctx *c, const char *method)
{
    return !strcmp(c->req->method, method);
}

/* ---- task callbacks ------------------------------------------------------ */

/* Runs an action that answers {} and sends 204.  req: stolen. */
static void relay_no_content(ctx *c, const char *action, json_t *req)
{
    json_t *out = call(c, action, req);
    if (!out)
        return;
    json_decref(out);
    sfn_http_resp_json(c->resp, 204, NULL, "application/json");
}

static void task_success(ctx *c, const char *token)
{
    if (c->req->body_len &&
        !valid_json_body(c, "the task output", "InvalidOutput"))
        return;
    json_t *output = c->req->body_len ? body_string(c, "InvalidOutput")
                                      : json_string("{}");
    if (!output)
        return;
    relay_no_content(c, "SendTaskSuccess",
                     json_pack("{s:s, s:o}", "taskToken", token, "output",
                               output));
}

static void task_failure(ctx *c, const char *token)
{
    json_t *req = json_pack("{s:s}", "taskToken", token);
    if (!error_cause_body(c, req)) {
        json_decref(req);
        return;
    }
    relay_no_content(c, "SendTaskFailure", req);
}

/* /v1/tasks/{token}/success|failure|heartbeat (rest = after the prefix).
 * The server hands the path decoded, and a token may hold '/', so the verb
 * is the last segment and the token all that precedes it. */
static void tasks(ctx *c, const char *rest)
{
    const char *slash = *rest == '/' ? strrchr(rest + 1, '/') : NULL;
    const char *verb = slash ? slash + 1 : "";
    if (!slash || slash == rest + 1 ||
        (strcmp(verb, "success") && strcmp(verb, "failure") &&
         strcmp(verb, "heartbeat"))) {
        route_name(c, "/v1/tasks/*");
        sfn_rest_error(c->resp, 404, "NotFound",
                       "no such route: use /v1/tasks/{token}/success, "
                       "/failure or /heartbeat",
                       NULL);
        return;
    }
    char route[48];
    snprintf(route, sizeof route, "/v1/tasks/{token}/%s", verb);
    route_name(c, route);
    if (!is(c, "POST")) {
        method_not_allowed(c, "POST");
        return;
    }
    if (!json_content_type(c))
        return;
    char *token = strndup(rest + 1, (size_t)(slash - rest - 1));
    if (!token) {
        sfn_rest_error(c->resp, 500, "InternalFailure", "out of memory",
                       NULL);
        return;
    }
    if (!strcmp(verb, "success"))
        task_success(c, token);
    else if (!strcmp(verb, "failure"))
        task_failure(c, token);
    else
        relay_no_content(c, "SendTaskHeartbeat",
                         json_pack("{s:s}", "taskToken", token));
    free(token);
}

/* ---- activities ------------------------------------------------------------ */

static char *activity_arn(sfn_service *svc, const char *name)
{
    char *arn = NULL;
    if (!strncmp(name, "arn:", 4))
        return strdup(name);
    if (asprintf(&arn, "arn:aws:states:%s:%s:activity:%s",
                 sfn_service_region(svc), sfn_service_account(svc),
                 name) < 0)
        return NULL;
    return arn;
}

static void list_activities(ctx *c)
{
    json_t *req = json_object();
    if (!paging(c, req)) {
        json_decref(req);
        return;
    }
    relay(c, "ListActivities", req, 200, false);
}

/* POST /v1/activities {"name"[, "tags"]}: 201 when created, 200 when it
 * already existed (CreateActivity is idempotent). */
static void create_activity(ctx *c)
{
    json_error_t je;
    json_t *body = json_loadb(c->req->body, c->req->body_len, 0, &je);
    const char *name = json_string_value(json_object_get(body, "name"));
    if (!name) {
        json_decref(body);
        sfn_rest_error(c->resp, 400, "ValidationException",
                       "the body must be a JSON object {\"name\": ...}",
                       NULL);
        return;
    }
    char *arn = activity_arn(c->svc, name);
    sfn_error err;
    json_t *req = json_pack("{s:s}", "activityArn", arn ? arn : "");
    json_t *cur = sfn_service_call(c->svc, "DescribeActivity", req, &err);
    json_decref(req);
    json_decref(cur);
    req = json_pack("{s:s}", "name", name);
    json_t *tags = json_object_get(body, "tags");
    if (req && tags)
        json_object_set(req, "tags", tags);
    json_t *out = call(c, "CreateActivity", req);
    if (out) {
        json_decref(out);
        char loc[320] = "/v1/activities/";
        append_pct(loc, sizeof loc, name);
        sfn_http_resp_header(c->resp, "Location", loc);
        relay(c, "DescribeActivity",
              json_pack("{s:s}", "activityArn", arn ? arn : ""),
              cur ? 200 : 201, false);
    }
    free(arn);
    json_decref(body);
}

static void delete_activity(ctx *c, const char *arn)
{
    json_t *cur =
        call(c, "DescribeActivity", json_pack("{s:s}", "activityArn", arn));
    if (!cur)
        return;
    json_decref(cur);
    relay_no_content(c, "DeleteActivity",
                     json_pack("{s:s}", "activityArn", arn));
}

/* POST /v1/activities/{name}/poll?worker=W&wait=S: 200 with the task, 204
 * when none came within `wait` seconds (0..60, default 60). */
static void poll_activity(ctx *c, const char *arn)
{
    const char *worker = query(c, "worker"), *wait = query(c, "wait");
    long wait_s = 60;
    if (wait) {
        char *end = NULL;
        wait_s = strtol(wait, &end, 10);
        if (!*wait || *end || wait_s < 0 || wait_s > 60) {
            sfn_rest_error(c->resp, 400, "ValidationException",
                           "wait must be an integer from 0 to 60 (seconds)",
                           json_pack("{s:s}", "wait", wait));
            return;
        }
    }
    json_t *req = json_pack("{s:s, s:I}", "activityArn", arn, "waitSeconds",
                            (json_int_t)wait_s);
    if (req && worker)
        json_object_set_new(req, "workerName", json_string(worker));
    json_t *out = call(c, "GetActivityTask", req);
    if (!out)
        return;
    if (!json_object_get(out, "taskToken")) {
        json_decref(out);
        sfn_http_resp_json(c->resp, 204, NULL, "application/json");
        return;
    }
    json_t *body = friendly(out);
    json_decref(out);
    send_json(c->resp, 200, body);
}

/* /v1/activities[/{name}[/poll]] (rest = after the prefix). */
static void activities(ctx *c, const char *rest)
{
    if (!*rest || !strcmp(rest, "/")) {
        route_name(c, "/v1/activities");
        if (is(c, "GET"))
            list_activities(c);
        else if (is(c, "POST") && json_content_type(c))
            create_activity(c);
        else if (!is(c, "POST"))
            method_not_allowed(c, "GET, POST");
        return;
    }
    rest++;
    bool poll = ends_with(rest, "/poll");
    size_t n = strlen(rest) - (poll ? 5 : 0);
    snprintf(c->name, sizeof c->name, "%.*s", (int)n, rest);
    if (!poll && strchr(c->name, '/')) {
        route_name(c, "/v1/activities/*");
        sfn_rest_error(c->resp, 404, "NotFound", "no such route", NULL);
        return;
    }
    char *arn = activity_arn(c->svc, c->name);
    if (!arn) {
        sfn_rest_error(c->resp, 500, "InternalFailure", "out of memory",
                       NULL);
        return;
    }
    route_name(c, poll ? "/v1/activities/{name}/poll"
                       : "/v1/activities/{name}");
    if (poll && !is(c, "POST"))
        method_not_allowed(c, "POST");
    else if (poll)
        poll_activity(c, arn);
    else if (is(c, "GET"))
        relay(c, "DescribeActivity", json_pack("{s:s}", "activityArn", arn),
              200, false);
    else if (is(c, "DELETE"))
        delete_activity(c, arn);
    else
        method_not_allowed(c, "GET, DELETE");
    free(arn);
}

/* ---- routes ------------------------------------------------------------- */

/* /v1/state-machines[/{name}[/executions]] (rest = after the prefix). */
static void machines(ctx *c, const char *rest)
{
    if (!*rest || !strcmp(rest, "/")) {
        route_name(c, "/v1/state-machines");
        if (is(c, "GET"))
            list_machines(c);
        else
            method_not_allowed(c, "GET");
        return;
    }
    rest++;
    const char *slash = strchr(rest, '/');
    size_t n = slash ? (size_t)(slash - rest) : strlen(rest);
    snprintf(c->name, sizeof c->name, "%.*s", (int)n, rest);
    char *arn = machine_arn(c->svc, c->name);
    if (!slash) {
        route_name(c, "/v1/state-machines/{name}");
        if (is(c, "GET"))
            describe_machine(c, arn, 200);
        else if (is(c, "PUT") && json_content_type(c))
            put_machine(c, arn);
        else if (is(c, "DELETE"))
            delete_machine(c, arn);
        else if (!is(c, "PUT"))
            method_not_allowed(c, "GET, PUT, DELETE");
    } else if (!strcmp(slash, "/executions")) {
        route_name(c, "/v1/state-machines/{name}/executions");
        if (!is(c, "POST"))
            method_not_allowed(c, "POST");
        else if (json_content_type(c))
            start_execution(c, arn);
    } else {
        route_name(c, "/v1/state-machines/*");
        sfn_rest_error(c->resp, 404, "NotFound", "no such route", NULL);
    }
    free(arn);
}

/* /v1/executions[/{id}[/history|/stop|/redrive]] (rest = after the
 * prefix). */
static void executions(ctx *c, const char *rest)
{
    if (!*rest || !strcmp(rest, "/")) {
        route_name(c, "/v1/executions");
        if (is(c, "GET"))
            list_executions(c);
        else
            method_not_allowed(c, "GET");
        return;
    }
    rest++;
    size_t n = strlen(rest);
    const char *what = "";
    if (ends_with(rest, "/history"))
        what = "/history";
    else if (ends_with(rest, "/stop"))
        what = "/stop";
    else if (ends_with(rest, "/redrive"))
        what = "/redrive";
    n -= strlen(what);
    snprintf(c->id, sizeof c->id, "%.*s", (int)n, rest);
    char route[64];
    snprintf(route, sizeof route, "/v1/executions/{id}%s", what);
    route_name(c, route);
    const char *want =
        !strcmp(what, "/stop") || !strcmp(what, "/redrive") ? "POST" : "GET";
    if (!is(c, want)) {
        method_not_allowed(c, want);
        return;
    }
    if (!strcmp(what, "/stop") && !json_content_type(c))
        return;
    char *arn = exec_arn(c);
    if (!arn)
        return;
    if (!*what)
        describe_execution(c, arn);
    else if (!strcmp(what, "/history"))
        history(c, arn);
    else if (!strcmp(what, "/redrive"))
        relay(c, "RedriveExecution",
              json_pack("{s:s}", "executionArn", arn), 200, false);
    else
        stop_execution(c, arn);
    free(arn);
}

void sfn_rest_handle(sfn_service *svc, const sfn_http_req *req,
                     sfn_http_resp *resp)
{
    ctx c = {.svc = svc, .req = req, .resp = resp};
    const char *p = req->path;
    if (!strncmp(p, "/v1/state-machines", 18) &&
        (p[18] == '\0' || p[18] == '/'))
        machines(&c, p + 18);
    else if (!strncmp(p, "/v1/executions", 14) &&
             (p[14] == '\0' || p[14] == '/'))
        executions(&c, p + 14);
    else if (!strncmp(p, "/v1/tasks/", 10))
        tasks(&c, p + 9);
    else if (!strncmp(p, "/v1/activities", 14) &&
             (p[14] == '\0' || p[14] == '/'))
        activities(&c, p + 14);
    else if (!strcmp(p, "/v1/validate")) {
        route_name(&c, "/v1/validate");
        if (!is(&c, "POST"))
            method_not_allowed(&c, "POST");
        else if (json_content_type(&c))
            validate(&c);
    } else {
        snprintf(resp->route, sizeof resp->route, "not found");
        char msg[300];
        snprintf(msg, sizeof msg, "no route for %s %.200s", req->method, p);
        sfn_rest_error(resp, 404, "NotFound", msg, NULL);
    }
}

/* ---- bearer auth --------------------------------------------------------- */

bool sfn_rest_authorized(const char *token, const sfn_http_req *req,
                         sfn_http_resp *resp)
{
    if (!token)
        return true;
    const char *h = req->header ? req->header(req->ud, "Authorization") : NULL;
    bool ok = false;
    if (h && !strncasecmp(h, "Bearer ", 7)) {
        /* hashing first makes the compare constant-time in the length too */
        unsigned char want[SHA256_DIGEST_LENGTH], got[SHA256_DIGEST_LENGTH];
        SHA256((const unsigned char *)token, strlen(token), want);
        SHA256((const unsigned char *)h + 7, strlen(h + 7), got);
        ok = CRYPTO_memcmp(want, got, sizeof want) == 0;
    }
    if (ok)
        return true;
    sfn_http_resp_header(resp, "WWW-Authenticate", "Bearer realm=\"stepd\"");
    sfn_rest_error(resp, 401, "Unauthorized",
                   h ? "the bearer token is wrong"
                     : "this endpoint needs \"Authorization: Bearer <token>\"",
                   NULL);
    return false;
}

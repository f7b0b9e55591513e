/* aws_protocol.c: the AWS JSON 1.0 dialect: POST / with X-Amz-Target
 * "AWSStepFunctions.<Action>" and a JSON object body, answered with the
 * action's response members or {"__type","message"} and the
 * x-amzn-ErrorType header.  Optional SigV4 verification in front. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "service_internal.h"
#include "sfn_aws_protocol.h"
#include "sfn_json.h"
#include "sfn_sigv4.h"

#define AWS_CT "application/x-amz-json-1.0"
#define TARGET_PREFIX "AWSStepFunctions."

static void fail(sfn_http_resp *resp, const char *type, const char *msg)
{
    json_t *b = json_pack("{s:s,s:s}", "__type", type, "message", msg);
    char *text = b ? sfn_json_dumps(b, 0) : NULL;
    json_decref(b);
    sfn_http_resp_json(resp, sfn_service_http_status(type), text, AWS_CT);
    sfn_http_resp_header(resp, "x-amzn-ErrorType", type);
}

static bool content_type_ok(const char *ct)
{
    if (!ct)
        return true; /* some clients omit it on empty bodies */
    size_t n = strcspn(ct, ";");
    while (n && ct[n - 1] == ' ')
        n--;
    return (n == strlen(AWS_CT) && !strncasecmp(ct, AWS_CT, n)) ||
           (n == 16 && !strncasecmp(ct, "application/json", n));
}

static bool authorized(const sfn_aws_auth *auth, const sfn_http_req *req,
                       sfn_http_resp *resp)
{
    if (!auth || !auth->n_keys)
        return true;
    sfn_sigv4_input in = {req->method, req->path, "", req->header, req->ud,
                          req->body, req->body_len};
    sfn_error err;
    sfn_error_clear(&err);
    if (sfn_sigv4_verify(&in, "states", auth->keys, auth->n_keys, &err) ==
        SFN_OK)
        return true;
    fail(resp, err.name, err.cause);
    return false;
}

/* The execution ARN a request or response names, for logs. */
static void note_exec(sfn_http_resp *resp, json_t *req, json_t *out)
{
    const char *arn = json_string_value(json_object_get(req, "executionArn"));
    if (!arn)
        arn = json_string_value(json_object_get(out, "executionArn"));
    if (arn)
        snprintf(resp->exec_arn, sizeof resp->exec_arn, "%s", arn);
}

static json_t *parse_body(const sfn_http_req *req, sfn_http_resp *resp)
{
    if (!req->body_len)
        return json_object();
    json_error_t je;
    json_t *body = sfn_json_loadb(req->body, req->body_len, 0, &je);
    if (!body) {
        char msg[256];
        snprintf(msg, sizeof msg, "Malformed JSON body: %s at line %d, "
                 "column %d", je.text, je.line, je.column);
        fail(resp, "SerializationException", msg);
        return NULL;
    }
    if (!json_is_object(body)) {
        json_decref(body);
        fail(resp, "SerializationException",
             "The request body must be a JSON object");
        return NULL;
    }
    return body;
}

void sfn_aws_protocol_handle(sfn_service *svc, const sfn_aws_auth *auth,
                             const sfn_http_req *req, sfn_http_resp *resp)
{
    const char *target = req->header(req->ud, "x-amz-target");
    snprintf(resp->route, sizeof resp->route, "%s", "AWS");
    if (!req->method || strcmp(req->method, "POST")) {
        fail(resp, "UnknownOperationException",
             "The AWS JSON protocol takes POST requests only");
        return;
    }
    if (!target) {
        fail(resp, "MissingAction", "Missing Action: no X-Amz-Target header");
        return;
    }
    const char *action = strncmp(target, TARGET_PREFIX, strlen(TARGET_PREFIX))
                             ? NULL
                             : target + strlen(TARGET_PREFIX);
    if (action)
        snprintf(resp->route, sizeof resp->route, "%s", action);
    if (!authorized(auth, req, resp))
        return;
    if (!content_type_ok(req->header(req->ud, "content-type"))) {
        fail(resp, "SerializationException",
             "Content-Type must be application/x-amz-json-1.0");
        return;
    }
    if (!action) {
        char msg[200];
        snprintf(msg, sizeof msg, "Unknown operation: '%.150s'", target);
        fail(resp, "UnknownOperationException", msg);
        return;
    }
    json_t *body = parse_body(req, resp);
    if (!body)
        return;
    sfn_error err;
    sfn_error_clear(&err);
    json_t *out = sfn_service_call(svc, action, body, &err);
    note_exec(resp, body, out);
    json_decref(body);
    if (!out) {
        fail(resp, err.name[0] ? err.name : "InternalFailure", err.cause);
        return;
    }
    char *text = sfn_json_dumps(out, 0);
    json_decref(out);
    if (!text) {
        fail(resp, "InternalFailure", "out of memory");
        return;
    }
    sfn_http_resp_json(resp, 200, text, AWS_CT);
}

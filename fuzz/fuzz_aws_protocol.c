/* fuzz_aws_protocol.c: libFuzzer target for the AWS JSON 1.0 dialect.  The
 * first input byte picks the X-Amz-Target (every action, an unknown one,
 * or a target without the AWSStepFunctions. prefix); the rest is the
 * request body, handled by sfn_aws_protocol_handle on the process's
 * service (fuzz_service.h), so the body decoder and each action's request
 * validation see the bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz_aws_targets.h"
#include "fuzz_service.h"
#include "sfn_aws_protocol.h"
#include "sfn_json.h"

int fuzz_aws_protocol_one(const uint8_t *data, size_t size);

typedef struct {
    const char *target;
} aws_headers;

static const char *aws_header(void *ud, const char *name)
{
    const aws_headers *h = ud;
    if (!strcasecmp(name, "x-amz-target"))
        return h->target;
    if (!strcasecmp(name, "content-type"))
        return "application/x-amz-json-1.0";
    return NULL;
}

static bool aws_mentions(const json_t *v, const char *needle)
{
    if (json_is_string(v))
        return strstr(json_string_value(v), needle) != NULL;
    const char *key;
    json_t *member;
    if (json_is_object(v)) {
        json_object_foreach((json_t *)v, key, member)
            if (strstr(key, needle) || aws_mentions(member, needle))
                return true;
    } else if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++)
            if (aws_mentions(json_array_get(v, i), needle))
                return true;
    }
    return false;
}

/* Inputs whose request would make the process block on real time are
 * adjusted before they reach the decoder: a GetActivityTask polls for 0
 * seconds instead of 60, and no EXPRESS machine other than the fixed Pass
 * one exists (StartSyncExecution waits for the execution, and a Wait state
 * waits in real time), so CreateStateMachine makes STANDARD machines and
 * the fixed one is not updated or deleted.  Returns the body to send
 * (malloc'd, *len set), or NULL to send the input as it is; sets *skip
 * when the request is not sent at all. */
static char *aws_adjust(const char *action, const uint8_t *data, size_t size,
                        size_t *len, bool *skip)
{
    *skip = false;
    bool poll = !strcmp(action, "GetActivityTask");
    bool create = !strcmp(action, "CreateStateMachine");
    bool change = !strcmp(action, "UpdateStateMachine") ||
                  !strcmp(action, "DeleteStateMachine");
    if (!poll && !create && !change)
        return NULL;
    json_error_t je;
    json_t *body = sfn_json_loadb((const char *)data, size, 0, &je);
    if (!json_is_object(body)) {
        json_decref(body);
        return NULL;
    }
    char *text = NULL;
    json_t *wait = json_object_get(body, "waitSeconds");
    json_t *type = json_object_get(body, "type");
    if (change) {
        *skip = aws_mentions(body, FUZZ_EXPRESS_MACHINE);
    } else if (poll && (!wait || json_is_integer(wait))) {
        json_object_set_new(body, "waitSeconds", json_integer(0));
        text = sfn_json_dumps(body, 0);
    } else if (create && json_is_string(type) &&
               !strcmp(json_string_value(type), "EXPRESS")) {
        json_object_set_new(body, "type", json_string("STANDARD"));
        text = sfn_json_dumps(body, 0);
    }
    json_decref(body);
    if (text)
        *len = strlen(text);
    return text;
}

int fuzz_aws_protocol_one(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    sfn_service *svc = fuzz_service();
    aws_headers h = {.target = aws_targets[data[0] % AWS_N_TARGETS]};
    const char *dot = strchr(h.target, '.');
    size_t len = size - 1;
    bool skip;
    char *adjusted = aws_adjust(dot + 1, data + 1, len, &len, &skip);
    if (skip)
        return 0;
    /* the server hands the handler a NUL-terminated copy of the body */
    char *body = adjusted;
    if (!body) {
        body = malloc(len + 1);
        if (!body)
            return 0;
        memcpy(body, data + 1, len);
        body[len] = '\0';
    }
    sfn_http_req req = {.method = "POST", .path = "/", .body = body,
                        .body_len = len, .header = aws_header, .ud = &h,
                        .remote_addr = "127.0.0.1:1"};
    sfn_http_resp resp = {0};
    sfn_aws_protocol_handle(svc, NULL, &req, &resp);
    sfn_http_resp_free(&resp);
    free(body);
    return 0;
}

#ifndef FUZZ_NO_ENTRY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_aws_protocol_one(data, size);
}
#endif

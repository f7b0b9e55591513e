/* fuzz_rest.c: libFuzzer target for the REST dialect.  Input layout: one
 * byte choosing the method and Content-Type, then the request target
 * ("/v1/...?k=v&k=v") up to the first newline, then the body; handled by
 * sfn_rest_handle on the process's service (fuzz_service.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz_service.h"
#include "sfn_rest.h"

int fuzz_rest_one(const uint8_t *data, size_t size);

static const char *const rest_methods[] = {"GET", "POST", "PUT", "DELETE",
                                           "PATCH"};
static const char *const rest_types[] = {NULL, "application/json",
                                         "text/plain"};

#define REST_MAX_ARGS 8

typedef struct {
    const char *content_type;
    const char *names[REST_MAX_ARGS], *values[REST_MAX_ARGS];
    int n_args;
} rest_request;

static const char *rest_header(void *ud, const char *name)
{
    const rest_request *r = ud;
    return !strcasecmp(name, "content-type") ? r->content_type : NULL;
}

/* An activity poll waits up to `wait` seconds (default 60) in real time,
 * so a positive or absent wait becomes 0; other values stay, for the
 * validation. */
static const char *rest_query(void *ud, const char *name)
{
    const rest_request *r = ud;
    const char *v = NULL;
    for (int i = 0; i < r->n_args && !v; i++)
        if (!strcmp(r->names[i], name))
            v = r->values[i];
    if (!strcmp(name, "wait") &&
        (!v || (*v && strspn(v, "0123456789") == strlen(v))))
        return "0";
    return v;
}

/* Splits "path?k=v&k2=v2" in place: target keeps the path. */
static void rest_split_query(char *target, rest_request *r)
{
    char *q = strchr(target, '?');
    if (!q)
        return;
    *q++ = '\0';
    while (q && *q && r->n_args < REST_MAX_ARGS) {
        char *amp = strchr(q, '&');
        if (amp)
            *amp++ = '\0';
        char *eq = strchr(q, '=');
        if (eq)
            *eq++ = '\0';
        r->names[r->n_args] = q;
        r->values[r->n_args++] = eq ? eq : "";
        q = amp;
    }
}

int fuzz_rest_one(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    sfn_service *svc = fuzz_service();
    rest_request r = {.content_type = rest_types[(data[0] / 5) % 3]};
    const char *method = rest_methods[data[0] % 5];
    const uint8_t *rest = data + 1, *nl = memchr(rest, '\n', size - 1);
    size_t tlen = nl ? (size_t)(nl - rest) : size - 1;
    /* one buffer: the target, a NUL, the body, a NUL */
    char *buf = malloc(size + 1);
    if (!buf)
        return 0;
    memcpy(buf, rest, tlen);
    buf[tlen] = '\0';
    char *body = buf + tlen + 1;
    size_t blen = nl ? size - 2 - tlen : 0;
    memcpy(body, rest + tlen + (nl ? 1 : 0), blen);
    body[blen] = '\0';
    rest_split_query(buf, &r);
    sfn_http_req req = {.method = method, .path = buf, .body = body,
                        .body_len = blen, .header = rest_header,
                        .query = rest_query, .ud = &r,
                        .remote_addr = "127.0.0.1:1"};
    sfn_http_resp resp = {0};
    sfn_rest_handle(svc, &req, &resp);
    sfn_http_resp_free(&resp);
    free(buf);
    return 0;
}

#ifndef FUZZ_NO_ENTRY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_rest_one(data, size);
}
#endif

/* task_http.c: the HTTP Task, arn:aws:states:::http:invoke (asl.md 8.5).
 * Turns its Parameters into a request (endpoint, method, headers, query,
 * JSON / text / form body, connection auth) and the response into the
 * AWS result {"Headers","ResponseBody","StatusCode","StatusText"} or an
 * error: States.Http.StatusCode.<code> with that object as the cause,
 * States.Http.Socket for transport failures, States.Runtime for bad
 * Parameters and binary responses. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tasks_internal.h"

#define HTTP_RESOURCE "arn:aws:states:::http:invoke"

bool sfn__tasks_is_http(const char *resource)
{
    return resource && !strcmp(resource, HTTP_RESOURCE);
}

static const char *const methods[] = {"GET",   "POST",    "PUT", "DELETE",
                                      "PATCH", "OPTIONS", "HEAD"};

static const char *const fields[] = {
    "ApiEndpoint", "Method",      "Authentication", "InvocationConfig",
    "Headers",     "QueryParameters", "RequestBody", "Transform"};

/* Headers AWS refuses in Parameters.Headers (asl.md 8.5). */
static const char *const forbidden[] = {
    "authorization", "host",    "content-length",    "connection",
    "accept-encoding", "cache-control", "date", "expect",
    "transfer-encoding", "upgrade", "via"};
static const char *const forbidden_prefix[] = {"x-forwarded-", "x-amz-",
                                               "x-amzn-"};

typedef struct {
    sfn_task_outcome *out;
    bool failed;
} parse_ctx;

static bool bad(parse_ctx *pc, const char *fmt, const char *arg)
{
    sfn__tasks_fail(pc->out, "States.Runtime", fmt, arg);
    pc->failed = true;
    return false;
}

static bool check_fields(parse_ctx *pc, json_t *p)
{
    const char *k;
    json_t *v;
    json_object_foreach(p, k, v) {
        bool known = false;
        for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
            known = known || !strcmp(k, fields[i]);
        if (!known)
            return bad(pc,
                       "HTTP Task: unknown field '%s' in Parameters (allowed: "
                       "ApiEndpoint, Method, Authentication, Headers, "
                       "QueryParameters, RequestBody, Transform)",
                       k);
    }
    return true;
}

static bool header_forbidden(const char *name)
{
    for (size_t i = 0; i < sizeof forbidden / sizeof *forbidden; i++)
        if (!strcasecmp(name, forbidden[i]))
            return true;
    for (size_t i = 0; i < sizeof forbidden_prefix / sizeof *forbidden_prefix;
         i++)
        if (!strncasecmp(name, forbidden_prefix[i],
                         strlen(forbidden_prefix[i])))
            return true;
    return false;
}

static bool header_name_ok(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr("!#$%&'*+-.^_`|~", *s))
            return false;
    return true;
}

static bool user_headers(parse_ctx *pc, task_op *op, json_t *h)
{
    if (!h)
        return true;
    if (!json_is_object(h))
        return bad(pc, "HTTP Task: Parameters.Headers must be an object%s",
                   "");
    const char *k;
    json_t *v;
    json_object_foreach(h, k, v) {
        if (!header_name_ok(k))
            return bad(pc, "HTTP Task: '%s' in Parameters.Headers is not a "
                           "valid header name",
                       k);
        if (header_forbidden(k))
            return bad(pc, "HTTP Task: the header '%s' is not allowed in "
                           "Parameters.Headers",
                       k);
        const char *s = json_string_value(v);
        if (!s)
            return bad(pc, "HTTP Task: Parameters.Headers.%s must be a "
                           "string",
                       k);
        if (strpbrk(s, "\r\n"))
            return bad(pc, "HTTP Task: Parameters.Headers.%s contains a line "
                           "break",
                       k);
        if (!sfn__tasks_header_set(op, k, s))
            return bad(pc, "%s", "out of memory");
    }
    return true;
}

static bool check_query(parse_ctx *pc, json_t *q)
{
    if (!json_is_object(q))
        return bad(pc, "HTTP Task: Parameters.QueryParameters must be an "
                       "object%s",
                   "");
    const char *k;
    json_t *v;
    json_object_foreach(q, k, v) {
        bool ok = json_is_string(v) || json_is_array(v);
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item) ok = ok && json_is_string(item);
        if (!ok)
            return bad(pc, "HTTP Task: Parameters.QueryParameters.%s must be "
                           "a string or an array of strings",
                       k);
    }
    return true;
}

/* The connection named by Authentication.ConnectionArn (or the newer
 * InvocationConfig.ConnectionArn): arn:aws:events:R:A:connection/NAME[/ID]. */
static bool find_connection(parse_ctx *pc, const sfn_tasks *t, task_op *op,
                            json_t *p)
{
    json_t *a = json_object_get(p, "Authentication");
    const char *field = "Authentication";
    if (!a) {
        a = json_object_get(p, "InvocationConfig");
        field = "InvocationConfig";
    }
    if (!a)
        return true;
    const char *arn = json_string_value(json_object_get(a, "ConnectionArn"));
    if (!json_is_object(a) || !arn)
        return bad(pc, "HTTP Task: Parameters.%s.ConnectionArn must be a "
                       "string",
                   field);
    const char *res = strstr(arn, ":connection/");
    if (strncmp(arn, "arn:aws:events:", 15) || !res || !res[12])
        return bad(pc, "HTTP Task: '%s' is not an EventBridge connection ARN "
                       "(arn:aws:events:REGION:ACCOUNT:connection/NAME)",
                   arn);
    const char *name = res + 12;
    char *n = strndup(name, strcspn(name, "/"));
    op->conn = n ? sfn__tasks_conn_find(t, n) : -1;
    if (op->conn < 0) {
        sfn__tasks_fail(pc->out, "Events.ConnectionResource.ResourceNotFound",
                        "connection '%s' (%s) is not defined in the stepd "
                        "config (\"connections\")",
                        n ? n : "?", arn);
        pc->failed = true;
    }
    free(n);
    return op->conn >= 0;
}

/* ---- URL-encoded bodies -------------------------------------------------- */

typedef enum { AF_INDICES, AF_REPEAT, AF_COMMAS, AF_BRACKETS } array_format;

typedef struct {
    char *buf;
    size_t len, cap;
    bool ok;
} sbuf;

static void sb_add(sbuf *b, const char *s, size_t n)
{
    if (!b->ok)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *nb = realloc(b->buf, cap);
        if (!nb) {
            b->ok = false;
            return;
        }
        b->buf = nb;
        b->cap = cap;
    }
    memcpy(b->buf + b->len, s, n);
    b->len += n;
    b->buf[b->len] = '\0';
}

static void sb_pct(sbuf *b, const char *s)
{
    char *e = sfn__tasks_pct(s, strlen(s));
    if (!e)
        b->ok = false;
    else
        sb_add(b, e, strlen(e));
    free(e);
}

/* A scalar as form text: strings as is, others as their JSON text. */
static void sb_scalar(sbuf *b, json_t *v)
{
    if (json_is_string(v)) {
        sb_pct(b, json_string_value(v));
        return;
    }
    if (json_is_null(v))
        return;
    char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    if (!text)
        b->ok = false;
    else
        sb_pct(b, text);
    free(text);
}

static bool is_scalar(json_t *v)
{
    return !json_is_object(v) && !json_is_array(v);
}

static void form_value(sbuf *b, const char *key, json_t *v, array_format af);

static void form_pair(sbuf *b, const char *key, json_t *v)
{
    if (b->len)
        sb_add(b, "&", 1);
    sb_add(b, key, strlen(key));
    sb_add(b, "=", 1);
    sb_scalar(b, v);
}

static void form_array(sbuf *b, const char *key, json_t *arr, array_format af)
{
    size_t i;
    json_t *item;
    bool scalars = true;
    json_array_foreach(arr, i, item) scalars = scalars && is_scalar(item);
    if (af == AF_COMMAS && scalars) {
        if (b->len)
            sb_add(b, "&", 1);
        sb_add(b, key, strlen(key));
        sb_add(b, "=", 1);
        json_array_foreach(arr, i, item) {
            if (i)
                sb_add(b, ",", 1);
            sb_scalar(b, item);
        }
        return;
    }
    json_array_foreach(arr, i, item) {
        char *sub = NULL;
        int n = (af == AF_REPEAT && scalars)
                    ? asprintf(&sub, "%s", key)
                : (af == AF_BRACKETS && scalars)
                    ? asprintf(&sub, "%s[]", key)
                    : asprintf(&sub, "%s[%zu]", key, i);
        if (n < 0) {
            b->ok = false;
            return;
        }
        form_value(b, sub, item, af);
        free(sub);
    }
}

static void form_value(sbuf *b, const char *key, json_t *v, array_format af)
{
    if (json_is_array(v)) {
        form_array(b, key, v, af);
    } else if (json_is_object(v)) {
        const char *k;
        json_t *m;
        json_object_foreach(v, k, m) {
            char *ek = sfn__tasks_pct(k, strlen(k)), *sub = NULL;
            if (!ek || asprintf(&sub, "%s[%s]", key, ek) < 0) {
                free(ek);
                b->ok = false;
                return;
            }
            form_value(b, sub, m, af);
            free(ek);
            free(sub);
        }
    } else {
        form_pair(b, key, v);
    }
}

/* Keys and values are percent-encoded; the brackets that express nesting
 * are written as is ("a[0]=x"), as asl.md shows them. */
static char *form_encode(json_t *obj, array_format af)
{
    sbuf b = {.ok = true};
    sb_add(&b, "", 0);
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v) {
        char *ek = sfn__tasks_pct(k, strlen(k));
        if (!ek) {
            b.ok = false;
            break;
        }
        form_value(&b, ek, v, af);
        free(ek);
    }
    if (!b.ok) {
        free(b.buf);
        return NULL;
    }
    return b.buf;
}

static bool parse_transform(parse_ctx *pc, json_t *tr, bool *url_encoded,
                            array_format *af)
{
    *url_encoded = false;
    *af = AF_INDICES;
    if (!tr)
        return true;
    if (!json_is_object(tr))
        return bad(pc, "HTTP Task: Parameters.Transform must be an object%s",
                   "");
    const char *enc =
        json_string_value(json_object_get(tr, "RequestBodyEncoding"));
    if (json_object_get(tr, "RequestBodyEncoding") && !enc)
        return bad(pc, "HTTP Task: Transform.RequestBodyEncoding must be "
                       "NONE or URL_ENCODED%s",
                   "");
    if (enc && strcmp(enc, "NONE") && strcmp(enc, "URL_ENCODED"))
        return bad(pc, "HTTP Task: Transform.RequestBodyEncoding '%s' is not "
                       "NONE or URL_ENCODED",
                   enc);
    *url_encoded = enc && !strcmp(enc, "URL_ENCODED");
    json_t *opts = json_object_get(tr, "RequestEncodingOptions");
    const char *f = json_string_value(json_object_get(opts, "ArrayFormat"));
    if (opts && json_object_get(opts, "ArrayFormat") && !f)
        return bad(pc, "HTTP Task: Transform.RequestEncodingOptions."
                       "ArrayFormat must be a string%s",
                   "");
    if (!f || !strcmp(f, "INDICES"))
        return true;
    if (!strcmp(f, "REPEAT"))
        *af = AF_REPEAT;
    else if (!strcmp(f, "COMMAS"))
        *af = AF_COMMAS;
    else if (!strcmp(f, "BRACKETS"))
        *af = AF_BRACKETS;
    else
        return bad(pc, "HTTP Task: ArrayFormat '%s' is not one of INDICES, "
                       "REPEAT, COMMAS, BRACKETS",
                   f);
    return true;
}

/* Builds op->body from RequestBody (a copy, with the connection's body
 * members merged into an object). */
static bool build_body(parse_ctx *pc, const sfn_tasks *t, task_op *op,
                       json_t *p)
{
    bool form;
    array_format af;
    if (!parse_transform(pc, json_object_get(p, "Transform"), &form, &af))
        return false;
    json_t *rb = json_object_get(p, "RequestBody");
    if (!rb)
        return sfn__tasks_conn_merge(t, op, NULL, NULL) ||
               bad(pc, "%s", "out of memory");
    if (form && !json_is_object(rb))
        return bad(pc, "HTTP Task: Transform.RequestBodyEncoding URL_ENCODED "
                       "needs RequestBody to be a JSON object%s",
                   "");
    json_t *body = json_deep_copy(rb);
    bool ok = body && sfn__tasks_conn_merge(t, op, NULL, body);
    const char *ctype = NULL;
    if (ok && form) {
        op->body = form_encode(body, af);
        ctype = "application/x-www-form-urlencoded";
    } else if (ok && json_is_string(body)) {
        op->body = strdup(json_string_value(body));
        ctype = "text/plain; charset=UTF-8";
    } else if (ok) {
        op->body = json_dumps(body, JSON_ENCODE_ANY | JSON_COMPACT);
        ctype = "application/json; charset=UTF-8";
    }
    json_decref(body);
    if (!op->body)
        return bad(pc, "%s", "out of memory");
    op->body_len = strlen(op->body);
    if (!sfn__tasks_header_get(op, "Content-Type") &&
        !sfn__tasks_header_set(op, "Content-Type", ctype))
        return bad(pc, "%s", "out of memory");
    return true;
}

static bool build_url(parse_ctx *pc, const sfn_tasks *t, task_op *op,
                      json_t *p)
{
    json_t *q = json_object_get(p, "QueryParameters");
    if (q && !check_query(pc, q))
        return false;
    json_t *merged = q ? json_deep_copy(q) : json_object();
    bool ok = merged && sfn__tasks_conn_merge(t, op, merged, NULL) &&
              sfn__tasks_url_add_query(&op->url, merged);
    json_decref(merged);
    return ok || bad(pc, "%s", "out of memory");
}

/* ---- the response -------------------------------------------------------- */

static const char *first_header(const sfn_httpc_response *r, const char *name)
{
    return json_string_value(json_array_get(json_object_get(r->headers, name),
                                            0));
}

static bool is_binary(const char *ct)
{
    return ct && (!strncasecmp(ct, "image/", 6) ||
                  !strncasecmp(ct, "audio/", 6) ||
                  !strncasecmp(ct, "video/", 6) ||
                  !strncasecmp(ct, "application/octet-stream", 24));
}

static bool is_json(const char *ct)
{
    if (!ct)
        return false;
    size_t n = strcspn(ct, ";");
    return (n >= 16 && !strncasecmp(ct, "application/json", 16)) ||
           (n > 5 && !strncasecmp(ct + n - 5, "+json", 5)) ||
           !strncasecmp(ct, "text/json", 9);
}

static const char *default_reason(long code)
{
    switch (code) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 409: return "Conflict";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "";
    }
}

/* ResponseBody: parsed JSON for a JSON content type, else the text; NULL
 * when the bytes are not UTF-8 text. */
static json_t *response_body(const sfn_httpc_response *r)
{
    const char *body = r->body ? r->body : "";
    if (is_json(first_header(r, "content-type")) && r->body_len) {
        json_t *j = json_loadb(body, r->body_len, JSON_DECODE_ANY, NULL);
        if (j)
            return j;
    }
    return json_stringn(body, r->body_len);
}

static void finish_http(sfn_tasks *t, task_op *op, const sfn_httpc_response *r,
                        sfn_task_outcome *o)
{
    (void)t;
    if (r->status != SFN_HTTPC_OK) {
        sfn__tasks_transport_fail(op, r, o);
        return;
    }
    const char *ct = first_header(r, "content-type");
    json_t *body = is_binary(ct) ? NULL : response_body(r);
    if (!body) {
        sfn__tasks_fail(o, "States.Runtime",
                        "binary response (content-type %s) from %s %s is not "
                        "supported by the HTTP Task",
                        ct ? ct : "none", op->method, op->what);
        return;
    }
    const char *reason = r->reason && *r->reason ? r->reason
                                                 : default_reason(r->code);
    json_t *headers = r->headers ? json_deep_copy(r->headers) : json_object();
    json_t *res = json_pack("{s:o, s:o, s:I, s:s}", "Headers", headers,
                            "ResponseBody", body, "StatusCode",
                            (json_int_t)r->code, "StatusText", reason);
    if (!res) {
        sfn__tasks_fail(o, "States.Runtime", "out of memory");
        return;
    }
    if (r->code >= 200 && r->code <= 299) {
        o->result = res;
        return;
    }
    char name[64];
    snprintf(name, sizeof name, "States.Http.StatusCode.%ld", r->code);
    char *cause = json_dumps(res, JSON_COMPACT);
    sfn__tasks_fail(o, name, "%s", cause ? cause : "");
    free(cause);
    json_decref(res);
}

/* ---- dispatch ------------------------------------------------------------ */

static bool build(parse_ctx *pc, const sfn_tasks *t, const sfn_task_req *r,
                  task_op *op)
{
    json_t *p = r->payload;
    if (!json_is_object(p))
        return bad(pc, "HTTP Task: the parameters must be a JSON object%s",
                   "");
    if (!check_fields(pc, p))
        return false;
    const char *ep = json_string_value(json_object_get(p, "ApiEndpoint"));
    if (!ep || (strncasecmp(ep, "https://", 8) &&
                strncasecmp(ep, "http://", 7)))
        return bad(pc, "HTTP Task: Parameters.ApiEndpoint is required and "
                       "must be an absolute https:// or http:// URL%s",
                   "");
    const char *m = json_string_value(json_object_get(p, "Method"));
    bool known = false;
    for (size_t i = 0; m && i < sizeof methods / sizeof *methods; i++)
        known = known || !strcmp(m, methods[i]);
    if (!known)
        return bad(pc, "HTTP Task: Parameters.Method is required and must be "
                       "one of GET, POST, PUT, DELETE, PATCH, OPTIONS, HEAD%s",
                   "");
    char ua[160];
    snprintf(ua, sizeof ua, "Amazon|StepFunctions|HttpInvoke|%s",
             t->cfg.region ? t->cfg.region : "us-east-1");
    if (!(op->method = strdup(m)) || !(op->url = strdup(ep)) ||
        !(op->what = sfn__tasks_url_public(ep)) ||
        !sfn__tasks_header_set(op, "User-Agent", ua) ||
        (r->idempotency_key &&
         !sfn__tasks_header_set(op, "Idempotency-Key", r->idempotency_key)))
        return bad(pc, "%s", "out of memory");
    return find_connection(pc, t, op, p) &&
           user_headers(pc, op, json_object_get(p, "Headers")) &&
           build_url(pc, t, op, p) && build_body(pc, t, op, p);
}

sfn_task_disp sfn__tasks_http(sfn_tasks *t, const sfn_task_req *r,
                              sfn_task_outcome *out, sfn_task_cb cb,
                              void *ud, uint64_t *handle)
{
    parse_ctx pc = {.out = out};
    task_op *op = sfn__tasks_op_new(t, OP_KIND_HTTP);
    if (!op) {
        sfn__tasks_fail(out, "States.Runtime", "out of memory");
        return SFN_TASK_DONE;
    }
    if (!build(&pc, t, r, op)) {
        if (!pc.failed)
            sfn__tasks_fail(out, "States.Runtime", "out of memory");
        sfn__tasks_op_free(op);
        return SFN_TASK_DONE;
    }
    sfn__tasks_timeout(r, t->cfg.http_timeout_s, op);
    op->finish = finish_http;
    return sfn__tasks_op_start(t, op, cb, ud, handle, out);
}

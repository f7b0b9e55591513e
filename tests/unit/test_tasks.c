/* test_tasks.c: the task dispatcher against a real local HTTP server
 * (http_fixture.h): the HTTP Task's fields, encodings, result and errors,
 * connections (API key, Basic, OAuth with a cached token), bindings
 * (Lambda ARN, lambda:invoke, patterns, Lambda error bodies), mocks,
 * cancel, configuration checks and the start-time graph check. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http_fixture.h"
#include "sfn_asl.h"
#include "sfn_tasks.h"

static hfx_server *srv;

#define EXEC_ARN                                                           \
    "arn:aws:states:us-east-1:111122223333:execution:Orders:run-1"

/* ---- harness ------------------------------------------------------------ */

typedef struct {
    bool done;
    sfn_task_outcome o;
} capture;

static void on_done(void *ud, sfn_task_outcome *o)
{
    capture *c = ud;
    c->done = true;
    c->o = *o;
    memset(o, 0, sizeof *o); /* steal every member */
}

static sfn_tasks_config base_cfg(void)
{
    sfn_tasks_config c = {0};
    c.http_timeout_s = 10;
    c.region = "us-east-1";
    return c;
}

static sfn_tasks *make(const sfn_tasks_config *cfg)
{
    sfn_error err;
    sfn_error_clear(&err);
    sfn_tasks *t = sfn_tasks_new(cfg, &err);
    if (!t)
        fail_msg("sfn_tasks_new: %s", err.cause);
    return t;
}

static sfn_task_req req_for(const char *resource, json_t *payload)
{
    sfn_task_req r = {0};
    r.resource = resource;
    r.payload = payload;
    r.exec_arn = EXEC_ARN;
    r.machine = "Orders";
    r.state = "Call";
    r.idempotency_key = "exec-1/Call/3/0";
    return r;
}

/* Dispatches and polls (bounded) until the outcome is there. */
static sfn_task_outcome run_req(sfn_tasks *t, const sfn_task_req *r)
{
    capture c = {0};
    sfn_task_outcome out;
    if (sfn_tasks_dispatch(t, r, &out, on_done, &c, NULL) == SFN_TASK_DONE)
        return out;
    for (int i = 0; i < 400 && !c.done; i++)
        sfn_tasks_poll(t, 100);
    assert_true(c.done);
    return c.o;
}

static sfn_task_outcome run_json(sfn_tasks *t, const char *resource,
                                 const char *payload_json)
{
    json_t *p = json_loads(payload_json, JSON_DECODE_ANY, NULL);
    assert_non_null(p);
    sfn_task_req r = req_for(resource, p);
    sfn_task_outcome o = run_req(t, &r);
    json_decref(p);
    return o;
}

/* Runs an HTTP Task whose Parameters are `fmt` with %s replaced by the
 * fixture URL of `path`. */
static sfn_task_outcome http_task(sfn_tasks *t, const char *fmt,
                                  const char *path)
{
    char buf[4096];
    snprintf(buf, sizeof buf, fmt, hfx_url(srv, path));
    return run_json(t, "arn:aws:states:::http:invoke", buf);
}

static void add_route(const char *path, int status, const char *ctype,
                      const char *body)
{
    hfx_route r = {0};
    r.path = path;
    r.status = status;
    r.content_type = ctype;
    r.body = body;
    hfx_route_add(srv, &r);
}

static void add_echo(const char *path, int status)
{
    hfx_route r = {0};
    r.path = path;
    r.status = status;
    r.echo = HFX_ECHO_REQUEST;
    hfx_route_add(srv, &r);
}

static void assert_error(const sfn_task_outcome *o, const char *name)
{
    assert_null(o->result);
    assert_non_null(o->error);
    assert_string_equal(o->error, name);
}

static void assert_cause_has(const sfn_task_outcome *o, const char *text)
{
    assert_non_null(o->cause);
    if (!strstr(o->cause, text))
        fail_msg("cause '%s' lacks '%s'", o->cause, text);
}

/* The echoed request ({"method","query","headers","body",...}) of a
 * successful HTTP Task. */
static json_t *echoed(const sfn_task_outcome *o)
{
    assert_null(o->error);
    json_t *b = json_object_get(o->result, "ResponseBody");
    assert_true(json_is_object(b));
    return b;
}

static const char *echo_header(json_t *echo, const char *name)
{
    return json_string_value(
        json_object_get(json_object_get(echo, "headers"), name));
}

static int group_setup(void **state)
{
    (void)state;
    srv = hfx_start();
    return srv ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    hfx_stop(srv);
    return 0;
}

/* ---- HTTP Task: result -------------------------------------------------- */

static void test_http_json_result_shape(void **state)
{
    (void)state;
    add_route("/json", 200, "application/json", "{\"a\":1}");
    sfn_tasks_config cfg = base_cfg();
    sfn_tasks *t = make(&cfg);
    sfn_task_outcome o =
        http_task(t, "{\"ApiEndpoint\":\"%s\",\"Method\":\"GET\"}", "/json");
    assert_null(o.error);
    const char *keys[] = {"Headers", "ResponseBody", "StatusCode",
                          "StatusText"};
    void *it = json_object_iter(o.result);
    for (int i = 0; i < 4; i++, it = json_object_iter_next(o.result, it))
        assert_string_equal(json_object_iter_key(it), keys[i]);
    assert_null(it);
    assert_int_equal(json_integer_value(json_object_get(o.result, "a")), 0);
    json_t *body = json_object_get(o.result, "ResponseBody");
    assert_int_equal(json_integer_value(json_object_get(body, "a")), 1);
    assert_int_equal(
        json_integer_value(json_object_get(o.result, "StatusCode")), 200);
    assert_string_equal(
        json_string_value(json_object_get(o.result, "StatusText")), "OK");
    json_t *ct = json_object_get(json_object_get(o.result, "Headers"),
                                 "content-type");
    assert_string_equal(json_string_value(json_array_get(ct, 0)),
                        "application/json");
    sfn_task_outcome_free(&o);
    sfn_tasks_free(t);
}

static void test_http_text_body_is_string(void **state)
{
    (void)state;
    add_route("/text", 200, "text/plain", "hello there");
    sfn_tasks_config cfg = base_cfg();
    sfn_tasks *t = make(&cfg);
    sfn_task_outcome o =
        http_task(t, "{\"ApiEndpoint\":\"%s\",\"Method\":\"GET\"}", "/text");
    assert_null(o.error);
    assert_string_equal(
        json_string_value(json_object_get(o.result, "ResponseBody")),
        "hello there");
    sfn_task_outcome_free(&o);
    sfn_tasks_free(t);
}

/* ---- HTTP Task: the request --------------------------------------------- */

static void test_http_headers_query_json_body(void **state)
{
    (void)state;
    add_echo("/echo", 200);
    sfn_tasks_config cfg = base_cfg();
    sfn_tasks *t = make(&cfg);
    sfn_task_outcome o = http_task(
        t,
        "{\"ApiEndpoint\":\"%s\",\"Method\":\"POST\","
        "\"Headers\":{\"X-Custom\":\"v1\"},"
        "\"QueryParameters\":{\"q\":\"a b&c\",\"tag\":[\"x\",\"y\"]},"
        "\"RequestBody\":{\"order\":7,\"items\":[1,2]}}",
        "/echo");
    json_t *e = echoed(&o);
    assert_string_equal(json_string_value(json_object_get(e, "method")),
                        "POST");
    assert_string_equal(json_string_value(json_object_get(e, "query")),
                        "q=a%20b%26c&tag=x&tag=y");
    assert_string_equal(json_string_value(json_object_get(e, "body")),
                        "{\"order\":7,\"items\":[1,2]}");
    assert_string_equal(echo_header(e, "content-type"),
                        "application/json; charset=UTF-8");
    assert_string_equal(echo_header(e, "x-custom"), "v1");
    assert_string_equal(echo_header(e, "idempotency-key"), "exec-1/Call/3/0");
    assert_string_equal(echo_header(e, "user-agent"),
                        "Amazon|StepFunctions|HttpInvoke|us-east-1");
    sfn_task_outcome_free(&o);
    sfn_tasks_free(t);
}

static void test_http_string_body_sent_as_is(void **state)
{
    (void)state;
    add_echo("/echo-s", 200);
    sfn_tasks_config cfg = base_cfg();
    sfn_tasks *t = make(&cfg);
    sfn_task_outcome o = http_task(
        t,
        "{\"ApiEndpoint\":\"%s\",\"Method\":\"PUT\","
        "\"Headers\":{\"Content-Type\":\"text/csv\"},"
        "\"RequestBody\":\"a,b\\n1,2\"}",
        "/echo-s");
    json_t *e = echoed(&o);
    assert_string_equal(json_string_value(json_object_get(e, "body")),
                        "a,b\n1,2");
    assert_string_equal(echo_header(e, "content-type"), "text/csv");
    sfn_task_outcome_free(&o);
    sfn_tasks_free(t);
}

static void test_http_every_method(void **state)
{
    (void)state;
    add_echo("/m", 200);
    sfn_tasks_config cfg = base_cfg();
    sfn_tasks *t = make(&cfg);
    const char *ms[] = {"GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"};
    for (size_t i = 0; i < sizeof ms / sizeof *ms; i++) {
        char fmt[200];
        snprintf(fmt, sizeof fmt,
                 "{\"ApiEndpoint\":\"%%s\",\"Method\":\"%s\"}", ms[i]);
        sfn_task_outcome o = http_task(t, fmt, "/m");
        assert_string_equal(
            json_string_value(json_object_get(echoed(&o), "method")), ms[i]);
        sfn_task_outcome_free(&o);
    }
    hfx_reset(srv);
    sfn_task_outcome o =
        http_task(t, "{\"ApiEndpoint\":\"%s\",\"Method\":\"HEAD\"}", "/m");
    assert_null(o.error);
    assert_string_equal(hfx_last(srv, "/m")->method, "HEAD");
    assert_string_equal(
        json_string_value(json_object_get(o.result, "ResponseBody")), "");
    sfn_task_outcome_free(&o);
    sfn_tasks_free(t);
}

/* URL_ENCODED with the given ArrayFormat ("" = default); returns the body
 * the server saw (malloc'd). */
static char *form_body(sfn_tasks *t, const char *format)
{
    char fmt[512];
    snprintf(fmt, sizeof fmt,
             "{\"ApiEndpoint\":\"%%s\",\"Method\":\"POST\","
             "\"RequestBody\":{\"name\":\"A B\",\"a\":[\"x\",\"y\"]},"
             "\"Transform\":{\"RequestBodyEncoding\":\"URL_ENCODED\"%s%s%s}}",
             *format ? ",\"RequestEncodingOptions\":{\"ArrayFormat\":\"" : "",
             format, *format ? "\"}" : "");
    sfn_task_outcome o = http_task(t, fmt, "/form");
    json_t *e = echoed(&o);
    assert_string_equal(echo_header(e, "content-type"),
                        "application/x-www-form-urlencoded");
    char *b = strdup(json_string_value(json_object_get(e, "body")));
    sfn_task_outcome_free(&o);
    return b;
}

static void test_http_form_indices_default(void **state)
{
    (void)state;
    add_echo("/form", 200);
    sfn_tasks_config cfg = base_cfg();
    sfn_tasks *t = make(&cfg);
    char *b = form_body(t, "");
    assert_string_equal(b, "name=A%20B&a[0]=x&a[1]=y");
    free(b);
    b = form_body(t, "INDICES");
    assert_string_equal(b, "name=A%20B&a[0]=x&a[1]=y");
    free(b);
    sfn_tasks_free(t);
}

static void test_http_form_repeat(void **state)
{
    (void)state;
    add_echo("/form", 200);
    sfn_tasks_config cfg = base_cfg();
    sfn_tasks *t = make(&cfg);
    char *b = form_body(t, "REPEAT");
    assert_string_equal(b, "name=A%20B&a=x&a=y");
    free(b);
    sfn_tasks_free(t);
}

static void test_http_form_commas(void **state)
{
    (void)state;
    add_echo("/form", 200);
    sfn_tasks_config cfg = base_cfg();
    sfn_tasks *t = make(&cfg);
    char *b = form_body(t, "COMMAS");
    assert_string_equal(b, "name=A%20B&a=x,y");
    free(b);
    sfn_tasks_free(t);
}

static void test_http_form_brackets(void **state)
{
    (void)state;
    add_echo("/form", 200);
    sfn_tasks_config cfg = base_cfg();
    sfn_tasks *t = make(&cfg);
    char *b = form_body(t, "BRACKETS");
    assert_string_equal(b, "name=A%20B&a[]=x&a[]=y");
    free(b);
    sfn_tasks_free(t);
}

static void test_http_form_nested_object(void **state)
{
    (void)state;
    add_echo("/form", 200);
    sfn_tasks_config cfg = base_cfg();
    sfn_tasks *t = make(&cfg);
    sfn_task_outcome o = http_task(
        t,
        "{\"ApiEndpoint\":\"%s\",\"Method\":\"POST\","
        "\"RequestBody\":{\"a\":{\"b\":\"c\",\"n\":2,\"z\":null}},"
        "\"Transform\":{\"RequestBodyEncoding\":\"URL_ENCODED\"}}",
        "/form");
    assert_string_equal(
        json_string_value(json_object_get(echoed(&o), "body")),
        "a[b]=c&a[n]=2&a[z]=");
    sfn_task_outcome_free(&o);
    sfn_tasks_free(t);
}

/* ---- HTTP Task: bad parameters ------------------------------------------ */

static void expect_runtime(sfn_tasks *t, const char *params,
                           const char *named)
{
    sfn_task_outcome o = http_task(t, params, "/never");
    assert_error(&o, "States.Runtime");
    assert_cause_has(&o, named);
    sfn_task_outcome_free(&o);
}

static void test_http_missing_endpoint(void **state)
{
    (void)state;
    sfn_tasks_config cfg = base_cfg();
    sfn_tasks *t = make(&cfg);
    expect_runtime(t, "{\"Method\":\"GET\"}", "ApiEndpoint");
    expect_runtime(t, "{\"ApiEndpoint\":\"ftp://x/%s\",\"Method\":\"GET\"}",
                   "ApiEndpoint");
    sfn_tasks_free(t);
}

static void test_http_bad_method(void **state)
{
    (void)state;
    sfn_tasks_config cfg = base_cfg();
    sfn_tasks *t = make(&cfg);
    expect_runtime(t, "{\"ApiEndpoint\":\"%s\",\"Method\":\"FETCH\"}",
                   "Method");
    expect_runtime(t, "{\"ApiEndpoint\":\"%s\"}", "Method");
    sfn_tasks_free(t);
}

static void test_http_forbidden_header(void **state)
{
    (void)state;
    sfn_tasks_config cfg = base_cfg();
    sfn_tasks *t = make(&cfg);
    expect_runtime(t,
                   "{\"ApiEndpoint\":\"%s\",\"Method\":\"GET\","
                   "\"Headers\":{\"Authorization\":\"Bearer x\"}}",
                   "'Authorization'");
    expect_runtime(t,
                   "{\"ApiEndpoint\":\"%s\",\"Method\":\"GET\","
                   "\"Headers\":{\"X-Amz-Date\":\"now\"}}",
                   "'X-Amz-Date'");
    expect_runtime(t,
                   "{\"ApiEndpoint\":\"%s\",\"Method\":\"GET\","
                   "\"Headers\":{\"X-A\":1}}",
                   "Headers.X-A");
    sfn_tasks_free(t);
}

static void test_http_bad_fields(void **state)
{
    (void)state;
    sfn_tasks_config cfg = base_cfg();
    sfn_tasks *t = make(&cfg);
    expect_runtime(t,
                   "{\"ApiEndpoint\":\"%s\",\"Method\":\"GET\",\"Body\":1}",
                   "'Body'");
    expect_runtime(t,
                   "{\"ApiEndpoint\":\"%s\",\"Method\":\"GET\","
                   "\"QueryParameters\":{\"n\":1}}",
                   "QueryParameters.n");
    expect_runtime(t,
                   "{\"ApiEndpoint\":\"%s\",\"Method\":\"POST\","
                   "\"RequestBody\":[1],\"Transform\":"
                   "{\"RequestBodyEncoding\":\"URL_ENCODED\"}}",
                   "URL_ENCODED");
    expect_runtime(t,
                   "{\"ApiEndpoint\":\"%s\",\"Method\":\"POST\","
                   "\"Transform\":{\"RequestEncodingOptions\":"
                   "{\"ArrayFormat\":\"DOTS\"}}}",
                   "'DOTS'");
    sfn_tasks_free(t);
}

/* ---- HTTP Task: errors -------------------------------------------------- */

static void test_http_404_error_and_cause(void **state)
{
    (void)state;
    add_route("/missing", 404, "application/json", "{\"message\":\"nope\"}");
    sfn_tasks_config cfg = base_cfg();
    sfn_tasks *t = make(&cfg);
    sfn_task_outcome o = http_task(
        t, "{\"ApiEndpoint\":\"%s\",\"Method\":\"GET\"}", "/missing");
    assert_error(&o, "States.Http.StatusCode.404");
    json_t *cause = json_loads(o.cause, 0, NULL);
    assert_non_null(cause);
    assert_int_equal(json_integer_value(json_object_get(cause, "StatusCode")),
                     404);
    assert_string_equal(
        json_string_value(json_object_get(cause, "StatusText")), "Not Found");
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(cause, "ResponseBody"), "message")),
                        "nope");
    json_decref(cause);
    sfn_task_outcome_free(&o);
    sfn_tasks_free(t);
}

static void test_http_500_error(void **state)
{
    (void)state;
    add_route("/boom", 500, "text/plain", "down");
    sfn_tasks_config cfg = base_cfg();
    sfn_tasks *t = make(&cfg);
    sfn_task_outcome o =
        http_task(t, "{\"ApiEndpoint\":\"%s\",\"Method\":\"POST\"}", "/boom");
    assert_error(&o, "States.Http.StatusCode.500");
    assert_cause_has(&o, "\"ResponseBody\":\"down\"");
    sfn_task_outcome_free(&o);
    sfn_tasks_free(t);
}

static void test_http_timeout_from_config(void **state)
{
    (void)state;
    hfx_route r = {.path = "/slow", .body = "late", .delay_ms = 3000};
    hfx_route_add(srv, &r);
    sfn_tasks_config cfg = base_cfg();
    cfg.http_timeout_s = 1;
    sfn_tasks *t = make(&cfg);
    sfn_task_outcome o =
        http_task(t, "{\"ApiEndpoint\":\"%s\",\"Method\":\"GET\"}", "/slow");
    assert_error(&o, "States.Http.Socket");
    assert_cause_has(&o, "timed out after 1 s");
    sfn_task_outcome_free(&o);
    sfn_tasks_free(t);
}

/* A state's TimeoutSeconds below the HTTP default decides, with the name
 * the engine's own timer would give. */
static void test_http_timeout_from_task(void **state)
{
    (void)state;
    hfx_route r = {.path = "/slow2", .body = "late", .delay_ms = 3000};
    hfx_route_add(srv, &r);
    sfn_tasks_config cfg = base_cfg();
    sfn_tasks *t = make(&cfg);
    char buf[256];
    snprintf(buf, sizeof buf, "{\"ApiEndpoint\":\"%s\",\"Method\":\"GET\"}",
             hfx_url(srv, "/slow2"));
    json_t *p = json_loads(buf, 0, NULL);
    sfn_task_req rq = req_for("arn:aws:states:::http:invoke", p);
    rq.timeout_s = 1;
    sfn_task_outcome o = run_req(t, &rq);
    assert_error(&o, "States.Timeout");
    assert_cause_has(&o, "TimeoutSeconds");
    json_decref(p);
    sfn_task_outcome_free(&o);
    sfn_tasks_free(t);
}

static void test_http_connection_refused(void **state)
{
    (void)state;
    sfn_tasks_config cfg = base_cfg();
    sfn_tasks *t = make(&cfg);
    char fmt[256];
    snprintf(fmt, sizeof fmt,
             "{\"ApiEndpoint\":\"http://127.0.0.1:%d/x\",\"Method\":\"GET\"}",
             hfx_free_port());
    sfn_task_outcome o = run_json(t, "arn:aws:states:::http:invoke", fmt);
    assert_error(&o, "States.Http.Socket");
    assert_cause_has(&o, "CONNECT");
    sfn_task_outcome_free(&o);
    sfn_tasks_free(t);
}

static void test_http_allowlist_refusal(void **state)
{
    (void)state;
    add_route("/json", 200, "application/json", "{\"a\":1}");
    sfn_tasks_config cfg = base_cfg();
    char *allow[] = {"api.example.com"};
    cfg.allow = allow;
    cfg.n_allow = 1;
    sfn_tasks *t = make(&cfg);
    assert_false(sfn_tasks_allow_all(t));
    size_t before = hfx_count(srv, "/json");
    sfn_task_outcome o =
        http_task(t, "{\"ApiEndpoint\":\"%s\",\"Method\":\"GET\"}", "/json");
    assert_error(&o, "States.Http.Socket");
    assert_cause_has(&o, "DENIED");
    assert_int_equal(hfx_count(srv, "/json"), before);
    sfn_task_outcome_free(&o);
    sfn_tasks_free(t);
}

static void test_http_redirect_followed(void **state)
{
    (void)state;
    add_route("/json", 200, "application/json", "{\"a\":1}");
    hfx_route r = {.path = "/moved", .status = 302, .location = "/json"};
    hfx_route_add(srv, &r);
    sfn_tasks_config cfg = base_cfg();
    sfn_tasks *t = make(&cfg);
    sfn_task_outcome o =
        http_task(t, "{\"ApiEndpoint\":\"%s\",\"Method\":\"GET\"}", "/moved");
    assert_null(o.error);
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(o.result, "ResponseBody"), "a")),
                     1);
    sfn_task_outcome_free(&o);
    sfn_tasks_free(t);
}

static void test_http_large_response(void **state)
{
    (void)state;
    hfx_route r = {.path = "/big", .content_type = "text/plain",
                   .large_bytes = 300000};
    hfx_route_add(srv, &r);
    sfn_tasks_config cfg = base_cfg();
    cfg.max_response_bytes = 262144;
    sfn_tasks *t = make(&cfg);
    sfn_task_outcome o =
        http_task(t, "{\"ApiEndpoint\":\"%s\",\"Method\":\"GET\"}", "/big");
    assert_error(&o, "States.DataLimitExceeded");
    sfn_task_outcome_free(&o);
    sfn_tasks_free(t);
}

static void test_http_binary_response(void **state)
{
    (void)state;
    add_route("/img", 200, "image/png", "\x89PNG");
    sfn_tasks_config cfg = base_cfg();
    sfn_tasks *t = make(&cfg);
    sfn_task_outcome o =
        http_task(t, "{\"ApiEndpoint\":\"%s\",\"Method\":\"GET\"}", "/img");
    assert_error(&o, "States.Runtime");
    assert_cause_has(&o, "binary response");
    sfn_task_outcome_free(&o);
    sfn_tasks_free(t);
}

/* ---- connections -------------------------------------------------------- */

#define CONN_ARN(name)                                                     \
    "arn:aws:events:us-east-1:111122223333:connection/" name "/abc-123"

static void test_conn_api_key_and_secret_redacted(void **state)
{
    (void)state;
    add_echo("/keyed", 403); /* the 403 cause echoes every header */
    sfn_connection conn = {.name = "svc", .kind = SFN_CONN_API_KEY,
                           .key_name = "X-Api-Key",
                           .key_value = "sk-very-secret-1"};
    sfn_tasks_config cfg = base_cfg();
    cfg.connections = &conn;
    cfg.n_connections = 1;
    sfn_tasks *t = make(&cfg);
    sfn_task_outcome o = http_task(
        t,
        "{\"ApiEndpoint\":\"%s\",\"Method\":\"GET\",\"Authentication\":"
        "{\"ConnectionArn\":\"" CONN_ARN("svc") "\"}}",
        "/keyed");
    assert_error(&o, "States.Http.StatusCode.403");
    assert_string_equal(
        hfx_req_header(hfx_last(srv, "/keyed"), "X-Api-Key"),
        "sk-very-secret-1");
    assert_null(strstr(o.cause, "sk-very-secret-1"));
    assert_cause_has(&o, "*****");
    sfn_task_outcome_free(&o);
    sfn_tasks_free(t);
}

static void test_conn_basic(void **state)
{
    (void)state;
    add_echo("/basic", 200);
    sfn_connection conn = {.name = "b", .kind = SFN_CONN_BASIC,
                           .username = "user", .password = "pass"};
    sfn_tasks_config cfg = base_cfg();
    cfg.connections = &conn;
    cfg.n_connections = 1;
    sfn_tasks *t = make(&cfg);
    sfn_task_outcome o = http_task(
        t,
        "{\"ApiEndpoint\":\"%s\",\"Method\":\"GET\",\"Authentication\":"
        "{\"ConnectionArn\":\"" CONN_ARN("b") "\"}}",
        "/basic");
    assert_null(o.error);
    assert_string_equal(hfx_req_header(hfx_last(srv, "/basic"),
                                       "Authorization"),
                        "Basic dXNlcjpwYXNz");
    sfn_task_outcome_free(&o);
    sfn_tasks_free(t);
}

static void test_conn_extra_headers_query_body(void **state)
{
    (void)state;
    add_echo("/extra", 200);
    sfn_connection conn = {.name = "x", .kind = SFN_CONN_API_KEY,
                           .key_name = "X-Key", .key_value = "k-123"};
    conn.headers = json_pack("{s:s}", "X-Tenant", "t1");
    conn.query = json_pack("{s:s}", "api-version", "2");
    conn.body = json_pack("{s:s}", "source", "stepd");
    sfn_tasks_config cfg = base_cfg();
    cfg.connections = &conn;
    cfg.n_connections = 1;
    sfn_tasks *t = make(&cfg);
    json_decref(conn.headers);
    json_decref(conn.query);
    json_decref(conn.body);
    sfn_task_outcome o = http_task(
        t,
        "{\"ApiEndpoint\":\"%s\",\"Method\":\"POST\",\"Authentication\":"
        "{\"ConnectionArn\":\"" CONN_ARN("x") "\"},"
        "\"QueryParameters\":{\"q\":\"1\"},\"RequestBody\":{\"a\":1}}",
        "/extra");
    json_t *e = echoed(&o);
    assert_string_equal(echo_header(e, "x-tenant"), "t1");
    assert_string_equal(json_string_value(json_object_get(e, "query")),
                        "q=1&api-version=2");
    assert_string_equal(json_string_value(json_object_get(e, "body")),
                        "{\"a\":1,\"source\":\"stepd\"}");
    sfn_task_outcome_free(&o);
    sfn_tasks_free(t);
}

static void test_conn_unknown(void **state)
{
    (void)state;
    sfn_tasks_config cfg = base_cfg();
    sfn_tasks *t = make(&cfg);
    sfn_task_outcome o = http_task(
        t,
        "{\"ApiEndpoint\":\"%s\",\"Method\":\"GET\",\"Authentication\":"
        "{\"ConnectionArn\":\"" CONN_ARN("ghost") "\"}}",
        "/never");
    assert_error(&o, "Events.ConnectionResource.ResourceNotFound");
    assert_cause_has(&o, "'ghost'");
    sfn_task_outcome_free(&o);
    sfn_tasks_free(t);
}

/* Token endpoint: counts calls, checks the client credentials grant. */
static void token_handler(void *ud, const hfx_request *req, hfx_reply *out)
{
    (void)ud;
    bool ok = !strcmp(req->body, "grant_type=client_credentials&scope=read") &&
              hfx_req_header(req, "authorization") &&
              !strcmp(hfx_req_header(req, "authorization"),
                      "Basic Y2lkOmNzZWNyZXQtOTk5"); /* cid:csecret-999 */
    out->status = ok ? 200 : 400;
    out->content_type = strdup("application/json");
    out->body = strdup(ok ? "{\"access_token\":\"tok-abc-1\","
                            "\"token_type\":\"Bearer\",\"expires_in\":3600}"
                          : "{\"error\":\"invalid_client\"}");
}

static sfn_connection oauth_conn(const char *token_path)
{
    sfn_connection c = {.name = "oa", .kind = SFN_CONN_OAUTH,
                        .client_id = "cid", .client_secret = "csecret-999",
                        .scope = "read"};
    c.token_url = (char *)hfx_url(srv, token_path);
    return c;
}

static void test_conn_oauth_token_fetched_once(void **state)
{
    (void)state;
    hfx_route tr = {.path = "/oauth/token", .handler = token_handler};
    hfx_route_add(srv, &tr);
    add_echo("/api", 200);
    sfn_connection conn = oauth_conn("/oauth/token");
    sfn_tasks_config cfg = base_cfg();
    cfg.connections = &conn;
    cfg.n_connections = 1;
    sfn_tasks *t = make(&cfg);
    size_t tokens_before = hfx_count(srv, "/oauth/token");
    char buf[512];
    snprintf(buf, sizeof buf,
             "{\"ApiEndpoint\":\"%s\",\"Method\":\"GET\",\"Authentication\":"
             "{\"ConnectionArn\":\"" CONN_ARN("oa") "\"}}",
             hfx_url(srv, "/api"));
    json_t *p = json_loads(buf, 0, NULL);
    sfn_task_req r = req_for("arn:aws:states:::http:invoke", p);
    /* two requests in flight before any token: both wait for one fetch */
    capture c1 = {0}, c2 = {0};
    sfn_task_outcome out;
    assert_int_equal(sfn_tasks_dispatch(t, &r, &out, on_done, &c1, NULL),
                     SFN_TASK_ASYNC);
    assert_int_equal(sfn_tasks_dispatch(t, &r, &out, on_done, &c2, NULL),
                     SFN_TASK_ASYNC);
    assert_int_equal(sfn_tasks_inflight(t), 2);
    for (int i = 0; i < 400 && !(c1.done && c2.done); i++)
        sfn_tasks_poll(t, 100);
    assert_true(c1.done && c2.done);
    assert_null(c1.o.error);
    assert_null(c2.o.error);
    assert_string_equal(echo_header(echoed(&c1.o), "authorization"),
                        "Bearer tok-abc-1");
    sfn_task_outcome_free(&c1.o);
    sfn_task_outcome_free(&c2.o);
    /* a later request reuses the cached token */
    sfn_task_outcome o3 = run_req(t, &r);
    assert_string_equal(echo_header(echoed(&o3), "authorization"),
                        "Bearer tok-abc-1");
    assert_int_equal(hfx_count(srv, "/oauth/token") - tokens_before, 1);
    sfn_task_outcome_free(&o3);
    json_decref(p);
    sfn_tasks_free(t);
}

static void test_conn_oauth_failure_hides_secret(void **state)
{
    (void)state;
    add_route("/oauth/bad", 401, "application/json",
              "{\"error\":\"invalid_client\",\"echo\":\"csecret-999\"}");
    sfn_connection conn = oauth_conn("/oauth/bad");
    sfn_tasks_config cfg = base_cfg();
    cfg.connections = &conn;
    cfg.n_connections = 1;
    sfn_tasks *t = make(&cfg);
    sfn_task_outcome o = http_task(
        t,
        "{\"ApiEndpoint\":\"%s\",\"Method\":\"GET\",\"Authentication\":"
        "{\"ConnectionArn\":\"" CONN_ARN("oa") "\"}}",
        "/api");
    assert_error(&o, "Events.ConnectionResource.InvalidConnectionState");
    assert_cause_has(&o, "HTTP 401");
    assert_null(strstr(o.cause, "csecret-999"));
    sfn_task_outcome_free(&o);
    sfn_tasks_free(t);
}

/* ---- bindings ----------------------------------------------------------- */

static sfn_tasks *with_bindings(sfn_binding *b, size_t n)
{
    sfn_tasks_config cfg = base_cfg();
    cfg.bindings = b;
    cfg.n_bindings = n;
    return make(&cfg);
}

static void test_bind_lambda_arn(void **state)
{
    (void)state;
    hfx_route r = {.path = "/fn/pay", .echo = HFX_ECHO_BODY};
    hfx_route_add(srv, &r);
    sfn_binding b = {.resource = "arn:aws:lambda:*:*:function:pay*",
                     .url = (char *)hfx_url(srv, "/fn/pay")};
    sfn_tasks *t = with_bindings(&b, 1);
    sfn_task_outcome o = run_json(
        t, "arn:aws:lambda:us-east-1:111122223333:function:payments",
        "{\"amount\":5}");
    assert_null(o.error);
    assert_int_equal(json_integer_value(json_object_get(o.result, "amount")),
                     5);
    const hfx_request *q = hfx_last(srv, "/fn/pay");
    assert_string_equal(q->method, "POST");
    assert_string_equal(hfx_req_header(q, "Idempotency-Key"),
                        "exec-1/Call/3/0");
    assert_string_equal(hfx_req_header(q, "X-Stepd-Execution-Arn"), EXEC_ARN);
    assert_string_equal(hfx_req_header(q, "X-Stepd-State"), "Call");
    assert_null(hfx_req_header(q, "X-Stepd-Task-Token"));
    sfn_task_outcome_free(&o);
    sfn_tasks_free(t);
}

static void test_bind_lambda_invoke_bare_name(void **state)
{
    (void)state;
    hfx_route r = {.path = "/fn/greet", .echo = HFX_ECHO_BODY};
    hfx_route_add(srv, &r);
    sfn_binding b = {
        .resource = "arn:aws:lambda:us-east-1:111122223333:function:greet",
        .url = (char *)hfx_url(srv, "/fn/greet")};
    sfn_tasks *t = with_bindings(&b, 1);
    sfn_task_outcome o =
        run_json(t, "arn:aws:states:::lambda:invoke",
                 "{\"FunctionName\":\"greet\",\"Payload\":{\"who\":\"ann\"}}");
    assert_null(o.error);
    const char *keys[] = {"ExecutedVersion", "Payload", "SdkHttpMetadata",
                          "SdkResponseMetadata", "StatusCode"};
    void *it = json_object_iter(o.result);
    for (int i = 0; i < 5; i++, it = json_object_iter_next(o.result, it))
        assert_string_equal(json_object_iter_key(it), keys[i]);
    assert_string_equal(
        json_string_value(json_object_get(o.result, "ExecutedVersion")),
        "$LATEST");
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(o.result, "Payload"), "who")),
                        "ann");
    assert_int_equal(
        json_integer_value(json_object_get(o.result, "StatusCode")), 200);
    json_t *meta = json_object_get(o.result, "SdkHttpMetadata");
    assert_int_equal(
        json_integer_value(json_object_get(meta, "HttpStatusCode")), 200);
    assert_true(json_is_object(json_object_get(meta, "HttpHeaders")));
    assert_true(json_is_string(json_object_get(
        json_object_get(o.result, "SdkResponseMetadata"), "RequestId")));
    assert_string_equal(hfx_last(srv, "/fn/greet")->body, "{\"who\":\"ann\"}");
    sfn_task_outcome_free(&o);
    sfn_tasks_free(t);
}

static void test_bind_lambda_invoke_full_arn_no_payload(void **state)
{
    (void)state;
    hfx_route r = {.path = "/fn/greet2", .echo = HFX_ECHO_BODY};
    hfx_route_add(srv, &r);
    sfn_binding b = {.resource = "greet2",
                     .url = (char *)hfx_url(srv, "/fn/greet2")};
    sfn_binding b2 = {.resource = "arn:aws:lambda:*:function:greet2*",
                      .url = (char *)hfx_url(srv, "/fn/greet2")};
    sfn_binding both[] = {b2, b};
    sfn_tasks *t = with_bindings(both, 2);
    sfn_task_outcome o = run_json(
        t, "arn:aws:states:::lambda:invoke",
        "{\"FunctionName\":"
        "\"arn:aws:lambda:us-east-1:111122223333:function:greet2:prod\"}");
    assert_null(o.error);
    assert_true(json_is_object(json_object_get(o.result, "Payload")));
    assert_string_equal(hfx_last(srv, "/fn/greet2")->body, "{}");
    sfn_task_outcome_free(&o);
    sfn_tasks_free(t);
}

static void test_bind_pattern_and_text_answer(void **state)
{
    (void)state;
    add_route("/sqs", 200, "text/plain", "queued");
    sfn_binding b = {.resource = "arn:aws:states:::sqs:sendMessage*",
                     .url = (char *)hfx_url(srv, "/sqs")};
    sfn_tasks *t = with_bindings(&b, 1);
    sfn_task_outcome o = run_json(t, "arn:aws:states:::sqs:sendMessage",
                                  "{\"MessageBody\":\"m\"}");
    assert_null(o.error);
    assert_string_equal(json_string_value(o.result), "queued");
    assert_string_equal(hfx_last(srv, "/sqs")->body, "{\"MessageBody\":\"m\"}");
    sfn_task_outcome_free(&o);
    sfn_tasks_free(t);
}

static void test_bind_first_match_wins(void **state)
{
    (void)state;
    add_route("/first", 200, "application/json", "{\"which\":1}");
    add_route("/second", 200, "application/json", "{\"which\":2}");
    sfn_binding bs[] = {
        {.resource = "arn:aws:states:::sns:*",
         .url = (char *)hfx_url(srv, "/first")},
        {.resource = "arn:aws:states:::sns:publish",
         .url = (char *)hfx_url(srv, "/second")}};
    sfn_tasks *t = with_bindings(bs, 2);
    sfn_task_outcome o = run_json(t, "arn:aws:states:::sns:publish", "{}");
    assert_int_equal(json_integer_value(json_object_get(o.result, "which")),
                     1);
    sfn_task_outcome_free(&o);
    sfn_tasks_free(t);
}

static void test_bind_lambda_error_body(void **state)
{
    (void)state;
    const char *body = "{\"errorMessage\":\"card declined\","
                       "\"errorType\":\"PaymentError\",\"trace\":[]}";
    add_route("/fn/err", 200, "application/json", body);
    sfn_binding b = {.resource = "arn:aws:lambda:*",
                     .url = (char *)hfx_url(srv, "/fn/err")};
    sfn_tasks *t = with_bindings(&b, 1);
    sfn_task_outcome o = run_json(
        t, "arn:aws:lambda:us-east-1:111122223333:function:charge", "{}");
    assert_error(&o, "PaymentError");
    assert_string_equal(o.cause, body);
    sfn_task_outcome_free(&o);
    sfn_tasks_free(t);
}

static void test_bind_lambda_message_only(void **state)
{
    (void)state;
    add_route("/fn/msg", 200, "application/json",
              "{\"errorMessage\":\"Task timed out after 3.00 seconds\"}");
    sfn_binding b = {.resource = "arn:aws:lambda:*",
                     .url = (char *)hfx_url(srv, "/fn/msg")};
    sfn_tasks *t = with_bindings(&b, 1);
    sfn_task_outcome o = run_json(
        t, "arn:aws:lambda:us-east-1:111122223333:function:slow", "{}");
    assert_error(&o, "Lambda.Unknown");
    assert_cause_has(&o, "did not return an error type");
    assert_cause_has(&o, "Task timed out after 3.00 seconds");
    sfn_task_outcome_free(&o);
    sfn_tasks_free(t);
}

static void test_bind_pattern_error_body(void **state)
{
    (void)state;
    add_route("/svc/err", 400, "application/json",
              "{\"errorType\":\"Queue.Full\",\"errorMessage\":\"no room\"}");
    sfn_binding b = {.resource = "arn:aws:states:::sqs:*",
                     .url = (char *)hfx_url(srv, "/svc/err")};
    sfn_tasks *t = with_bindings(&b, 1);
    sfn_task_outcome o = run_json(t, "arn:aws:states:::sqs:sendMessage", "{}");
    assert_error(&o, "Queue.Full");
    assert_string_equal(o.cause, "no room");
    sfn_task_outcome_free(&o);
    sfn_tasks_free(t);
}

static void test_bind_http_500(void **state)
{
    (void)state;
    add_route("/svc/500", 500, "text/plain", "overloaded");
    sfn_binding bs[] = {{.resource = "arn:aws:states:::sqs:*",
                         .url = (char *)hfx_url(srv, "/svc/500")},
                        {.resource = "arn:aws:lambda:*",
                         .url = (char *)hfx_url(srv, "/svc/500")}};
    sfn_tasks *t = with_bindings(bs, 2);
    sfn_task_outcome o = run_json(t, "arn:aws:states:::sqs:sendMessage", "{}");
    assert_error(&o, "States.TaskFailed");
    assert_cause_has(&o, "HTTP 500");
    assert_cause_has(&o, "overloaded");
    sfn_task_outcome_free(&o);
    o = run_json(t, "arn:aws:lambda:us-east-1:111122223333:function:f", "{}");
    assert_error(&o, "Lambda.ServiceException");
    sfn_task_outcome_free(&o);
    sfn_tasks_free(t);
}

static void test_bind_socket_error(void **state)
{
    (void)state;
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/fn", hfx_free_port());
    sfn_binding bs[] = {{.resource = "arn:aws:lambda:*", .url = url},
                        {.resource = "arn:aws:states:::sqs:*", .url = url}};
    sfn_tasks *t = with_bindings(bs, 2);
    sfn_task_outcome o =
        run_json(t, "arn:aws:lambda:us-east-1:111122223333:function:f", "{}");
    assert_error(&o, "Lambda.SdkClientException");
    assert_cause_has(&o, "CONNECT");
    sfn_task_outcome_free(&o);
    o = run_json(t, "arn:aws:states:::sqs:sendMessage", "{}");
    assert_error(&o, "States.TaskFailed");
    sfn_task_outcome_free(&o);
    sfn_tasks_free(t);
}

static void test_bind_wait_for_task_token(void **state)
{
    (void)state;
    add_route("/cb", 202, "application/json", "{\"accepted\":true}");
    sfn_binding b = {.resource = "arn:aws:states:::sqs:sendMessage",
                     .url = (char *)hfx_url(srv, "/cb")};
    sfn_tasks *t = with_bindings(&b, 1);
    json_t *p = json_pack("{s:s}", "token", "tok-1");
    sfn_task_req r =
        req_for("arn:aws:states:::sqs:sendMessage.waitForTaskToken", p);
    r.token = "tok-1";
    sfn_task_outcome o = run_req(t, &r);
    assert_null(o.error);
    assert_true(json_is_true(json_object_get(o.result, "accepted")));
    assert_string_equal(hfx_req_header(hfx_last(srv, "/cb"),
                                       "X-Stepd-Task-Token"),
                        "tok-1");
    json_decref(p);
    sfn_task_outcome_free(&o);
    sfn_tasks_free(t);
}

static void test_bind_with_connection_and_headers(void **state)
{
    (void)state;
    add_echo("/bound-auth", 200);
    sfn_connection conn = {.name = "k", .kind = SFN_CONN_API_KEY,
                           .key_name = "X-Key", .key_value = "abc-999"};
    sfn_binding b = {.resource = "arn:aws:states:::sns:publish",
                     .url = (char *)hfx_url(srv, "/bound-auth"),
                     .connection = "k"};
    b.headers = json_pack("{s:s}", "X-Team", "blue");
    sfn_tasks_config cfg = base_cfg();
    cfg.connections = &conn;
    cfg.n_connections = 1;
    cfg.bindings = &b;
    cfg.n_bindings = 1;
    sfn_tasks *t = make(&cfg);
    json_decref(b.headers);
    sfn_task_outcome o = run_json(t, "arn:aws:states:::sns:publish", "{}");
    json_t *h = json_object_get(o.result, "headers");
    assert_string_equal(json_string_value(json_object_get(h, "x-key")),
                        "abc-999");
    assert_string_equal(json_string_value(json_object_get(h, "x-team")),
                        "blue");
    sfn_task_outcome_free(&o);
    sfn_tasks_free(t);
}

static void test_no_binding(void **state)
{
    (void)state;
    sfn_tasks_config cfg = base_cfg();
    sfn_tasks *t = make(&cfg);
    sfn_task_outcome o =
        run_json(t, "arn:aws:states:::dynamodb:putItem", "{}");
    assert_error(&o, "States.TaskFailed");
    assert_cause_has(&o, "no binding for resource "
                         "'arn:aws:states:::dynamodb:putItem'");
    sfn_task_outcome_free(&o);
    o = run_json(t, "arn:aws:states:::lambda:invoke",
                 "{\"FunctionName\":\"f\"}");
    assert_error(&o, "States.TaskFailed");
    assert_cause_has(&o, "Lambda function 'f'");
    sfn_task_outcome_free(&o);
    o = run_json(t, "arn:aws:states:::lambda:invoke", "{}");
    assert_error(&o, "States.Runtime");
    assert_cause_has(&o, "FunctionName");
    sfn_task_outcome_free(&o);
    sfn_tasks_free(t);
}

/* ---- built-ins, mocks, cancel ------------------------------------------- */

static void test_builtin_echo_is_synchronous(void **state)
{
    (void)state;
    sfn_tasks_config cfg = base_cfg();
    sfn_tasks *t = make(&cfg);
    json_t *p = json_pack("{s:i}", "n", 4);
    sfn_task_req r = req_for("arn:stepd:task:echo", p);
    sfn_task_outcome out;
    assert_int_equal(sfn_tasks_dispatch(t, &r, &out, on_done, NULL, NULL),
                     SFN_TASK_DONE);
    assert_int_equal(json_integer_value(json_object_get(out.result, "n")), 4);
    sfn_task_outcome_free(&out);
    json_decref(p);
    sfn_tasks_free(t);
}

static char mock_path[64];

static void write_mock(void)
{
    snprintf(mock_path, sizeof mock_path, "/tmp/stepd-test-mock-%d.json",
             (int)getpid());
    FILE *f = fopen(mock_path, "w");
    assert_non_null(f);
    fputs("{\"StateMachines\":{\"Orders\":{\"TestCases\":{"
          "\"Happy\":{\"Call\":\"CallOK\"},"
          "\"Sad\":{\"Call\":\"CallFails\"}}}},"
          "\"MockedResponses\":{"
          "\"CallOK\":{\"0\":{\"Return\":{\"paid\":true}}},"
          "\"CallFails\":{\"0\":{\"Throw\":{\"Error\":\"Pay.Declined\","
          "\"Cause\":\"insufficient funds\"}}}}}",
          f);
    fclose(f);
}

static sfn_tasks *with_mocks(void)
{
    write_mock();
    sfn_tasks_config cfg = base_cfg();
    cfg.mock_file = mock_path;
    return make(&cfg);
}

static void test_mock_return_and_throw(void **state)
{
    (void)state;
    sfn_tasks *t = with_mocks();
    assert_true(sfn_tasks_has_test_case(t, "Orders", "Happy"));
    assert_false(sfn_tasks_has_test_case(t, "Orders", "Nope"));
    json_t *p = json_object();
    sfn_task_req r = req_for("arn:aws:states:::dynamodb:putItem", p);
    r.test_case = "Happy";
    sfn_task_outcome out;
    assert_int_equal(sfn_tasks_dispatch(t, &r, &out, on_done, NULL, NULL),
                     SFN_TASK_DONE);
    assert_true(json_is_true(json_object_get(out.result, "paid")));
    sfn_task_outcome_free(&out);
    r.test_case = "Sad";
    assert_int_equal(sfn_tasks_dispatch(t, &r, &out, on_done, NULL, NULL),
                     SFN_TASK_DONE);
    assert_error(&out, "Pay.Declined");
    assert_string_equal(out.cause, "insufficient funds");
    sfn_task_outcome_free(&out);
    json_decref(p);
    sfn_tasks_free(t);
    unlink(mock_path);
}

/* A state the test case does not mock runs for real, as in SFL. */
static void test_mock_unmocked_state_runs(void **state)
{
    (void)state;
    sfn_tasks *t = with_mocks();
    json_t *p = json_pack("{s:s}", "x", "y");
    sfn_task_req r = req_for("arn:stepd:task:echo", p);
    r.state = "Other";
    r.test_case = "Happy";
    sfn_task_outcome out;
    assert_int_equal(sfn_tasks_dispatch(t, &r, &out, on_done, NULL, NULL),
                     SFN_TASK_DONE);
    assert_string_equal(json_string_value(json_object_get(out.result, "x")),
                        "y");
    sfn_task_outcome_free(&out);
    json_decref(p);
    sfn_tasks_free(t);
    unlink(mock_path);
}

static void test_cancel_drops_callback(void **state)
{
    (void)state;
    hfx_route r = {.path = "/slow3", .body = "late", .delay_ms = 500};
    hfx_route_add(srv, &r);
    sfn_tasks_config cfg = base_cfg();
    sfn_tasks *t = make(&cfg);
    char buf[256];
    snprintf(buf, sizeof buf, "{\"ApiEndpoint\":\"%s\",\"Method\":\"GET\"}",
             hfx_url(srv, "/slow3"));
    json_t *p = json_loads(buf, 0, NULL);
    sfn_task_req rq = req_for("arn:aws:states:::http:invoke", p);
    capture c = {0};
    sfn_task_outcome out;
    uint64_t h = 0;
    assert_int_equal(sfn_tasks_dispatch(t, &rq, &out, on_done, &c, &h),
                     SFN_TASK_ASYNC);
    assert_int_not_equal(h, 0);
    sfn_tasks_poll(t, 50);
    sfn_tasks_cancel(t, h);
    assert_int_equal(sfn_tasks_inflight(t), 0);
    for (int i = 0; i < 10; i++)
        assert_int_equal(sfn_tasks_poll(t, 100), 0);
    assert_false(c.done);
    json_decref(p);
    sfn_tasks_free(t);
}

/* ---- configuration ------------------------------------------------------ */

static void test_config_copy_is_deep(void **state)
{
    (void)state;
    sfn_tasks_config src = base_cfg();
    char *allow[] = {"127.0.0.1"};
    sfn_connection conn = {.name = "c", .kind = SFN_CONN_BASIC,
                           .username = "u", .password = "p"};
    conn.headers = json_pack("{s:s}", "A", "b");
    sfn_binding b = {.resource = "r*", .url = "http://h/x", .timeout_s = 5};
    src.allow = allow;
    src.n_allow = 1;
    src.connections = &conn;
    src.n_connections = 1;
    src.bindings = &b;
    src.n_bindings = 1;
    src.unbound = SFN_UNBOUND_AT_START;
    sfn_tasks_config dst;
    sfn_error err;
    assert_int_equal(sfn_tasks_config_copy(&dst, &src, &err), SFN_OK);
    json_decref(conn.headers);
    assert_ptr_not_equal(dst.allow[0], allow[0]);
    assert_string_equal(dst.allow[0], "127.0.0.1");
    assert_string_equal(dst.connections[0].password, "p");
    assert_string_equal(json_string_value(json_object_get(
                            dst.connections[0].headers, "A")),
                        "b");
    assert_string_equal(dst.bindings[0].url, "http://h/x");
    assert_int_equal(dst.bindings[0].timeout_s, 5);
    assert_int_equal(dst.unbound, SFN_UNBOUND_AT_START);
    assert_string_equal(dst.region, "us-east-1");
    sfn_tasks_config_free(&dst);
}

static void expect_new_fails(const sfn_tasks_config *cfg, const char *text)
{
    sfn_error err;
    sfn_error_clear(&err);
    assert_null(sfn_tasks_new(cfg, &err));
    if (!strstr(err.cause, text))
        fail_msg("error '%s' lacks '%s'", err.cause, text);
}

static void test_new_rejects_bad_config(void **state)
{
    (void)state;
    sfn_tasks_config cfg = base_cfg();
    char *allow[] = {"10.0.0.0/99"};
    cfg.allow = allow;
    cfg.n_allow = 1;
    expect_new_fails(&cfg, "http.allow[0]");
    cfg = base_cfg();
    sfn_binding b = {.resource = "x", .url = "http://h/", .connection = "nc"};
    cfg.bindings = &b;
    cfg.n_bindings = 1;
    expect_new_fails(&cfg, "connection 'nc'");
    cfg = base_cfg();
    sfn_connection c = {.name = "o", .kind = SFN_CONN_OAUTH,
                        .token_url = "http://h/t", .client_id = "i"};
    cfg.connections = &c;
    cfg.n_connections = 1;
    expect_new_fails(&cfg, "client_secret");
    cfg = base_cfg();
    cfg.mock_file = "/nonexistent/mock.json";
    expect_new_fails(&cfg, "mock file /nonexistent/mock.json");
}

static sfn_graph *compile(const char *text)
{
    sfn_diags diags;
    sfn_diags_init(&diags);
    sfn_graph *g = NULL;
    sfn_asl_opts opts = {0};
    assert_int_equal(sfn_asl_compile_text(text, strlen(text), &opts, &diags,
                                          &g),
                     SFN_OK);
    sfn_diags_free(&diags);
    return g;
}

static void test_check_graph_unbound_at_start(void **state)
{
    (void)state;
    sfn_graph *g = compile(
        "{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Parallel\","
        "\"Branches\":[{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":"
        "\"Task\",\"Resource\":\"arn:aws:states:::sqs:sendMessage\","
        "\"End\":true}}}],\"Next\":\"B\"},"
        "\"B\":{\"Type\":\"Task\",\"Resource\":\"arn:stepd:task:echo\","
        "\"End\":true}}}");
    sfn_tasks_config cfg = base_cfg();
    cfg.unbound = SFN_UNBOUND_AT_START;
    sfn_tasks *t = make(&cfg);
    sfn_error err;
    sfn_error_clear(&err);
    assert_int_equal(sfn_tasks_check_graph(t, g, NULL, &err), SFN_ENOTFOUND);
    assert_non_null(strstr(err.cause, "arn:aws:states:::sqs:sendMessage"));
    assert_non_null(strstr(err.cause, "'A'"));
    assert_false(sfn_tasks_can_run(t, "arn:aws:states:::sqs:sendMessage"));
    assert_true(sfn_tasks_can_run(
        t, "arn:aws:states:us-east-1:111122223333:activity:work"));
    sfn_tasks_free(t);
    sfn_binding b = {.resource = "arn:aws:states:::sqs:*",
                     .url = "http://127.0.0.1:9/x"};
    cfg.bindings = &b;
    cfg.n_bindings = 1;
    t = make(&cfg);
    assert_int_equal(sfn_tasks_check_graph(t, g, NULL, &err), SFN_OK);
    sfn_tasks_free(t);
    cfg = base_cfg(); /* unbound at state: never refused at start */
    t = make(&cfg);
    assert_int_equal(sfn_tasks_check_graph(t, g, NULL, &err), SFN_OK);
    sfn_tasks_free(t);
    sfn_graph_unref(g);
}

static void test_check_graph_lambda_function_name(void **state)
{
    (void)state;
    sfn_graph *g = compile(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Task\","
        "\"Resource\":\"arn:aws:states:::lambda:invoke\","
        "\"Parameters\":{\"FunctionName\":\"greet\"},\"End\":true}}}");
    sfn_tasks_config cfg = base_cfg();
    cfg.unbound = SFN_UNBOUND_AT_START;
    sfn_binding b = {.resource = "arn:aws:lambda:us-east-1:*:function:other",
                     .url = "http://127.0.0.1:9/x"};
    cfg.bindings = &b;
    cfg.n_bindings = 1;
    sfn_tasks *t = make(&cfg);
    sfn_error err;
    assert_int_equal(sfn_tasks_check_graph(t, g, NULL, &err), SFN_ENOTFOUND);
    sfn_tasks_free(t);
    b.resource = "arn:aws:lambda:us-east-1:*:function:greet";
    t = make(&cfg);
    assert_int_equal(sfn_tasks_check_graph(t, g, NULL, &err), SFN_OK);
    sfn_tasks_free(t);
    sfn_graph_unref(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http_json_result_shape),
        cmocka_unit_test(test_http_text_body_is_string),
        cmocka_unit_test(test_http_headers_query_json_body),
        cmocka_unit_test(test_http_string_body_sent_as_is),
        cmocka_unit_test(test_http_every_method),
        cmocka_unit_test(test_http_form_indices_default),
        cmocka_unit_test(test_http_form_repeat),
        cmocka_unit_test(test_http_form_commas),
        cmocka_unit_test(test_http_form_brackets),
        cmocka_unit_test(test_http_form_nested_object),
        cmocka_unit_test(test_http_missing_endpoint),
        cmocka_unit_test(test_http_bad_method),
        cmocka_unit_test(test_http_forbidden_header),
        cmocka_unit_test(test_http_bad_fields),
        cmocka_unit_test(test_http_404_error_and_cause),
        cmocka_unit_test(test_http_500_error),
        cmocka_unit_test(test_http_timeout_from_config),
        cmocka_unit_test(test_http_timeout_from_task),
        cmocka_unit_test(test_http_connection_refused),
        cmocka_unit_test(test_http_allowlist_refusal),
        cmocka_unit_test(test_http_redirect_followed),
        cmocka_unit_test(test_http_large_response),
        cmocka_unit_test(test_http_binary_response),
        cmocka_unit_test(test_conn_api_key_and_secret_redacted),
        cmocka_unit_test(test_conn_basic),
        cmocka_unit_test(test_conn_extra_headers_query_body),
        cmocka_unit_test(test_conn_unknown),
        cmocka_unit_test(test_conn_oauth_token_fetched_once),
        cmocka_unit_test(test_conn_oauth_failure_hides_secret),
        cmocka_unit_test(test_bind_lambda_arn),
        cmocka_unit_test(test_bind_lambda_invoke_bare_name),
        cmocka_unit_test(test_bind_lambda_invoke_full_arn_no_payload),
        cmocka_unit_test(test_bind_pattern_and_text_answer),
        cmocka_unit_test(test_bind_first_match_wins),
        cmocka_unit_test(test_bind_lambda_error_body),
        cmocka_unit_test(test_bind_lambda_message_only),
        cmocka_unit_test(test_bind_pattern_error_body),
        cmocka_unit_test(test_bind_http_500),
        cmocka_unit_test(test_bind_socket_error),
        cmocka_unit_test(test_bind_wait_for_task_token),
        cmocka_unit_test(test_bind_with_connection_and_headers),
        cmocka_unit_test(test_no_binding),
        cmocka_unit_test(test_builtin_echo_is_synchronous),
        cmocka_unit_test(test_mock_return_and_throw),
        cmocka_unit_test(test_mock_unmocked_state_runs),
        cmocka_unit_test(test_cancel_drops_callback),
        cmocka_unit_test(test_config_copy_is_deep),
        cmocka_unit_test(test_new_rejects_bad_config),
        cmocka_unit_test(test_check_graph_unbound_at_start),
        cmocka_unit_test(test_check_graph_lambda_function_name),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

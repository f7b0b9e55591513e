/* test_server.c: `stepd serve` end to end: starts the real binary (env
 * STEPD) on a free loopback port and drives the REST dialect, the limits,
 * bearer auth, /metrics, graceful shutdown, and the epoll pool's
 * concurrent and suspended requests over HTTP with libcurl.
 * Waiting is always polling against a deadline. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "serve_harness.h"

/* ---- processes and ports ----------------------------------------------- */

typedef sh_server server;

static server shared;

/* The pid of the running test's own server, killed by the teardown when a
 * failed assertion skipped the test's stop_server. */
static pid_t leftover_pid;

/* ---- HTTP with libcurl ------------------------------------------------- */

typedef struct {
    long status;
    char *body;
    size_t len;
    char location[512], www_auth[128], content_type[128];
    json_t *json; /* the body parsed, or NULL */
} reply;

static size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
    reply *r = ud;
    char *b = realloc(r->body, r->len + sz * n + 1);
    if (!b)
        return 0;
    memcpy(b + r->len, p, sz * n);
    r->body = b;
    r->len += sz * n;
    b[r->len] = '\0';
    return sz * n;
}

static void header_value(const char *line, size_t n, const char *name,
                         char *out, size_t size)
{
    size_t k = strlen(name);
    if (n <= k || strncasecmp(line, name, k))
        return;
    const char *v = line + k;
    while (*v == ' ')
        v++;
    size_t m = n - (size_t)(v - line);
    while (m && (v[m - 1] == '\r' || v[m - 1] == '\n'))
        m--;
    snprintf(out, size, "%.*s", (int)m, v);
}

static size_t on_header(char *p, size_t sz, size_t n, void *ud)
{
    reply *r = ud;
    header_value(p, sz * n, "Location:", r->location, sizeof r->location);
    header_value(p, sz * n, "WWW-Authenticate:", r->www_auth,
                 sizeof r->www_auth);
    header_value(p, sz * n, "Content-Type:", r->content_type,
                 sizeof r->content_type);
    return sz * n;
}

static void reply_free(reply *r)
{
    free(r->body);
    json_decref(r->json);
    memset(r, 0, sizeof *r);
}

/* One request; extra headers are "Name: value" strings, NULL-terminated. */
static reply http_h(const server *s, const char *method, const char *path,
                    const char *body, size_t body_len,
                    const char *const *headers)
{
    reply r;
    memset(&r, 0, sizeof r);
    char url[1024];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", s->port, path);
    CURL *c = curl_easy_init();
    assert_non_null(c);
    struct curl_slist *hl = curl_slist_append(NULL, "Expect:");
    for (int i = 0; headers && headers[i]; i++)
        hl = curl_slist_append(hl, headers[i]);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
                         (curl_off_t)body_len);
    }
    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK)
        r.status = -1;
    else
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    curl_slist_free_all(hl);
    curl_easy_cleanup(c);
    if (r.body)
        r.json = json_loads(r.body, JSON_DECODE_ANY, NULL);
    return r;
}

static const char *const json_ct[] = {"Content-Type: application/json",
                                      NULL};

static reply http(const server *s, const char *method, const char *path,
                  const char *body)
{
    return http_h(s, method, path, body, body ? strlen(body) : 0, json_ct);
}

static const char *jstr(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* ---- the server process ------------------------------------------------- */

static bool healthy(const server *s)
{
    reply r = http_h(s, "GET", "/healthz", NULL, 0, NULL);
    bool ok = r.status == 200 && r.json &&
              !strcmp(jstr(r.json, "status") ? jstr(r.json, "status") : "",
                      "ok");
    reply_free(&r);
    return ok;
}

/* The token goes in the child's environment; NULL unsets STEPD_TOKEN. */
static void start_server(server *s, const char *const *extra,
                         const char *token)
{
    assert_int_equal(sh_make_dir(s, "/tmp/stepd-test-server-XXXXXX"), 0);
    const char *const args[] = {"--log-level", "info", NULL};
    const char *const env[] = {"STEPD_TOKEN", token, NULL};
    sh_opts o = {.args = args, .extra = extra, .env = env};
    int rc = sh_start(s, &o);
    if (s != &shared)
        leftover_pid = s->pid;
    assert_int_equal(rc, 0);
}

/* The same db on a new port, as after a reboot. */
static void restart_server(server *s)
{
    s->port = 0;
    int rc = sh_restart(s);
    leftover_pid = s->pid;
    assert_int_equal(rc, 0);
}

/* SIGTERM and wait; returns the exit status (-1 when killed by a signal). */
static int stop_server(server *s)
{
    if (leftover_pid == s->pid)
        leftover_pid = 0;
    return sh_stop(s);
}

static int stop_leftover(void **state)
{
    (void)state;
    if (leftover_pid > 0) {
        kill(leftover_pid, SIGKILL);
        waitpid(leftover_pid, NULL, 0);
    }
    leftover_pid = 0;
    return 0;
}

/* ---- shared server and helpers ----------------------------------------- */


static const char hello_def[] =
    "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\","
    "\"Result\":{\"greeting\":\"hi\"},\"ResultPath\":\"$.out\","
    "\"End\":true}}}";
static const char wait_def[] =
    "{\"StartAt\":\"W\",\"States\":{\"W\":{\"Type\":\"Wait\","
    "\"Seconds\":3600,\"End\":true}}}";

static void put_machine(const server *s, const char *name, const char *def)
{
    char path[256];
    snprintf(path, sizeof path, "/v1/state-machines/%s", name);
    reply r = http(s, "PUT", path, def);
    if (r.status != 201 && r.status != 200)
        fail_msg("PUT %s: %ld %s", path, r.status, r.body);
    reply_free(&r);
}

/* Starts an execution; returns its Location (malloc'd). */
static char *start(const server *s, const char *machine, const char *name,
                   const char *input)
{
    char path[256];
    snprintf(path, sizeof path, "/v1/state-machines/%s/executions%s%s",
             machine, name ? "?name=" : "", name ? name : "");
    reply r = http(s, "POST", path, input);
    if (r.status != 201)
        fail_msg("POST %s: %ld %s", path, r.status, r.body);
    char *loc = strdup(r.location);
    reply_free(&r);
    return loc;
}

/* Polls GET location until the status is not RUNNING; returns the body. */
static json_t *wait_done(const server *s, const char *location)
{
    int64_t deadline = sh_now_ms() + 20000;
    for (;;) {
        reply r = http(s, "GET", location, NULL);
        assert_int_equal(r.status, 200);
        const char *st = jstr(r.json, "status");
        assert_non_null(st);
        if (strcmp(st, "RUNNING")) {
            json_t *j = json_incref(r.json);
            reply_free(&r);
            return j;
        }
        reply_free(&r);
        if (sh_now_ms() > deadline)
            fail_msg("%s still RUNNING", location);
        sh_pause_ms(20);
    }
}

static int group_setup(void **state)
{
    (void)state;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    start_server(&shared, NULL, NULL);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    int st = stop_server(&shared);
    sh_remove_dir(&shared);
    curl_global_cleanup();
    return st == 0 ? 0 : -1;
}

/* ---- machines ------------------------------------------------------------ */

static void test_put_creates_then_updates(void **state)
{
    (void)state;
    reply r = http(&shared, "PUT", "/v1/state-machines/put-me", hello_def);
    assert_int_equal(r.status, 201);
    assert_string_equal(r.location, "/v1/state-machines/put-me");
    assert_string_equal(jstr(r.json, "name"), "put-me");
    assert_string_equal(jstr(r.json, "stateMachineArn"),
                        "arn:aws:states:us-east-1:123456789012:"
                        "stateMachine:put-me");
    /* the definition comes back as JSON, the date as ISO 8601 */
    assert_string_equal(
        jstr(json_object_get(r.json, "definition"), "StartAt"), "A");
    const char *created = jstr(r.json, "creationDate");
    assert_non_null(created);
    assert_int_equal(strlen(created), 24);
    assert_int_equal(created[strlen(created) - 1], 'Z');
    reply_free(&r);
    r = http(&shared, "PUT", "/v1/state-machines/put-me", wait_def);
    assert_int_equal(r.status, 200);
    assert_string_equal(
        jstr(json_object_get(r.json, "definition"), "StartAt"), "W");
    reply_free(&r);
    r = http(&shared, "GET", "/v1/state-machines/put-me", NULL);
    assert_int_equal(r.status, 200);
    assert_string_equal(jstr(r.json, "type"), "STANDARD");
    reply_free(&r);
}

static void test_list_machines(void **state)
{
    (void)state;
    put_machine(&shared, "listed-a", hello_def);
    put_machine(&shared, "listed-b", hello_def);
    reply r = http(&shared, "GET", "/v1/state-machines?limit=1000", NULL);
    assert_int_equal(r.status, 200);
    json_t *arr = json_object_get(r.json, "stateMachines");
    assert_true(json_is_array(arr));
    int found = 0;
    size_t i;
    json_t *m;
    json_array_foreach(arr, i, m) {
        const char *n = jstr(m, "name");
        found += n && (!strcmp(n, "listed-a") || !strcmp(n, "listed-b"));
    }
    assert_int_equal(found, 2);
    reply_free(&r);
}

static void test_invalid_definition_has_diagnostics(void **state)
{
    (void)state;
    reply r = http(&shared, "PUT", "/v1/state-machines/broken",
                   "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\","
                   "\"Next\":\"Nowhere\"}}}");
    assert_int_equal(r.status, 400);
    assert_string_equal(jstr(r.json, "error"), "InvalidDefinition");
    assert_non_null(jstr(r.json, "message"));
    json_t *d = json_object_get(r.json, "details");
    assert_true(json_is_array(d));
    assert_true(json_array_size(d) >= 1);
    assert_string_equal(jstr(json_array_get(d, 0), "code"),
                        "MISSING_TRANSITION_TARGET");
    reply_free(&r);
    /* not stored */
    r = http(&shared, "GET", "/v1/state-machines/broken", NULL);
    assert_int_equal(r.status, 404);
    assert_string_equal(jstr(r.json, "error"), "StateMachineDoesNotExist");
    reply_free(&r);
}

static void test_invalid_json_definition(void **state)
{
    (void)state;
    reply r = http(&shared, "PUT", "/v1/state-machines/notjson", "{oops");
    assert_int_equal(r.status, 400);
    assert_string_equal(jstr(r.json, "error"), "InvalidDefinition");
    reply_free(&r);
}

static void test_validate(void **state)
{
    (void)state;
    reply r = http(&shared, "POST", "/v1/validate", hello_def);
    assert_int_equal(r.status, 200);
    assert_string_equal(jstr(r.json, "result"), "OK");
    reply_free(&r);
    r = http(&shared, "POST", "/v1/validate",
             "{\"StartAt\":\"A\",\"States\":{}}");
    assert_int_equal(r.status, 200);
    assert_string_equal(jstr(r.json, "result"), "FAIL");
    assert_true(json_array_size(json_object_get(r.json, "diagnostics")) > 0);
    reply_free(&r);
}

static void test_delete_machine(void **state)
{
    (void)state;
    put_machine(&shared, "doomed", hello_def);
    reply r = http(&shared, "DELETE", "/v1/state-machines/doomed", NULL);
    assert_int_equal(r.status, 204);
    reply_free(&r);
    r = http(&shared, "GET", "/v1/state-machines/doomed", NULL);
    assert_int_equal(r.status, 404);
    assert_string_equal(jstr(r.json, "error"), "StateMachineDoesNotExist");
    reply_free(&r);
    r = http(&shared, "DELETE", "/v1/state-machines/doomed", NULL);
    assert_int_equal(r.status, 404);
    reply_free(&r);
}

/* ---- executions ---------------------------------------------------------- */

static void test_execution_runs_to_success(void **state)
{
    (void)state;
    put_machine(&shared, "hello", hello_def);
    reply r = http(&shared, "POST", "/v1/state-machines/hello/executions"
                                    "?name=first",
                   "{\"x\":1}");
    assert_int_equal(r.status, 201);
    assert_string_equal(r.location, "/v1/executions/hello:first");
    assert_string_equal(jstr(r.json, "executionArn"),
                        "arn:aws:states:us-east-1:123456789012:"
                        "execution:hello:first");
    assert_string_equal(jstr(r.json, "id"), "hello:first");
    reply_free(&r);
    json_t *x = wait_done(&shared, "/v1/executions/hello:first");
    assert_string_equal(jstr(x, "status"), "SUCCEEDED");
    /* input and output are JSON values, not strings */
    json_t *want = json_loads("{\"x\":1,\"out\":{\"greeting\":\"hi\"}}", 0,
                              NULL);
    assert_true(json_equal(json_object_get(x, "output"), want));
    assert_int_equal(json_integer_value(
                         json_object_get(json_object_get(x, "input"), "x")),
                     1);
    assert_non_null(jstr(x, "stopDate"));
    json_decref(want);
    json_decref(x);
}

static void test_execution_by_arn(void **state)
{
    (void)state;
    put_machine(&shared, "hello", hello_def);
    char *loc = start(&shared, "hello", "by-arn", "{}");
    json_decref(wait_done(&shared, loc));
    free(loc);
    reply r = http(&shared, "GET",
                   "/v1/executions/arn%3Aaws%3Astates%3Aus-east-1%3A"
                   "123456789012%3Aexecution%3Ahello%3Aby-arn",
                   NULL);
    assert_int_equal(r.status, 200);
    assert_string_equal(jstr(r.json, "name"), "by-arn");
    reply_free(&r);
}

static void test_history_pages(void **state)
{
    (void)state;
    put_machine(&shared, "hello", hello_def);
    char *loc = start(&shared, "hello", "paged", "{}");
    json_decref(wait_done(&shared, loc));
    free(loc);
    const char *want[] = {"ExecutionStarted", "PassStateEntered",
                          "PassStateExited", "ExecutionSucceeded"};
    reply r = http(&shared, "GET",
                   "/v1/executions/hello:paged/history?limit=3", NULL);
    assert_int_equal(r.status, 200);
    json_t *ev = json_object_get(r.json, "events");
    assert_int_equal(json_array_size(ev), 3);
    for (int i = 0; i < 3; i++)
        assert_string_equal(jstr(json_array_get(ev, (size_t)i), "type"),
                            want[i]);
    const char *ts = jstr(json_array_get(ev, 0), "timestamp");
    assert_non_null(ts);
    assert_int_equal(ts[strlen(ts) - 1], 'Z');
    const char *cursor = jstr(r.json, "nextCursor");
    assert_non_null(cursor);
    char path[2048];
    char *esc = curl_easy_escape(NULL, cursor, 0);
    snprintf(path, sizeof path,
             "/v1/executions/hello:paged/history?limit=3&cursor=%s", esc);
    curl_free(esc);
    reply r2 = http(&shared, "GET", path, NULL);
    assert_int_equal(r2.status, 200);
    json_t *ev2 = json_object_get(r2.json, "events");
    assert_int_equal(json_array_size(ev2), 1);
    assert_string_equal(jstr(json_array_get(ev2, 0), "type"), want[3]);
    assert_null(json_object_get(r2.json, "nextCursor"));
    reply_free(&r2);
    reply_free(&r);
    r = http(&shared, "GET", "/v1/executions/hello:paged/history?reverse=true",
             NULL);
    assert_int_equal(r.status, 200);
    ev = json_object_get(r.json, "events");
    assert_int_equal(json_array_size(ev), 4);
    assert_string_equal(jstr(json_array_get(ev, 0), "type"),
                        "ExecutionSucceeded");
    reply_free(&r);
}

static void test_list_executions_filters_and_cursor(void **state)
{
    (void)state;
    put_machine(&shared, "lister", hello_def);
    for (int i = 0; i < 3; i++) {
        char name[16];
        snprintf(name, sizeof name, "l%d", i);
        char *loc = start(&shared, "lister", name, "{}");
        json_decref(wait_done(&shared, loc));
        free(loc);
    }
    reply r = http(&shared, "GET",
                   "/v1/executions?stateMachine=lister&status=succeeded"
                   "&limit=2",
                   NULL);
    assert_int_equal(r.status, 200);
    json_t *ex = json_object_get(r.json, "executions");
    assert_int_equal(json_array_size(ex), 2);
    assert_string_equal(jstr(json_array_get(ex, 0), "status"), "SUCCEEDED");
    assert_non_null(jstr(json_array_get(ex, 0), "id"));
    const char *cursor = jstr(r.json, "nextCursor");
    assert_non_null(cursor);
    char path[2048];
    char *esc = curl_easy_escape(NULL, cursor, 0);
    snprintf(path, sizeof path,
             "/v1/executions?stateMachine=lister&status=SUCCEEDED&limit=2"
             "&cursor=%s",
             esc);
    curl_free(esc);
    reply r2 = http(&shared, "GET", path, NULL);
    assert_int_equal(r2.status, 200);
    assert_int_equal(json_array_size(json_object_get(r2.json, "executions")),
                     1);
    reply_free(&r2);
    reply_free(&r);
    r = http(&shared, "GET",
             "/v1/executions?stateMachine=lister&status=RUNNING", NULL);
    assert_int_equal(r.status, 200);
    assert_int_equal(json_array_size(json_object_get(r.json, "executions")),
                     0);
    reply_free(&r);
    r = http(&shared, "GET", "/v1/executions", NULL);
    assert_int_equal(r.status, 400);
    assert_string_equal(jstr(r.json, "error"), "ValidationException");
    reply_free(&r);
    r = http(&shared, "GET", "/v1/executions?stateMachine=lister&limit=zero",
             NULL);
    assert_int_equal(r.status, 400);
    reply_free(&r);
}

static void test_stop_waiting_execution(void **state)
{
    (void)state;
    put_machine(&shared, "waiter", wait_def);
    char *loc = start(&shared, "waiter", "stopme", "{}");
    reply r = http(&shared, "GET", loc, NULL);
    assert_int_equal(r.status, 200);
    assert_string_equal(jstr(r.json, "status"), "RUNNING");
    reply_free(&r);
    char path[600];
    snprintf(path, sizeof path, "%s/stop", loc);
    r = http(&shared, "POST", path,
             "{\"error\":\"Manual\",\"cause\":\"test\",\"extra\":1}");
    assert_int_equal(r.status, 200);
    assert_non_null(jstr(r.json, "stopDate"));
    reply_free(&r);
    json_t *x = wait_done(&shared, loc);
    assert_string_equal(jstr(x, "status"), "ABORTED");
    assert_string_equal(jstr(x, "error"), "Manual");
    json_decref(x);
    snprintf(path, sizeof path, "%s/history?reverse=true&limit=1", loc);
    r = http(&shared, "GET", path, NULL);
    assert_string_equal(
        jstr(json_array_get(json_object_get(r.json, "events"), 0), "type"),
        "ExecutionAborted");
    reply_free(&r);
    free(loc);
}

static void test_unknown_execution(void **state)
{
    (void)state;
    reply r = http(&shared, "GET", "/v1/executions/hello:never", NULL);
    assert_int_equal(r.status, 404);
    assert_string_equal(jstr(r.json, "error"), "ExecutionDoesNotExist");
    reply_free(&r);
    r = http(&shared, "GET", "/v1/executions/plainname", NULL);
    assert_int_equal(r.status, 400);
    assert_string_equal(jstr(r.json, "error"), "InvalidArn");
    reply_free(&r);
}

static void test_start_unknown_machine(void **state)
{
    (void)state;
    reply r = http(&shared, "POST", "/v1/state-machines/ghost/executions",
                   "{}");
    assert_int_equal(r.status, 404);
    assert_string_equal(jstr(r.json, "error"), "StateMachineDoesNotExist");
    reply_free(&r);
}

static void test_duplicate_name_conflicts(void **state)
{
    (void)state;
    put_machine(&shared, "waiter", wait_def);
    char *loc = start(&shared, "waiter", "dup", "{\"a\":1}");
    free(loc);
    reply r = http(&shared, "POST",
                   "/v1/state-machines/waiter/executions?name=dup",
                   "{\"a\":2}");
    assert_int_equal(r.status, 409);
    assert_string_equal(jstr(r.json, "error"), "ExecutionAlreadyExists");
    reply_free(&r);
    r = http(&shared, "POST", "/v1/executions/waiter:dup/stop", NULL);
    assert_int_equal(r.status, 200);
    reply_free(&r);
}

/* ---- hardening ------------------------------------------------------- */

static void test_bad_json_input(void **state)
{
    (void)state;
    put_machine(&shared, "hello", hello_def);
    reply r = http(&shared, "POST", "/v1/state-machines/hello/executions",
                   "{\"x\": oops}");
    assert_int_equal(r.status, 400);
    assert_string_equal(jstr(r.json, "error"), "InvalidExecutionInput");
    assert_non_null(strstr(jstr(r.json, "message"), "not valid JSON"));
    reply_free(&r);
}

static void test_wrong_content_type(void **state)
{
    (void)state;
    const char *const h[] = {"Content-Type: text/plain", NULL};
    reply r = http_h(&shared, "PUT", "/v1/state-machines/typed", hello_def,
                     strlen(hello_def), h);
    assert_int_equal(r.status, 415);
    assert_string_equal(jstr(r.json, "error"), "UnsupportedMediaType");
    reply_free(&r);
    const char *const form[] = {
        "Content-Type: application/x-www-form-urlencoded", NULL};
    r = http_h(&shared, "POST", "/v1/state-machines/hello/executions", "{}",
               2, form);
    assert_int_equal(r.status, 415);
    reply_free(&r);
}

static void test_oversized_rest_body_413(void **state)
{
    (void)state;
    size_t n = 300 * 1024;
    char *big = malloc(n + 1);
    assert_non_null(big);
    memset(big, ' ', n);
    big[0] = '{';
    big[n - 1] = '}';
    big[n] = '\0';
    reply r = http(&shared, "POST", "/v1/state-machines/hello/executions",
                   big);
    assert_int_equal(r.status, 413);
    assert_string_equal(jstr(r.json, "error"), "PayloadTooLarge");
    reply_free(&r);
    /* chunked: no Content-Length, the cap applies while reading */
    const char *const chunked[] = {"Content-Type: application/json",
                                   "Transfer-Encoding: chunked", NULL};
    r = http_h(&shared, "POST", "/v1/state-machines/hello/executions", big, n,
               chunked);
    assert_int_equal(r.status, 413);
    reply_free(&r);
    free(big);
    /* the server is still fine */
    assert_true(healthy(&shared));
}

static void test_oversized_aws_body_400(void **state)
{
    (void)state;
    size_t n = 700 * 1024;
    char *big = malloc(n + 1);
    assert_non_null(big);
    memset(big, ' ', n);
    big[0] = '{';
    big[n - 1] = '}';
    big[n] = '\0';
    const char *const h[] = {"Content-Type: application/x-amz-json-1.0",
                             "X-Amz-Target: AWSStepFunctions.StartExecution",
                             NULL};
    reply r = http_h(&shared, "POST", "/", big, n, h);
    assert_int_equal(r.status, 400);
    assert_string_equal(jstr(r.json, "__type"), "ValidationException");
    reply_free(&r);
    free(big);
}

static void test_aws_protocol_dispatch(void **state)
{
    (void)state;
    const char *const h[] = {"Content-Type: application/x-amz-json-1.0",
                             "X-Amz-Target: AWSStepFunctions.ListStateMachines",
                             NULL};
    reply r = http_h(&shared, "POST", "/", "{}", 2, h);
    assert_int_equal(r.status, 200);
    assert_true(json_is_array(json_object_get(r.json, "stateMachines")));
    reply_free(&r);
}

static void test_unknown_routes_404(void **state)
{
    (void)state;
    const char *paths[] = {"/nope", "/v1/nope", "/v1"};
    for (int i = 0; i < 3; i++) {
        reply r = http(&shared, "GET", paths[i], NULL);
        assert_int_equal(r.status, 404);
        assert_string_equal(jstr(r.json, "error"), "NotFound");
        reply_free(&r);
    }
    /* the root leads to the web console */
    reply r = http(&shared, "GET", "/", NULL);
    assert_int_equal(r.status, 301);
    reply_free(&r);
}

static void test_method_not_allowed(void **state)
{
    (void)state;
    reply r = http(&shared, "DELETE", "/v1/executions", NULL);
    assert_int_equal(r.status, 405);
    assert_string_equal(jstr(r.json, "error"), "MethodNotAllowed");
    reply_free(&r);
}

static void test_metrics(void **state)
{
    (void)state;
    put_machine(&shared, "hello", hello_def);
    char *loc = start(&shared, "hello", NULL, "{}");
    json_decref(wait_done(&shared, loc));
    free(loc);
    reply r = http_h(&shared, "GET", "/metrics", NULL, 0, NULL);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.content_type, "text/plain"));
    const char *want[] = {
        "# TYPE stepd_executions_started_total counter",
        "stepd_executions_succeeded_total ",
        "stepd_executions_failed_total ",
        "stepd_executions_timed_out_total ",
        "stepd_executions_aborted_total ",
        "# TYPE stepd_executions_open gauge",
        "stepd_transitions_total ",
        "# TYPE stepd_http_request_duration_seconds histogram",
        "stepd_http_request_duration_seconds_bucket{route=\"POST "
        "/v1/state-machines/{name}/executions\",le=\"+Inf\"}",
        "# TYPE stepd_commit_batch_events histogram",
        "stepd_commit_batch_events_bucket{le=\"+Inf\"} ",
        "# TYPE stepd_commit_duration_seconds histogram",
        "stepd_commit_duration_seconds_count ",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!strstr(r.body, want[i]))
            fail_msg("/metrics lacks '%s'", want[i]);
    /* at least one execution was started and succeeded */
    const char *key = "\nstepd_executions_succeeded_total ";
    const char *p = strstr(r.body, key);
    assert_non_null(p);
    assert_true(atoll(p + strlen(key)) >= 1);
    /* the commit that made it durable is counted */
    key = "\nstepd_commit_duration_seconds_count ";
    p = strstr(r.body, key);
    assert_non_null(p);
    assert_true(atoll(p + strlen(key)) >= 1);
    reply_free(&r);
}

/* ---- separate servers ------------------------------------------------ */

static void test_bearer_auth(void **state)
{
    (void)state;
    server s;
    start_server(&s, NULL, "secret-token-1234");
    reply r = http(&s, "GET", "/v1/state-machines", NULL);
    assert_int_equal(r.status, 401);
    assert_non_null(strstr(r.www_auth, "Bearer"));
    assert_string_equal(jstr(r.json, "error"), "Unauthorized");
    reply_free(&r);
    const char *const wrong[] = {"Authorization: Bearer secret-token-1235",
                                 NULL};
    r = http_h(&s, "GET", "/v1/state-machines", NULL, 0, wrong);
    assert_int_equal(r.status, 401);
    reply_free(&r);
    const char *const right[] = {"Authorization: Bearer secret-token-1234",
                                 NULL};
    r = http_h(&s, "GET", "/v1/state-machines", NULL, 0, right);
    assert_int_equal(r.status, 200);
    reply_free(&r);
    r = http_h(&s, "GET", "/metrics", NULL, 0, NULL);
    assert_int_equal(r.status, 401);
    reply_free(&r);
    assert_true(healthy(&s)); /* /healthz stays open */
    assert_int_equal(stop_server(&s), 0);
    sh_remove_dir(&s);
}

static void test_sigterm_then_restart_resumes(void **state)
{
    (void)state;
    server s;
    start_server(&s, NULL, NULL);
    put_machine(&s, "nap",
                "{\"StartAt\":\"W\",\"States\":{\"W\":{\"Type\":\"Wait\","
                "\"Seconds\":2,\"Next\":\"P\"},\"P\":{\"Type\":\"Pass\","
                "\"Result\":\"woke\",\"End\":true}}}");
    char *loc = start(&s, "nap", "sleeper", "{}");
    assert_int_equal(stop_server(&s), 0);
    FILE *f = fopen(s.log, "r");
    assert_non_null(f);
    char line[1024];
    bool said_stopped = false;
    while (fgets(line, sizeof line, f))
        said_stopped |= strstr(line, "stopped") != NULL;
    fclose(f);
    assert_true(said_stopped);
    restart_server(&s);
    json_t *x = wait_done(&s, loc);
    assert_string_equal(jstr(x, "status"), "SUCCEEDED");
    assert_string_equal(json_string_value(json_object_get(x, "output")),
                        "woke");
    json_decref(x);
    free(loc);
    assert_int_equal(stop_server(&s), 0);
    sh_remove_dir(&s);
}

/* A client that stops sending mid-request is dropped after the timeout. */
static void test_slow_client_dropped(void **state)
{
    (void)state;
    server s;
    const char *const extra[] = {"--limits-connection-timeout-seconds", "1",
                                 NULL};
    start_server(&s, extra, NULL);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)s.port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    const char part[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
    assert_int_equal(write(fd, part, sizeof part - 1), sizeof part - 1);
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int64_t t0 = sh_now_ms();
    assert_int_equal(poll(&p, 1, 10000), 1);
    char buf[64];
    assert_true(read(fd, buf, sizeof buf) <= 0); /* closed, no answer */
    assert_true(sh_now_ms() - t0 < 9000);
    close(fd);
    assert_int_equal(stop_server(&s), 0);
    sh_remove_dir(&s);
}

static void test_per_ip_connection_limit(void **state)
{
    (void)state;
    server s;
    const char *const extra[] = {"--limits-per-ip-connections", "2", NULL};
    start_server(&s, extra, NULL);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)s.port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct pollfd p[3];
    for (int i = 0; i < 3; i++) {
        p[i] = (struct pollfd){.fd = socket(AF_INET, SOCK_STREAM, 0),
                               .events = POLLIN};
        assert_int_equal(connect(p[i].fd, (struct sockaddr *)&a, sizeof a),
                         0);
    }
    /* one of them (the third, or the second while the /healthz probe's
     * connection is still counted) is closed without an answer */
    assert_true(poll(p, 3, 10000) >= 1);
    int closed = 0;
    for (int i = 0; i < 3; i++) {
        char buf[64];
        if (p[i].revents && read(p[i].fd, buf, sizeof buf) <= 0)
            closed++;
    }
    assert_true(closed >= 1);
    for (int i = 0; i < 3; i++)
        close(p[i].fd);
    assert_int_equal(stop_server(&s), 0);
    sh_remove_dir(&s);
}

/* ---- the epoll pool: concurrent and suspended requests ------------------ */

/* One request of a batch run concurrently with curl's multi interface. */
typedef struct {
    CURL *h;
    struct curl_slist *hl;
    reply r;
    char url[512];
    char body[256];
    bool done;
} batch_req;

static void batch_add(CURLM *m, batch_req *b, const server *s,
                      const char *path, const char *body,
                      const char *const *headers)
{
    memset(b, 0, sizeof *b);
    snprintf(b->url, sizeof b->url, "http://127.0.0.1:%d%s", s->port, path);
    snprintf(b->body, sizeof b->body, "%s", body);
    b->h = curl_easy_init();
    assert_non_null(b->h);
    b->hl = curl_slist_append(NULL, "Expect:");
    for (int i = 0; headers[i]; i++)
        b->hl = curl_slist_append(b->hl, headers[i]);
    curl_easy_setopt(b->h, CURLOPT_URL, b->url);
    curl_easy_setopt(b->h, CURLOPT_HTTPHEADER, b->hl);
    curl_easy_setopt(b->h, CURLOPT_POSTFIELDS, b->body);
    curl_easy_setopt(b->h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(b->h, CURLOPT_WRITEDATA, &b->r);
    curl_easy_setopt(b->h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(b->h, CURLOPT_HEADERDATA, &b->r);
    curl_easy_setopt(b->h, CURLOPT_TIMEOUT, 90L);
    curl_easy_setopt(b->h, CURLOPT_PRIVATE, b);
    curl_multi_add_handle(m, b->h);
}

/* Drives the batch until `until` requests finished (or all of them) or
 * for_ms passed (0 = no limit); returns how many finished in this call. */
static int batch_drive(CURLM *m, int until, int64_t for_ms)
{
    int finished = 0, running = 1;
    int64_t end = sh_now_ms() + for_ms;
    while (running && finished < until && (!for_ms || sh_now_ms() < end)) {
        curl_multi_perform(m, &running);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(m, &left))) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            batch_req *b = NULL;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &b);
            if (msg->data.result == CURLE_OK)
                curl_easy_getinfo(b->h, CURLINFO_RESPONSE_CODE, &b->r.status);
            else
                b->r.status = -1;
            if (b->r.body)
                b->r.json = json_loads(b->r.body, JSON_DECODE_ANY, NULL);
            b->done = true;
            finished++;
        }
        if (running && finished < until)
            curl_multi_poll(m, NULL, 0, 100, NULL);
    }
    return finished;
}

static int batch_run(CURLM *m, int until)
{
    return batch_drive(m, until, 0);
}

static void batch_free(CURLM *m, batch_req *b, int n)
{
    for (int i = 0; i < n; i++) {
        curl_multi_remove_handle(m, b[i].h);
        curl_easy_cleanup(b[i].h);
        curl_slist_free_all(b[i].hl);
        reply_free(&b[i].r);
    }
}

static const char *const aws_start_h[] = {
    "Content-Type: application/x-amz-json-1.0",
    "X-Amz-Target: AWSStepFunctions.StartExecution", NULL};

#define BURST 96
#define BURST_DUPS 4

/* Many StartExecutions at once over both dialects, on fewer connections
 * than requests: each is answered with its own execution (names i), and
 * a repeated name with the same input gets the same one (idempotent). */
static void test_concurrent_starts_answered(void **state)
{
    (void)state;
    /* still running when the repeats arrive, which makes them idempotent */
    put_machine(&shared, "burst", wait_def);
    const char *marn =
        "arn:aws:states:us-east-1:123456789012:stateMachine:burst";
    CURLM *m = curl_multi_init();
    curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, 32L);
    batch_req *b = calloc(BURST + BURST_DUPS, sizeof *b);
    assert_non_null(b);
    for (int i = 0; i < BURST + BURST_DUPS; i++) {
        int k = i < BURST ? i : i - BURST; /* the duplicates repeat 0..3 */
        char path[128], body[256];
        if (k % 2 == 0) {
            snprintf(body, sizeof body,
                     "{\"stateMachineArn\":\"%s\",\"name\":\"b-%d\","
                     "\"input\":\"{\\\"i\\\":%d}\"}",
                     marn, k, k);
            batch_add(m, &b[i], &shared, "/", body, aws_start_h);
        } else {
            snprintf(path, sizeof path,
                     "/v1/state-machines/burst/executions?name=b-%d", k);
            snprintf(body, sizeof body, "{\"i\":%d}", k);
            batch_add(m, &b[i], &shared, path, body, json_ct);
        }
    }
    assert_int_equal(batch_run(m, BURST + BURST_DUPS), BURST + BURST_DUPS);
    for (int i = 0; i < BURST + BURST_DUPS; i++) {
        int k = i < BURST ? i : i - BURST;
        char want[256];
        snprintf(want, sizeof want,
                 "arn:aws:states:us-east-1:123456789012:execution:burst:b-%d",
                 k);
        if (b[i].r.status != (k % 2 ? 201 : 200))
            fail_msg("request %d: %ld %s", i, b[i].r.status,
                     b[i].r.body ? b[i].r.body : "");
        assert_string_equal(jstr(b[i].r.json, "executionArn"), want);
    }
    batch_free(m, b, BURST + BURST_DUPS);
    free(b);
    curl_multi_cleanup(m);
    reply r = http(&shared, "GET",
                   "/v1/executions?stateMachine=burst&limit=1000", NULL);
    assert_int_equal(r.status, 200);
    assert_int_equal(json_array_size(json_object_get(r.json, "executions")),
                     BURST);
    reply_free(&r);
}

/* With a pool of one thread, a long poll waiting in the engine does not
 * hold the thread: other requests are served meanwhile.  SIGTERM answers
 * the poll at once (204) and the server exits 0. */
static void test_long_poll_does_not_block_pool(void **state)
{
    (void)state;
    server s;
    const char *const extra[] = {"--threads", "1", NULL};
    start_server(&s, extra, NULL);
    reply r = http(&s, "POST", "/v1/activities", "{\"name\":\"q\"}");
    if (r.status != 201)
        fail_msg("POST /v1/activities: %ld %s", r.status, r.body);
    reply_free(&r);
    put_machine(&s, "quick", hello_def);
    CURLM *m = curl_multi_init();
    batch_req poll_req;
    batch_add(m, &poll_req, &s, "/v1/activities/q/poll?wait=60", "",
              json_ct);
    /* sent and waiting in the engine, not answered */
    assert_int_equal(batch_drive(m, 1, 500), 0);
    int64_t t0 = sh_now_ms();
    for (int i = 0; i < 3; i++) {
        char *loc = start(&s, "quick", NULL, "{}");
        free(loc);
    }
    assert_true(sh_now_ms() - t0 < 5000);
    assert_false(poll_req.done);
    t0 = sh_now_ms();
    kill(s.pid, SIGTERM);
    assert_int_equal(batch_run(m, 1), 1);
    assert_int_equal(poll_req.r.status, 204);
    assert_int_equal(stop_server(&s), 0);
    assert_true(sh_now_ms() - t0 < 10000);
    batch_free(m, &poll_req, 1);
    curl_multi_cleanup(m);
    sh_remove_dir(&s);
}

#define INFLIGHT 64

/* SIGTERM while StartExecutions are in flight: every request is answered
 * 200, refused before it was accepted, or answered 503; the server exits
 * 0, and after a restart every acknowledged execution is there. */
static void test_sigterm_with_starts_in_flight(void **state)
{
    (void)state;
    server s;
    start_server(&s, NULL, NULL);
    put_machine(&s, "inflight", wait_def);
    const char *marn =
        "arn:aws:states:us-east-1:123456789012:stateMachine:inflight";
    CURLM *m = curl_multi_init();
    curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, 16L);
    batch_req *b = calloc(INFLIGHT, sizeof *b);
    assert_non_null(b);
    for (int i = 0; i < INFLIGHT; i++) {
        char body[256];
        snprintf(body, sizeof body,
                 "{\"stateMachineArn\":\"%s\",\"name\":\"f-%d\"}", marn, i);
        batch_add(m, &b[i], &s, "/", body, aws_start_h);
    }
    int finished = batch_run(m, 8);
    kill(s.pid, SIGTERM);
    finished += batch_run(m, INFLIGHT);
    assert_int_equal(finished, INFLIGHT);
    assert_int_equal(stop_server(&s), 0);
    int acked = 0;
    for (int i = 0; i < INFLIGHT; i++) {
        long st = b[i].r.status;
        if (st != 200 && st != -1 && st != 503)
            fail_msg("request %d: %ld %s", i, st,
                     b[i].r.body ? b[i].r.body : "");
        acked += st == 200;
    }
    assert_true(acked >= 8);
    restart_server(&s);
    for (int i = 0; i < INFLIGHT; i++) {
        if (b[i].r.status != 200)
            continue;
        char path[128];
        snprintf(path, sizeof path, "/v1/executions/inflight:f-%d", i);
        reply r = http(&s, "GET", path, NULL);
        if (r.status != 200)
            fail_msg("acknowledged %s: %ld", path, r.status);
        reply_free(&r);
    }
    batch_free(m, b, INFLIGHT);
    free(b);
    curl_multi_cleanup(m);
    assert_int_equal(stop_server(&s), 0);
    sh_remove_dir(&s);
}

/* threads = -1 keeps the former mode, a thread per connection. */
static void test_thread_per_connection_mode(void **state)
{
    (void)state;
    server s;
    const char *const extra[] = {"--threads", "-1", NULL};
    start_server(&s, extra, NULL);
    put_machine(&s, "hello", hello_def);
    char *loc = start(&s, "hello", "one", "{}");
    json_t *x = wait_done(&s, loc);
    assert_string_equal(jstr(x, "status"), "SUCCEEDED");
    json_decref(x);
    free(loc);
    assert_int_equal(stop_server(&s), 0);
    sh_remove_dir(&s);
}

static void test_bad_config_exits_2(void **state)
{
    (void)state;
    char log[] = "/tmp/stepd-test-badcfg-XXXXXX";
    int fd = mkstemp(log);
    assert_true(fd >= 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(fd, 2);
        execl(getenv("STEPD"), "stepd", "serve", "--log-level", "loud",
              (char *)NULL);
        _exit(127);
    }
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    close(fd);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 2);
    FILE *f = fopen(log, "r");
    assert_non_null(f);
    char line[512] = "";
    assert_non_null(fgets(line, sizeof line, f));
    fclose(f);
    unlink(log);
    assert_non_null(strstr(line, "log.level"));
    assert_non_null(strstr(line, "loud"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_teardown(f, stop_leftover)
        T(test_put_creates_then_updates),
        T(test_list_machines),
        T(test_invalid_definition_has_diagnostics),
        T(test_invalid_json_definition),
        T(test_validate),
        T(test_delete_machine),
        T(test_execution_runs_to_success),
        T(test_execution_by_arn),
        T(test_history_pages),
        T(test_list_executions_filters_and_cursor),
        T(test_stop_waiting_execution),
        T(test_unknown_execution),
        T(test_start_unknown_machine),
        T(test_duplicate_name_conflicts),
        T(test_bad_json_input),
        T(test_wrong_content_type),
        T(test_oversized_rest_body_413),
        T(test_oversized_aws_body_400),
        T(test_aws_protocol_dispatch),
        T(test_unknown_routes_404),
        T(test_method_not_allowed),
        T(test_metrics),
        T(test_bearer_auth),
        T(test_sigterm_then_restart_resumes),
        T(test_slow_client_dropped),
        T(test_per_ip_connection_limit),
        T(test_bad_config_exits_2),
        T(test_concurrent_starts_answered),
        T(test_long_poll_does_not_block_pool),
        T(test_sigterm_with_starts_in_flight),
        T(test_thread_per_connection_mode),
#undef T
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

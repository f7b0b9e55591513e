/* test_httpc.c: the libcurl multi HTTP client (runtime/http/sfn_httpc.h)
 * against a real local server (http_fixture.h): methods, bodies, headers,
 * status codes, failures, redirects, the allowlist, limits, concurrency,
 * cancel and wake-up. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <netinet/in.h>
#include <pthread.h>

#include "http_fixture.h"
#include "sfn_httpc.h"

/* A finished transfer, copied out of the callback's borrowed response. */
typedef struct result {
    bool done;
    int calls;
    sfn_httpc_status status;
    long code;
    char *reason, *body, *url, *error;
    size_t body_len;
    json_t *headers;
    int64_t elapsed_ms;
} result;

static void on_result(void *ud, const sfn_httpc_response *r)
{
    result *out = ud;
    out->calls++;
    out->done = true;
    out->status = r->status;
    out->code = r->code;
    out->reason = strdup(r->reason ? r->reason : "");
    out->body = hfx__dupn(r->body ? r->body : "", r->body_len);
    out->body_len = r->body_len;
    out->url = strdup(r->url ? r->url : "");
    out->error = r->error ? strdup(r->error) : NULL;
    out->headers = json_incref(r->headers);
    out->elapsed_ms = r->elapsed_ms;
}

static void result_clear(result *r)
{
    free(r->reason);
    free(r->body);
    free(r->url);
    free(r->error);
    json_decref(r->headers);
    memset(r, 0, sizeof *r);
}

/* Polls until `*flag` is set; bounded by wall time, never sleeps. */
static void poll_until(sfn_httpc *c, const bool *flag)
{
    int64_t end = hfx__now_ms() + 15000;
    while (!*flag && hfx__now_ms() < end)
        sfn_httpc_poll(c, 100);
    assert_true(*flag);
}

static result run_req(sfn_httpc *c, const sfn_httpc_request *req)
{
    result r = {0};
    sfn_error err = {0};
    assert_int_equal(sfn_httpc_submit(c, req, on_result, &r, NULL, &err),
                     SFN_OK);
    poll_until(c, &r.done);
    assert_int_equal(r.calls, 1);
    return r;
}

static result run_simple(sfn_httpc *c, const char *method, const char *url)
{
    sfn_httpc_request req = {.method = method, .url = url,
                             .max_redirects = -1};
    return run_req(c, &req);
}

static const char *header0(const result *r, const char *name)
{
    return json_string_value(
        json_array_get(json_object_get(r->headers, name), 0));
}

typedef struct fixture {
    hfx_server *srv;
    sfn_httpc *c;
} fixture;

static sfn_httpc *client_with(const char *const *allow, size_t n,
                              size_t max_body)
{
    sfn_error err = {0};
    sfn_httpc_opts o = {.allow = allow, .n_allow = n,
                        .max_response_bytes = max_body};
    sfn_httpc *c = sfn_httpc_new(&o, &err);
    assert_non_null(c);
    return c;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->srv = hfx_start();
    assert_non_null(f->srv);
    f->c = client_with(NULL, 0, 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    sfn_httpc_free(f->c);
    hfx_stop(f->srv);
    free(f);
    return 0;
}

/* ==== methods, bodies, headers, codes ==== */

static void test_get_json(void **state)
{
    fixture *f = *state;
    hfx_route_add(f->srv, &(hfx_route){.method = "GET", .path = "/j",
                                       .content_type = "application/json",
                                       .body = "{\"a\":1}"});
    result r = run_simple(f->c, "GET", hfx_url(f->srv, "/j?x=1"));
    assert_int_equal(r.status, SFN_HTTPC_OK);
    assert_int_equal(r.code, 200);
    assert_string_equal(r.reason, "OK");
    assert_string_equal(r.body, "{\"a\":1}");
    assert_int_equal(r.body_len, 7);
    assert_string_equal(header0(&r, "content-type"), "application/json");
    assert_string_equal(r.url, hfx_url(f->srv, "/j?x=1"));
    assert_null(r.error);
    const hfx_request *q = hfx_last(f->srv, "/j");
    assert_non_null(q);
    assert_string_equal(q->method, "GET");
    assert_string_equal(q->uri, "/j?x=1");
    assert_string_equal(hfx_req_header(q, "user-agent"), "stepd");
    result_clear(&r);
}

static void test_post_json_body_and_headers(void **state)
{
    fixture *f = *state;
    hfx_route_add(f->srv, &(hfx_route){.path = "/p", .status = 201,
                                       .echo = HFX_ECHO_BODY});
    const char *hdr[] = {"Content-Type: application/json",
                         "Idempotency-Key: exec-1/state/0"};
    const char *body = "{\"k\":[1,2]}";
    sfn_httpc_request req = {.method = "POST", .url = hfx_url(f->srv, "/p"),
                             .headers = hdr, .n_headers = 2, .body = body,
                             .body_len = strlen(body), .max_redirects = -1};
    result r = run_req(f->c, &req);
    assert_int_equal(r.status, SFN_HTTPC_OK);
    assert_int_equal(r.code, 201);
    assert_string_equal(r.reason, "Created");
    assert_string_equal(r.body, body);
    assert_string_equal(header0(&r, "content-type"), "application/json");
    const hfx_request *q = hfx_last(f->srv, "/p");
    assert_string_equal(q->method, "POST");
    assert_string_equal(q->body, body);
    assert_string_equal(hfx_req_header(q, "idempotency-key"),
                        "exec-1/state/0");
    assert_string_equal(hfx_req_header(q, "content-length"), "11");
    assert_null(hfx_req_header(q, "expect"));
    result_clear(&r);
}

static void test_post_text_body_without_content_type(void **state)
{
    fixture *f = *state;
    hfx_route_add(f->srv, &(hfx_route){.path = "/t", .echo = HFX_ECHO_BODY});
    sfn_httpc_request req = {.method = "POST", .url = hfx_url(f->srv, "/t"),
                             .body = "a=b\nc", .body_len = 5,
                             .max_redirects = -1};
    result r = run_req(f->c, &req);
    assert_int_equal(r.code, 200);
    assert_string_equal(r.body, "a=b\nc");
    /* no form content type is invented for a body */
    assert_null(hfx_req_header(hfx_last(f->srv, "/t"), "content-type"));
    result_clear(&r);
}

static void test_binary_body_with_nul(void **state)
{
    fixture *f = *state;
    hfx_route_add(f->srv, &(hfx_route){.path = "/bin", .body = "x\0y",
                                       .body_len = 3});
    const char body[] = {'a', '\0', 'b'};
    sfn_httpc_request req = {.method = "PUT", .url = hfx_url(f->srv, "/bin"),
                             .body = body, .body_len = 3, .max_redirects = -1};
    result r = run_req(f->c, &req);
    assert_int_equal(r.body_len, 3);
    assert_memory_equal(r.body, "x\0y", 3);
    const hfx_request *q = hfx_last(f->srv, "/bin");
    assert_int_equal(q->body_len, 3);
    assert_memory_equal(q->body, body, 3);
    result_clear(&r);
}

static void test_put_with_body(void **state)
{
    fixture *f = *state;
    hfx_route_add(f->srv, &(hfx_route){.method = "PUT", .path = "/r/*",
                                       .status = 204});
    sfn_httpc_request req = {.method = "PUT", .url = hfx_url(f->srv, "/r/7"),
                             .body = "{}", .body_len = 2, .max_redirects = -1};
    result r = run_req(f->c, &req);
    assert_int_equal(r.code, 204);
    assert_string_equal(r.reason, "No Content");
    assert_int_equal(r.body_len, 0);
    const hfx_request *q = hfx_last(f->srv, "/r/7");
    assert_string_equal(q->method, "PUT");
    assert_string_equal(q->body, "{}");
    result_clear(&r);
}

static void test_put_without_body_sends_zero_length(void **state)
{
    fixture *f = *state;
    hfx_route_add(f->srv, &(hfx_route){.method = "PUT", .path = "/e"});
    result r = run_simple(f->c, "PUT", hfx_url(f->srv, "/e"));
    assert_int_equal(r.code, 200);
    assert_string_equal(hfx_req_header(hfx_last(f->srv, "/e"),
                                       "content-length"), "0");
    result_clear(&r);
}

static void test_delete(void **state)
{
    fixture *f = *state;
    hfx_route_add(f->srv, &(hfx_route){.method = "DELETE", .path = "/d",
                                       .body = "gone"});
    result r = run_simple(f->c, "DELETE", hfx_url(f->srv, "/d"));
    assert_int_equal(r.code, 200);
    assert_string_equal(r.body, "gone");
    assert_string_equal(hfx_last(f->srv, "/d")->method, "DELETE");
    result_clear(&r);
}

static void test_head_has_headers_no_body(void **state)
{
    fixture *f = *state;
    hfx_route_add(f->srv, &(hfx_route){.path = "/h", .large_bytes = 5000,
                                       .content_type = "text/plain"});
    /* the announced length is above the cap, but HEAD carries no body */
    sfn_httpc *c = client_with(NULL, 0, 1000);
    result r = run_simple(c, "HEAD", hfx_url(f->srv, "/h"));
    assert_int_equal(r.status, SFN_HTTPC_OK);
    assert_int_equal(r.code, 200);
    assert_int_equal(r.body_len, 0);
    assert_string_equal(header0(&r, "content-length"), "5000");
    assert_string_equal(hfx_last(f->srv, "/h")->method, "HEAD");
    result_clear(&r);
    sfn_httpc_free(c);
}

static void test_patch_and_options(void **state)
{
    fixture *f = *state;
    hfx_route_add(f->srv, &(hfx_route){.path = "/m",
                                       .echo = HFX_ECHO_REQUEST});
    result r = run_simple(f->c, "PATCH", hfx_url(f->srv, "/m"));
    assert_string_equal(hfx_last(f->srv, "/m")->method, "PATCH");
    result_clear(&r);
    r = run_simple(f->c, "OPTIONS", hfx_url(f->srv, "/m"));
    assert_string_equal(hfx_last(f->srv, "/m")->method, "OPTIONS");
    assert_int_equal(r.code, 200);
    result_clear(&r);
}

static void test_repeated_headers_lower_case(void **state)
{
    fixture *f = *state;
    hfx_route_add(f->srv,
                  &(hfx_route){.path = "/hh", .body = "x",
                               .headers = "X-Multi: one\nX-MULTI: two\n"
                                          "Set-Cookie: a=1\n"
                                          "X-Latin1: caf\xe9"});
    result r = run_simple(f->c, "GET", hfx_url(f->srv, "/hh"));
    json_t *m = json_object_get(r.headers, "x-multi");
    assert_int_equal(json_array_size(m), 2);
    assert_string_equal(json_string_value(json_array_get(m, 0)), "one");
    assert_string_equal(json_string_value(json_array_get(m, 1)), "two");
    assert_null(json_object_get(r.headers, "X-Multi"));
    assert_string_equal(header0(&r, "set-cookie"), "a=1");
    assert_string_equal(header0(&r, "content-length"), "1");
    assert_string_equal(header0(&r, "x-latin1"), "caf?");
    result_clear(&r);
}

static void test_404_and_500_are_responses(void **state)
{
    fixture *f = *state;
    hfx_route_add(f->srv, &(hfx_route){.path = "/500", .status = 500,
                                       .body = "boom"});
    result r = run_simple(f->c, "GET", hfx_url(f->srv, "/missing"));
    assert_int_equal(r.status, SFN_HTTPC_OK);
    assert_int_equal(r.code, 404);
    assert_string_equal(r.reason, "Not Found");
    assert_string_equal(r.body, "no route");
    result_clear(&r);
    r = run_simple(f->c, "GET", hfx_url(f->srv, "/500"));
    assert_int_equal(r.status, SFN_HTTPC_OK);
    assert_int_equal(r.code, 500);
    assert_string_equal(r.reason, "Internal Server Error");
    assert_string_equal(r.body, "boom");
    result_clear(&r);
}

static void test_chunked_body(void **state)
{
    fixture *f = *state;
    hfx_route_add(f->srv, &(hfx_route){.path = "/ch", .large_bytes = 20000,
                                       .chunked = true});
    result r = run_simple(f->c, "GET", hfx_url(f->srv, "/ch"));
    assert_int_equal(r.code, 200);
    assert_int_equal(r.body_len, 20000);
    assert_int_equal(r.body[26], 'a');
    assert_null(json_object_get(r.headers, "content-length"));
    result_clear(&r);
}

static void test_connection_reused(void **state)
{
    fixture *f = *state;
    hfx_route_add(f->srv, &(hfx_route){.path = "/k", .body = "k"});
    result a = run_simple(f->c, "GET", hfx_url(f->srv, "/k"));
    result b = run_simple(f->c, "GET", hfx_url(f->srv, "/k"));
    assert_int_equal(hfx_count(f->srv, "/k"), 2);
    assert_int_equal(hfx_request_at(f->srv, 0)->client_port,
                     hfx_request_at(f->srv, 1)->client_port);
    result_clear(&a);
    result_clear(&b);
}

/* ==== failures ==== */

static void test_timeout(void **state)
{
    fixture *f = *state;
    hfx_route_add(f->srv, &(hfx_route){.path = "/slow", .delay_ms = 2000});
    sfn_httpc_request req = {.method = "GET", .url = hfx_url(f->srv, "/slow"),
                             .timeout_ms = 200, .max_redirects = -1};
    result r = run_req(f->c, &req);
    assert_int_equal(r.status, SFN_HTTPC_TIMEOUT);
    assert_string_equal(sfn_httpc_status_name(r.status), "TIMEOUT");
    assert_true(r.elapsed_ms >= 150 && r.elapsed_ms < 1500);
    assert_non_null(strstr(r.error, "timed out after 200 ms"));
    assert_int_equal(r.code, 0);
    result_clear(&r);
}

static void test_timeout_spans_redirects(void **state)
{
    fixture *f = *state;
    hfx_route_add(f->srv, &(hfx_route){.path = "/s1", .delay_ms = 150,
                                       .status = 302, .location = "/s2"});
    hfx_route_add(f->srv, &(hfx_route){.path = "/s2", .delay_ms = 150,
                                       .body = "late"});
    sfn_httpc_request req = {.method = "GET", .url = hfx_url(f->srv, "/s1"),
                             .timeout_ms = 220, .max_redirects = -1};
    result r = run_req(f->c, &req);
    assert_int_equal(r.status, SFN_HTTPC_TIMEOUT);
    assert_true(r.elapsed_ms < 1500);
    result_clear(&r);
}

static void test_connection_refused(void **state)
{
    fixture *f = *state;
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", hfx_free_port());
    result r = run_simple(f->c, "GET", url);
    assert_int_equal(r.status, SFN_HTTPC_CONNECT);
    assert_non_null(strstr(r.error, "127.0.0.1"));
    result_clear(&r);
}

static void test_unresolvable_host(void **state)
{
    fixture *f = *state;
    result r = run_simple(f->c, "GET", "http://nonexistent.invalid/x");
    assert_int_equal(r.status, SFN_HTTPC_DNS);
    assert_non_null(strstr(r.error, "nonexistent.invalid"));
    result_clear(&r);
}

static void test_dropped_connection_is_io(void **state)
{
    fixture *f = *state;
    hfx_route_add(f->srv, &(hfx_route){.path = "/drop", .large_bytes = 100000,
                                       .drop = HFX_DROP_MID_BODY});
    hfx_route_add(f->srv, &(hfx_route){.path = "/none",
                                       .drop = HFX_DROP_NO_REPLY});
    result r = run_simple(f->c, "GET", hfx_url(f->srv, "/drop"));
    assert_int_equal(r.status, SFN_HTTPC_IO);
    assert_non_null(r.error);
    assert_int_equal(r.body_len, 0);
    result_clear(&r);
    r = run_simple(f->c, "GET", hfx_url(f->srv, "/none"));
    assert_int_equal(r.status, SFN_HTTPC_IO);
    result_clear(&r);
}

static void test_too_large_by_length(void **state)
{
    fixture *f = *state;
    hfx_route_add(f->srv, &(hfx_route){.path = "/big", .large_bytes = 1001});
    hfx_route_add(f->srv, &(hfx_route){.path = "/fits", .large_bytes = 1000});
    sfn_httpc *c = client_with(NULL, 0, 1000);
    result r = run_simple(c, "GET", hfx_url(f->srv, "/fits"));
    assert_int_equal(r.status, SFN_HTTPC_OK);
    assert_int_equal(r.body_len, 1000);
    result_clear(&r);
    r = run_simple(c, "GET", hfx_url(f->srv, "/big"));
    assert_int_equal(r.status, SFN_HTTPC_TOO_LARGE);
    assert_non_null(strstr(r.error, "1000 bytes"));
    result_clear(&r);
    sfn_httpc_free(c);
}

static void test_too_large_streamed(void **state)
{
    fixture *f = *state;
    hfx_route_add(f->srv, &(hfx_route){.path = "/stream",
                                       .large_bytes = 200000,
                                       .chunked = true});
    sfn_httpc *c = client_with(NULL, 0, 50000);
    result r = run_simple(c, "GET", hfx_url(f->srv, "/stream"));
    assert_int_equal(r.status, SFN_HTTPC_TOO_LARGE);
    result_clear(&r);
    sfn_httpc_free(c);
}

static void test_unsupported_scheme_and_bad_url(void **state)
{
    fixture *f = *state;
    result r = run_simple(f->c, "GET", "ftp://127.0.0.1/x");
    assert_int_equal(r.status, SFN_HTTPC_IO);
    assert_non_null(strstr(r.error, "scheme"));
    result_clear(&r);
    r = run_simple(f->c, "GET", "not a url");
    assert_int_equal(r.status, SFN_HTTPC_IO);
    assert_non_null(strstr(r.error, "invalid URL"));
    result_clear(&r);
}

static void test_bad_request_rejected_at_submit(void **state)
{
    fixture *f = *state;
    result r = {0};
    sfn_error err = {0};
    const char *hdr[] = {"X-A: 1\r\nX-Injected: 2"};
    sfn_httpc_request req = {.method = "GET", .url = hfx_url(f->srv, "/"),
                             .headers = hdr, .n_headers = 1};
    assert_int_equal(sfn_httpc_submit(f->c, &req, on_result, &r, NULL, &err),
                     SFN_EINVAL);
    assert_non_null(strstr(err.cause, "header 0"));
    req.n_headers = 0;
    req.method = "GE T";
    assert_int_equal(sfn_httpc_submit(f->c, &req, on_result, &r, NULL, &err),
                     SFN_EINVAL);
    assert_non_null(strstr(err.cause, "GE T"));
    assert_int_equal(sfn_httpc_inflight(f->c), 0);
    assert_int_equal(sfn_httpc_poll(f->c, 0), 0);
    assert_false(r.done);
}

/* ==== redirects ==== */

static void test_redirect_relative(void **state)
{
    fixture *f = *state;
    hfx_route_add(f->srv, &(hfx_route){.path = "/a/r1", .status = 302,
                                       .location = "../final?z=1",
                                       .headers = "X-Hop: 1"});
    hfx_route_add(f->srv, &(hfx_route){.path = "/final", .body = "done",
                                       .headers = "X-Final: yes"});
    result r = run_simple(f->c, "GET", hfx_url(f->srv, "/a/r1"));
    assert_int_equal(r.code, 200);
    assert_string_equal(r.body, "done");
    assert_string_equal(r.url, hfx_url(f->srv, "/final?z=1"));
    assert_null(json_object_get(r.headers, "x-hop"));
    assert_null(json_object_get(r.headers, "location"));
    assert_string_equal(header0(&r, "x-final"), "yes");
    assert_string_equal(hfx_last(f->srv, "/final")->uri, "/final?z=1");
    result_clear(&r);
}

static void test_redirect_absolute(void **state)
{
    fixture *f = *state;
    hfx_route_add(f->srv, &(hfx_route){.path = "/abs", .status = 301,
                                       .location = hfx_url(f->srv, "/to")});
    hfx_route_add(f->srv, &(hfx_route){.path = "/to", .body = "there"});
    result r = run_simple(f->c, "GET", hfx_url(f->srv, "/abs"));
    assert_int_equal(r.code, 200);
    assert_string_equal(r.body, "there");
    result_clear(&r);
}

static result post_through(fixture *f, int code)
{
    hfx_reset(f->srv);
    hfx_route_add(f->srv, &(hfx_route){.path = "/from", .status = code,
                                       .location = "/after"});
    hfx_route_add(f->srv, &(hfx_route){.path = "/after",
                                       .echo = HFX_ECHO_BODY});
    const char *hdr[] = {"Content-Type: application/json"};
    sfn_httpc_request req = {.method = "POST",
                             .url = hfx_url(f->srv, "/from"),
                             .headers = hdr, .n_headers = 1,
                             .body = "{\"x\":1}", .body_len = 7,
                             .max_redirects = -1};
    return run_req(f->c, &req);
}

static void test_redirect_303_post_becomes_get(void **state)
{
    fixture *f = *state;
    result r = post_through(f, 303);
    assert_int_equal(r.code, 200);
    const hfx_request *q = hfx_last(f->srv, "/after");
    assert_string_equal(q->method, "GET");
    assert_int_equal(q->body_len, 0);
    assert_null(hfx_req_header(q, "content-type"));
    result_clear(&r);
}

static void test_redirect_302_post_becomes_get(void **state)
{
    fixture *f = *state;
    result r = post_through(f, 302);
    assert_string_equal(hfx_last(f->srv, "/after")->method, "GET");
    result_clear(&r);
}

static void test_redirect_307_and_308_keep_post(void **state)
{
    fixture *f = *state;
    int codes[] = {307, 308};
    for (int i = 0; i < 2; i++) {
        result r = post_through(f, codes[i]);
        assert_int_equal(r.code, 200);
        assert_string_equal(r.body, "{\"x\":1}");
        const hfx_request *q = hfx_last(f->srv, "/after");
        assert_string_equal(q->method, "POST");
        assert_string_equal(q->body, "{\"x\":1}");
        assert_string_equal(hfx_req_header(q, "content-type"),
                            "application/json");
        result_clear(&r);
    }
}

static void test_redirect_loop_limited(void **state)
{
    fixture *f = *state;
    hfx_route_add(f->srv, &(hfx_route){.path = "/loop", .status = 302,
                                       .location = "/loop",
                                       .body = "again"});
    sfn_httpc_request req = {.method = "GET", .url = hfx_url(f->srv, "/loop"),
                             .max_redirects = 3};
    result r = run_req(f->c, &req);
    assert_int_equal(r.status, SFN_HTTPC_OK);
    assert_int_equal(r.code, 302);
    assert_string_equal(r.body, "again");
    assert_string_equal(header0(&r, "location"), "/loop");
    assert_int_equal(hfx_count(f->srv, "/loop"), 4);
    result_clear(&r);
    /* the client's default (5) applies to -1 */
    hfx_reset(f->srv);
    r = run_simple(f->c, "GET", hfx_url(f->srv, "/loop"));
    assert_int_equal(r.code, 302);
    assert_int_equal(hfx_count(f->srv, "/loop"), 6);
    result_clear(&r);
}

static void test_redirect_not_followed_with_zero(void **state)
{
    fixture *f = *state;
    hfx_route_add(f->srv, &(hfx_route){.path = "/once", .status = 307,
                                       .location = "/x"});
    sfn_httpc_request req = {.method = "GET", .url = hfx_url(f->srv, "/once"),
                             .max_redirects = 0};
    result r = run_req(f->c, &req);
    assert_int_equal(r.code, 307);
    assert_int_equal(hfx_count(f->srv, NULL), 1);
    result_clear(&r);
}

static void test_redirect_to_other_origin_drops_credentials(void **state)
{
    fixture *f = *state;
    char to[128];
    snprintf(to, sizeof to, "http://localhost:%d/land", hfx_port(f->srv));
    hfx_route_add(f->srv, &(hfx_route){.path = "/same", .status = 302,
                                       .location = "/land"});
    hfx_route_add(f->srv, &(hfx_route){.path = "/other", .status = 302,
                                       .location = to});
    hfx_route_add(f->srv, &(hfx_route){.path = "/land", .body = "ok"});
    const char *hdr[] = {"Authorization: Bearer s3cret", "X-Keep: 1"};
    sfn_httpc_request req = {.method = "GET", .url = hfx_url(f->srv, "/same"),
                             .headers = hdr, .n_headers = 2,
                             .max_redirects = -1};
    result r = run_req(f->c, &req);
    assert_string_equal(hfx_req_header(hfx_last(f->srv, "/land"),
                                       "authorization"), "Bearer s3cret");
    result_clear(&r);
    req.url = hfx_url(f->srv, "/other");
    r = run_req(f->c, &req);
    assert_string_equal(r.body, "ok");
    const hfx_request *q = hfx_last(f->srv, "/land");
    assert_null(hfx_req_header(q, "authorization"));
    assert_string_equal(hfx_req_header(q, "x-keep"), "1");
    result_clear(&r);
}

/* ==== allowlist ==== */

static void test_allow_entry_syntax(void **state)
{
    (void)state;
    const char *good[] = {"api.example.com", "*.example.com", "localhost",
                          "10.0.0.0/8", "127.0.0.1/32", "127.0.0.1",
                          "::1/128", "::1", "fd00::/8", "0.0.0.0/0",
                          "API.Example.COM", "internal_svc.local"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        assert_true(sfn_httpc_allow_entry_valid(good[i], NULL));
    struct {
        const char *entry, *why;
    } bad[] = {{"", "empty"},
               {"api.example.com ", "white space"},
               {"10.0.0.0/33", "above 32"},
               {"::1/129", "above 128"},
               {"10.0.0.0/", "bad prefix"},
               {"10.0.0.0/x", "bad prefix"},
               {"10.0.0/8", "not an IP"},
               {"*", "pattern"},
               {"*example.com", "pattern"},
               {"a.*.com", "not a host name"},
               {"a..com", "not a host name"},
               {"http://a.com", "not an IP"},
               {"a.com/path", "not an IP"}};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        sfn_error err = {0};
        assert_false(sfn_httpc_allow_entry_valid(bad[i].entry, &err));
        assert_int_equal(err.rc, SFN_EINVAL);
        assert_non_null(strstr(err.cause, bad[i].why));
        assert_non_null(strstr(err.cause, "http.allow"));
    }
    sfn_error err = {0};
    const char *list[] = {"ok.com", "10.0.0.0/99"};
    sfn_httpc_opts o = {.allow = list, .n_allow = 2};
    assert_null(sfn_httpc_new(&o, &err));
    assert_non_null(strstr(err.cause, "entry 1 \"10.0.0.0/99\""));
}

static void test_allow_matching_rules(void **state)
{
    (void)state;
    const char *list[] = {"API.example.com", "*.svc.local", "10.0.0.0/8",
                          "192.168.1.7", "fd00::/8"};
    sfn_httpc_allow *a = sfn_httpc_allow_new(list, 5, NULL);
    assert_non_null(a);
    assert_true(sfn_httpc_allow_host(a, "api.example.com"));
    assert_true(sfn_httpc_allow_host(a, "api.EXAMPLE.com."));
    assert_false(sfn_httpc_allow_host(a, "example.com"));
    assert_false(sfn_httpc_allow_host(a, "x.api.example.com"));
    assert_true(sfn_httpc_allow_host(a, "a.svc.local"));
    assert_true(sfn_httpc_allow_host(a, "a.b.SVC.local"));
    assert_false(sfn_httpc_allow_host(a, "svc.local"));
    assert_false(sfn_httpc_allow_host(a, "evilsvc.local"));
    assert_true(sfn_httpc_allow_host(a, "10.200.3.4"));
    assert_false(sfn_httpc_allow_host(a, "11.0.0.1"));
    assert_true(sfn_httpc_allow_host(a, "192.168.1.7"));
    assert_false(sfn_httpc_allow_host(a, "192.168.1.8"));
    assert_true(sfn_httpc_allow_host(a, "[fd12::1]"));
    assert_false(sfn_httpc_allow_host(a, "[fe80::1]"));
    assert_true(sfn_httpc_allow_has_cidr(a));

    struct sockaddr_in v4 = {.sin_family = AF_INET};
    inet_pton(AF_INET, "10.1.2.3", &v4.sin_addr);
    assert_true(sfn_httpc_allow_addr(a, (struct sockaddr *)&v4));
    inet_pton(AF_INET, "127.0.0.1", &v4.sin_addr);
    assert_false(sfn_httpc_allow_addr(a, (struct sockaddr *)&v4));
    struct sockaddr_in6 v6 = {.sin6_family = AF_INET6};
    inet_pton(AF_INET6, "::ffff:10.9.9.9", &v6.sin6_addr);
    assert_true(sfn_httpc_allow_addr(a, (struct sockaddr *)&v6));
    inet_pton(AF_INET6, "::ffff:127.0.0.1", &v6.sin6_addr);
    assert_false(sfn_httpc_allow_addr(a, (struct sockaddr *)&v6));
    inet_pton(AF_INET6, "fdff::2", &v6.sin6_addr);
    assert_true(sfn_httpc_allow_addr(a, (struct sockaddr *)&v6));
    sfn_httpc_allow_free(a);

    const char *odd[] = {"10.1.0.0/9"}; /* host bits set: masked to /9 */
    a = sfn_httpc_allow_new(odd, 1, NULL);
    assert_true(sfn_httpc_allow_host(a, "10.127.0.1"));
    assert_false(sfn_httpc_allow_host(a, "10.128.0.1"));
    sfn_httpc_allow_free(a);
}

static void test_allow_by_host(void **state)
{
    fixture *f = *state;
    hfx_route_add(f->srv, &(hfx_route){.path = "/ok", .body = "fine"});
    const char *allow[] = {"localhost"};
    sfn_httpc *c = client_with(allow, 1, 0);
    char url[128];
    snprintf(url, sizeof url, "http://LOCALHOST:%d/ok", hfx_port(f->srv));
    result r = run_simple(c, "GET", url);
    assert_int_equal(r.status, SFN_HTTPC_OK);
    assert_string_equal(r.body, "fine");
    result_clear(&r);
    r = run_simple(c, "GET", hfx_url(f->srv, "/ok"));
    assert_int_equal(r.status, SFN_HTTPC_DENIED);
    assert_string_equal(r.error,
                        "destination host 127.0.0.1 is not in http.allow");
    assert_int_equal(hfx_count(f->srv, NULL), 1);
    result_clear(&r);
    sfn_httpc_free(c);
}

static void test_allow_by_pattern(void **state)
{
    fixture *f = *state;
    hfx_route_add(f->srv, &(hfx_route){.path = "/ok", .body = "fine"});
    const char *allow[] = {"*.localhost"};
    sfn_httpc *c = client_with(allow, 1, 0);
    char url[128];
    snprintf(url, sizeof url, "http://api.localhost:%d/ok", hfx_port(f->srv));
    result r = run_simple(c, "GET", url);
    assert_int_equal(r.status, SFN_HTTPC_OK);
    result_clear(&r);
    snprintf(url, sizeof url, "http://localhost:%d/ok", hfx_port(f->srv));
    r = run_simple(c, "GET", url);
    assert_int_equal(r.status, SFN_HTTPC_DENIED);
    assert_non_null(strstr(r.error, "host localhost is not in http.allow"));
    result_clear(&r);
    sfn_httpc_free(c);
}

static void test_allow_by_cidr_after_dns(void **state)
{
    fixture *f = *state;
    hfx_route_add(f->srv, &(hfx_route){.path = "/ok", .body = "fine"});
    char url[128];
    snprintf(url, sizeof url, "http://localhost:%d/ok", hfx_port(f->srv));
    const char *loop[] = {"127.0.0.0/8"};
    sfn_httpc *c = client_with(loop, 1, 0);
    result r = run_simple(c, "GET", url);
    assert_int_equal(r.status, SFN_HTTPC_OK);
    result_clear(&r);
    r = run_simple(c, "GET", hfx_url(f->srv, "/ok"));
    assert_int_equal(r.status, SFN_HTTPC_OK);
    result_clear(&r);
    sfn_httpc_free(c);

    const char *ten[] = {"10.0.0.0/8"};
    c = client_with(ten, 1, 0);
    size_t before = hfx_count(f->srv, NULL);
    r = run_simple(c, "GET", url);
    assert_int_equal(r.status, SFN_HTTPC_DENIED);
    assert_non_null(strstr(r.error, "(host localhost) is not in http.allow"));
    assert_non_null(strstr(r.error, "127.0.0.1"));
    assert_int_equal(hfx_count(f->srv, NULL), before);
    result_clear(&r);
    sfn_httpc_free(c);
}

static void test_redirect_to_denied_host(void **state)
{
    fixture *f = *state;
    hfx_route_add(f->srv, &(hfx_route){.path = "/go", .status = 302,
                                       .location = hfx_url(f->srv, "/in")});
    hfx_route_add(f->srv, &(hfx_route){.path = "/in", .body = "internal"});
    const char *allow[] = {"localhost"};
    sfn_httpc *c = client_with(allow, 1, 0);
    char url[128];
    snprintf(url, sizeof url, "http://localhost:%d/go", hfx_port(f->srv));
    result r = run_simple(c, "GET", url);
    assert_int_equal(r.status, SFN_HTTPC_DENIED);
    assert_non_null(strstr(r.error, "127.0.0.1 is not in http.allow"));
    assert_int_equal(hfx_count(f->srv, "/go"), 1);
    assert_int_equal(hfx_count(f->srv, "/in"), 0);
    result_clear(&r);
    sfn_httpc_free(c);
}

/* ==== callbacks, concurrency, cancel, wake-up ==== */

static void test_callback_only_from_poll(void **state)
{
    (void)state;
    const char *allow[] = {"example.com"};
    sfn_httpc *c = client_with(allow, 1, 0);
    result r = {0};
    sfn_error err = {0};
    sfn_httpc_request req = {.method = "GET", .url = "http://127.0.0.1:1/"};
    assert_int_equal(sfn_httpc_submit(c, &req, on_result, &r, NULL, &err),
                     SFN_OK);
    assert_false(r.done);
    assert_int_equal(sfn_httpc_inflight(c), 1);
    assert_int_equal(sfn_httpc_poll(c, 0), 1);
    assert_true(r.done);
    assert_int_equal(r.status, SFN_HTTPC_DENIED);
    assert_int_equal(sfn_httpc_inflight(c), 0);
    result_clear(&r);
    sfn_httpc_free(c);
}

#define N_CONC 200

typedef struct conc {
    int done;
    int ok;
} conc;

typedef struct conc_one {
    conc *all;
    int i;
} conc_one;

static void on_conc(void *ud, const sfn_httpc_response *r)
{
    conc_one *one = ud;
    char want[32];
    snprintf(want, sizeof want, "\"query\":\"i=%d\"", one->i);
    one->all->done++;
    if (r->status == SFN_HTTPC_OK && r->code == 200 && strstr(r->body, want))
        one->all->ok++;
}

static void test_concurrent_transfers(void **state)
{
    fixture *f = *state;
    hfx_route_add(f->srv, &(hfx_route){.path = "/c", .delay_ms = 100,
                                       .echo = HFX_ECHO_REQUEST});
    conc all = {0};
    conc_one ones[N_CONC];
    int64_t t0 = hfx__now_ms();
    for (int i = 0; i < N_CONC; i++) {
        char path[32];
        snprintf(path, sizeof path, "/c?i=%d", i);
        ones[i] = (conc_one){&all, i};
        sfn_httpc_request req = {.method = "GET", .url = hfx_url(f->srv, path),
                                 .max_redirects = -1};
        assert_int_equal(
            sfn_httpc_submit(f->c, &req, on_conc, &ones[i], NULL, NULL),
            SFN_OK);
    }
    assert_int_equal(sfn_httpc_inflight(f->c), N_CONC);
    int64_t end = t0 + 15000;
    while (all.done < N_CONC && hfx__now_ms() < end)
        sfn_httpc_poll(f->c, 100);
    int64_t ms = hfx__now_ms() - t0;
    print_message("%d transfers against a 100 ms server: %lld ms\n", N_CONC,
                  (long long)ms);
    assert_int_equal(all.done, N_CONC);
    assert_int_equal(all.ok, N_CONC);
    assert_int_equal(sfn_httpc_inflight(f->c), 0);
    assert_true(ms < N_CONC * 100 / 4);
}

static void test_cancel(void **state)
{
    fixture *f = *state;
    hfx_route_add(f->srv, &(hfx_route){.path = "/hold", .delay_ms = 1000});
    hfx_route_add(f->srv, &(hfx_route){.path = "/quick", .body = "q"});
    result held = {0}, quick = {0};
    uint64_t id = 0, id2 = 0;
    sfn_httpc_request req = {.method = "GET", .url = hfx_url(f->srv, "/hold"),
                             .max_redirects = -1};
    assert_int_equal(sfn_httpc_submit(f->c, &req, on_result, &held, &id, NULL),
                     SFN_OK);
    req.url = hfx_url(f->srv, "/quick");
    assert_int_equal(
        sfn_httpc_submit(f->c, &req, on_result, &quick, &id2, NULL), SFN_OK);
    assert_true(id != 0 && id2 != id);
    int64_t end = hfx__now_ms() + 5000;
    while (hfx_count(f->srv, "/hold") == 0 && hfx__now_ms() < end)
        sfn_httpc_poll(f->c, 20);
    assert_int_equal(hfx_count(f->srv, "/hold"), 1);
    sfn_httpc_cancel(f->c, id);
    sfn_httpc_cancel(f->c, 987654); /* unknown: no-op */
    poll_until(f->c, &quick.done);
    assert_int_equal(sfn_httpc_inflight(f->c), 0);
    assert_false(held.done);
    result_clear(&quick);
}

static void test_cancel_queued_failure(void **state)
{
    (void)state;
    const char *allow[] = {"example.com"};
    sfn_httpc *c = client_with(allow, 1, 0);
    result r = {0};
    uint64_t id = 0;
    sfn_httpc_request req = {.method = "GET", .url = "http://127.0.0.1:1/"};
    assert_int_equal(sfn_httpc_submit(c, &req, on_result, &r, &id, NULL),
                     SFN_OK);
    sfn_httpc_cancel(c, id);
    assert_int_equal(sfn_httpc_inflight(c), 0);
    assert_int_equal(sfn_httpc_poll(c, 0), 0);
    assert_false(r.done);
    sfn_httpc_free(c);
}

/* A callback cancelling a transfer whose callback is also due in the same
 * poll: the cancelled one must not run. */
typedef struct pair {
    sfn_httpc *c;
    uint64_t other;
    int runs;
} pair;

static void on_pair(void *ud, const sfn_httpc_response *r)
{
    (void)r;
    pair *p = ud;
    p->runs++;
    sfn_httpc_cancel(p->c, p->other);
}

static void test_cancel_from_callback(void **state)
{
    (void)state;
    const char *allow[] = {"example.com"};
    sfn_httpc *c = client_with(allow, 1, 0);
    pair a = {.c = c}, b = {.c = c};
    uint64_t ida, idb;
    sfn_httpc_request req = {.method = "GET", .url = "http://127.0.0.1:1/"};
    sfn_httpc_submit(c, &req, on_pair, &a, &ida, NULL);
    sfn_httpc_submit(c, &req, on_pair, &b, &idb, NULL);
    a.other = idb;
    b.other = ida;
    assert_int_equal(sfn_httpc_poll(c, 0), 1);
    assert_int_equal(a.runs + b.runs, 1);
    assert_int_equal(sfn_httpc_inflight(c), 0);
    sfn_httpc_free(c);
}

static void test_free_with_transfers_in_flight(void **state)
{
    fixture *f = *state;
    hfx_route_add(f->srv, &(hfx_route){.path = "/hold", .delay_ms = 1000});
    sfn_httpc *c = client_with(NULL, 0, 0);
    result r = {0};
    sfn_httpc_request req = {.method = "GET", .url = hfx_url(f->srv, "/hold"),
                             .max_redirects = -1};
    assert_int_equal(sfn_httpc_submit(c, &req, on_result, &r, NULL, NULL),
                     SFN_OK);
    sfn_httpc_poll(c, 0);
    sfn_httpc_free(c);
    assert_false(r.done);
}

static void *wake_thread(void *arg)
{
    sfn_httpc_wakeup(arg);
    return NULL;
}

static void test_wakeup_from_other_thread(void **state)
{
    fixture *f = *state;
    pthread_t t;
    int64_t t0 = hfx__now_ms();
    assert_int_equal(pthread_create(&t, NULL, wake_thread, f->c), 0);
    /* whether the wake-up lands before or during the poll, it returns */
    assert_int_equal(sfn_httpc_poll(f->c, 10000), 0);
    assert_true(hfx__now_ms() - t0 < 5000);
    pthread_join(t, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
        T(test_get_json),
        T(test_post_json_body_and_headers),
        T(test_post_text_body_without_content_type),
        T(test_binary_body_with_nul),
        T(test_put_with_body),
        T(test_put_without_body_sends_zero_length),
        T(test_delete),
        T(test_head_has_headers_no_body),
        T(test_patch_and_options),
        T(test_repeated_headers_lower_case),
        T(test_404_and_500_are_responses),
        T(test_chunked_body),
        T(test_connection_reused),
        T(test_timeout),
        T(test_timeout_spans_redirects),
        T(test_connection_refused),
        T(test_unresolvable_host),
        T(test_dropped_connection_is_io),
        T(test_too_large_by_length),
        T(test_too_large_streamed),
        T(test_unsupported_scheme_and_bad_url),
        T(test_bad_request_rejected_at_submit),
        T(test_redirect_relative),
        T(test_redirect_absolute),
        T(test_redirect_303_post_becomes_get),
        T(test_redirect_302_post_becomes_get),
        T(test_redirect_307_and_308_keep_post),
        T(test_redirect_loop_limited),
        T(test_redirect_not_followed_with_zero),
        T(test_redirect_to_other_origin_drops_credentials),
        T(test_allow_entry_syntax),
        T(test_allow_matching_rules),
        T(test_allow_by_host),
        T(test_allow_by_pattern),
        T(test_allow_by_cidr_after_dns),
        T(test_redirect_to_denied_host),
        T(test_callback_only_from_poll),
        T(test_concurrent_transfers),
        T(test_cancel),
        T(test_cancel_queued_failure),
        T(test_cancel_from_callback),
        T(test_free_with_transfers_in_flight),
        T(test_wakeup_from_other_thread),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

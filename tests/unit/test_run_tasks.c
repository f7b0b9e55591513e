/* test_run_tasks.c: Task states calling real HTTP services end to end
 * through the stepd binary (`stepd run --config`): a Lambda ARN bound to a
 * local endpoint, the HTTP Task with Retry then Catch on a 5xx, an
 * http.allow list refusing a destination, an unbound resource, and the
 * Idempotency-Key that every attempt carries. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli_harness.h"
#include "http_fixture.h"

static hfx_server *srv;

static int setup(void **state)
{
    (void)state;
    if (!mkdtemp(tmpdir) || !(srv = hfx_start()))
        return -1;
    hfx_route_add(srv, &(hfx_route){.method = "POST", .path = "/charge",
                                    .echo = HFX_ECHO_BODY});
    hfx_route_add(srv, &(hfx_route){.path = "/flaky", .fail_first = 2,
                                    .fail_status = 503,
                                    .fail_body = "{\"busy\":true}",
                                    .content_type = "application/json",
                                    .body = "{\"ok\":1}"});
    hfx_route_add(srv, &(hfx_route){.path = "/down", .status = 500,
                                    .content_type = "application/json",
                                    .body = "{\"down\":true}"});
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    hfx_stop(srv);
    cli_db_release();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    return system(cmd);
}

static char *config(const char *allow)
{
    char text[1024];
    snprintf(text, sizeof text,
             "{\"http\":{\"allow\":[\"%s\"]},\"bindings\":["
             "{\"resource\":\"arn:aws:lambda:*:*:function:charge*\","
             "\"url\":\"%s\"}]}",
             allow, hfx_url(srv, "/charge"));
    return write_tmp("stepd.json", text);
}

/* Each run keeps its execution in the test's database (cli_db), so the
 * _pg twin runs the tasks on PostgreSQL. */
static run_result run_def(const char *def, const char *cfg)
{
    char *path = write_tmp("m.asl.json", def), db[PGFX_URL_MAX];
    cli_db(db, sizeof db, "tasks.db");
    const char *args[] = {"run", path, "--json", "--config", cfg,
                          "--db", db, NULL};
    run_result r = run(NULL, args);
    free(path);
    return r;
}

static void test_bound_lambda(void **state)
{
    (void)state;
    hfx_reset(srv);
    char *cfg = config("127.0.0.1/32");
    run_result r = run_def(
        "{\"StartAt\":\"Pay\",\"States\":{\"Pay\":{\"Type\":\"Task\","
        "\"Resource\":\"arn:aws:lambda:us-east-1:123456789012:function:"
        "charge-card\",\"Parameters\":{\"amount\":42},\"End\":true}}}",
        cfg);
    assert_int_equal(r.status, 0);
    assert_true(has(r.out, "\"status\":\"SUCCEEDED\""));
    assert_true(has(r.out, "\"output\":{\"amount\":42}"));
    const hfx_request *q = hfx_last(srv, "/charge");
    assert_non_null(q);
    const char *key = hfx_req_header(q, "Idempotency-Key");
    assert_non_null(key);
    assert_true(strlen(key) > 16);
    run_free(&r);
    free(cfg);
}

static void test_http_task_retry_then_catch(void **state)
{
    (void)state;
    hfx_reset(srv);
    char *cfg = config("127.0.0.1/32");
    char def[2048];
    snprintf(def, sizeof def,
             "{\"StartAt\":\"Get\",\"States\":{\"Get\":{\"Type\":\"Task\","
             "\"Resource\":\"arn:aws:states:::http:invoke\",\"Parameters\":{"
             "\"ApiEndpoint\":\"%s\",\"Method\":\"GET\"},"
             "\"Retry\":[{\"ErrorEquals\":[\"States.Http.StatusCode.503\"],"
             "\"IntervalSeconds\":1,\"BackoffRate\":1,\"MaxAttempts\":3}],"
             "\"ResultSelector\":{\"body.$\":\"$.ResponseBody\"},"
             "\"Next\":\"Down\"},"
             "\"Down\":{\"Type\":\"Task\",\"Resource\":"
             "\"arn:aws:states:::http:invoke\",\"Parameters\":{"
             "\"ApiEndpoint\":\"%s\",\"Method\":\"POST\","
             "\"RequestBody\":{\"x\":1}},"
             "\"Catch\":[{\"ErrorEquals\":[\"States.Http.StatusCode.500\"],"
             "\"ResultPath\":\"$.error\",\"Next\":\"Done\"}],\"End\":true},"
             "\"Done\":{\"Type\":\"Pass\",\"End\":true}}}",
             hfx_url(srv, "/flaky"), hfx_url(srv, "/down"));
    run_result r = run_def(def, cfg);
    assert_int_equal(r.status, 0);
    assert_true(has(r.out, "\"body\":{\"ok\":1}"));
    assert_true(has(r.out, "\"Error\":\"States.Http.StatusCode.500\""));
    /* two 503s then the 200; each attempt has its own key */
    assert_int_equal(hfx_count(srv, "/flaky"), 3);
    const char *k0 = hfx_req_header(hfx_request_at(srv, 0), "Idempotency-Key");
    const char *k1 = hfx_req_header(hfx_request_at(srv, 1), "Idempotency-Key");
    assert_non_null(k0);
    assert_non_null(k1);
    assert_string_not_equal(k0, k1);
    run_free(&r);
    free(cfg);
}

static void test_allowlist_refuses(void **state)
{
    (void)state;
    hfx_reset(srv);
    char *cfg = config("api.example.com");
    char def[1024];
    snprintf(def, sizeof def,
             "{\"StartAt\":\"Get\",\"States\":{\"Get\":{\"Type\":\"Task\","
             "\"Resource\":\"arn:aws:states:::http:invoke\",\"Parameters\":{"
             "\"ApiEndpoint\":\"%s\",\"Method\":\"GET\"},\"End\":true}}}",
             hfx_url(srv, "/flaky"));
    run_result r = run_def(def, cfg);
    assert_int_equal(r.status, 1);
    assert_true(has(r.out, "\"error\":\"States.Http.Socket\""));
    assert_true(has(r.out, "http.allow"));
    assert_int_equal(hfx_count(srv, NULL), 0); /* nothing was sent */
    run_free(&r);
    free(cfg);
}

static void test_unbound_resource(void **state)
{
    (void)state;
    char *cfg = config("127.0.0.1/32");
    run_result r = run_def(
        "{\"StartAt\":\"Q\",\"States\":{\"Q\":{\"Type\":\"Task\","
        "\"Resource\":\"arn:aws:states:::sqs:sendMessage\","
        "\"Parameters\":{\"QueueUrl\":\"q\",\"MessageBody\":\"m\"},"
        "\"End\":true}}}",
        cfg);
    assert_int_equal(r.status, 1);
    assert_true(has(r.out, "\"error\":\"States.TaskFailed\""));
    assert_true(has(r.out, "sqs:sendMessage"));
    run_free(&r);
    free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bound_lambda),
        cmocka_unit_test(test_http_task_retry_then_catch),
        cmocka_unit_test(test_allowlist_refuses),
        cmocka_unit_test(test_unbound_resource),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

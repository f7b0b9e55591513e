/* test_bad_input.c: the bad-input matrix of docs/bad-input.md, end to end:
 * the real `stepd` binary (env STEPD) for CLI arguments, and a live
 * `stepd serve` over libcurl for the AWS protocol and REST rows, the
 * per-connection rate limit, the wide-bind warning and secrets.  Each API
 * row also checks that nothing changed (machine and execution counts).
 * The servers and `load` use the test's store (cli_db: SQLite, or
 * PostgreSQL in the _pg twin); the row about a missing database file
 * names a file path, so it checks SQLite in both runs. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>

#include "cli_harness.h"
#include "serve_harness.h"

/* ---- CLI rows ------------------------------------------------------------ */

/* Runs stepd with args (NULL-terminated) from tmpdir's fixtures and checks
 * the exit code and that stderr (or, for validate's report, stdout) holds
 * `msg`. */
static void cli_expect(int code, const char *msg, const char *const *args)
{
    run_result r = run(NULL, args);
    if (r.status != code)
        print_error("exit %d, want %d; stderr:\n%s\n", r.status, code, r.err);
    assert_int_equal(r.status, code);
    assert_true(strstr(r.out, msg) || has(r.err, msg));
    run_free(&r);
}

static char *fx(const char *name)
{
    static char paths[8][256];
    static int k;
    char *p = paths[k++ % 8];
    snprintf(p, 256, "%s/%s", tmpdir, name);
    return p;
}

#define CLI_ROW(fn, code, msg, ...)                                          \
    static void fn(void **state)                                            \
    {                                                                        \
        (void)state;                                                         \
        const char *const a[] = {__VA_ARGS__, NULL};                         \
        cli_expect(code, msg, a);                                            \
    }

CLI_ROW(test_cli_unknown_command, 2, "unknown command 'bogus'", "bogus")
CLI_ROW(test_cli_unknown_top_option, 2, "unknown option '--bogus'", "--bogus")
CLI_ROW(test_cli_validate_unknown_flag, 2, "unknown option '--bogus'",
        "validate", "--bogus", fx("ok.json"))
CLI_ROW(test_cli_validate_unreadable_file, 2, "cannot read", "validate",
        fx("missing.json"))
CLI_ROW(test_cli_validate_malformed_json, 1, "INVALID_JSON_DESCRIPTION",
        "validate", fx("bad.json"))
CLI_ROW(test_cli_validate_empty_file, 1, "the text is empty", "validate",
        fx("empty.json"))
CLI_ROW(test_cli_validate_non_utf8, 1, "not valid UTF-8", "validate",
        fx("nonutf8.json"))
CLI_ROW(test_cli_validate_too_deep, 1, "deeper than", "validate",
        fx("deep.json"))
CLI_ROW(test_cli_validate_invalid_asl, 1, "SCHEMA_VALIDATION_FAILED",
        "validate", fx("noasl.json"))
CLI_ROW(test_cli_graph_bad_format, 2, "unknown graph format 'xx'", "graph",
        "--format", "xx", fx("ok.json"))
CLI_ROW(test_cli_graph_no_file, 2, "no FILE given", "graph")
CLI_ROW(test_cli_lower_unknown_flag, 2, "unknown option '--bogus'", "lower",
        "--bogus")
CLI_ROW(test_cli_lower_malformed_json, 1, "INVALID_JSON_DESCRIPTION", "lower",
        fx("bad.json"))
CLI_ROW(test_cli_load_missing_value, 2, "requires an argument", "load",
        "--db")
CLI_ROW(test_cli_run_input_not_json, 2, "--input is not JSON", "run",
        fx("ok.json"), "--input", "{bad")
CLI_ROW(test_cli_run_input_file_unreadable, 2, "cannot read", "run",
        fx("ok.json"), "--input-file", fx("missing.json"))
CLI_ROW(test_cli_run_bad_number, 2, "needs a positive integer, not 'abc'",
        "run", fx("ok.json"), "--max-history-events", "abc")
CLI_ROW(test_cli_run_input_too_large, 2, "above the limit of 10 bytes", "run",
        fx("ok.json"), "--max-payload-bytes", "10", "--input",
        "{\"a\":\"xxxxxxxxxxxxxxxx\"}")
CLI_ROW(test_cli_run_unknown_flag, 2, "unrecognized option '--bogus'", "run",
        "--bogus", fx("ok.json"))
CLI_ROW(test_cli_history_missing_db, 2, "cannot read", "history", "--db",
        fx("missing.db"), "x")
CLI_ROW(test_cli_test_state_unknown_state, 2,
        "ValidationException: State 'Nope' does not exist", "test-state",
        fx("ok.json"), "Nope")
CLI_ROW(test_cli_test_state_bad_enum, 2, "at 'inspectionLevel'", "test-state",
        fx("ok.json"), "A", "--inspection-level", "XX")
CLI_ROW(test_cli_test_state_input_not_json, 2, "InvalidExecutionInput",
        "test-state", fx("ok.json"), "A", "--input", "{x")
CLI_ROW(test_cli_serve_unknown_flag, 2, "unknown option '--bogus'", "serve",
        "--bogus", "1")
CLI_ROW(test_cli_serve_bad_number, 2, "expected an integer, got 'abc'",
        "serve", "--threads", "abc")
CLI_ROW(test_cli_serve_bad_listen, 2, "is not HOST:PORT", "serve", "--listen",
        "nohost")
CLI_ROW(test_cli_serve_missing_config_file, 2, "config file", "serve",
        "--config", fx("missing.json"))
CLI_ROW(test_cli_serve_config_unknown_key, 2, "limits.payload_byte", "serve",
        "--config", fx("typo.json"))
CLI_ROW(test_cli_serve_config_wrong_type, 2, "limits.payload_bytes", "serve",
        "--config", fx("wrongtype.json"))
CLI_ROW(test_cli_serve_config_unset_secret, 2, "H13_UNSET_SECRET", "serve",
        "--config", fx("unsetenv.json"))
CLI_ROW(test_cli_serve_bad_allow_entry, 2, "http.allow", "serve",
        "--http-allow", "10.0.0.0/99")
CLI_ROW(test_cli_serve_bad_binding, 2, "nosuch", "serve", "--config",
        fx("badbinding.json"))
CLI_ROW(test_cli_serve_bad_connection, 2, "connections", "serve", "--config",
        fx("badconn.json"))
CLI_ROW(test_cli_serve_map_concurrency_out_of_range, 2,
        "limits.map_concurrency", "serve", "--limits-map-concurrency", "0")
CLI_ROW(test_cli_serve_rate_limit_out_of_range, 2,
        "limits.requests_per_second_per_connection", "serve",
        "--limits-requests-per-second-per-connection", "-1")
CLI_ROW(test_cli_demo_service_unknown_flag, 2, "unknown argument '--bogus'",
        "demo-service", "--bogus")

/* A load refused for a bad file stores nothing: loading a good file under
 * the same name afterwards gives revision 1, not 2. */
static void test_cli_load_refused_writes_nothing(void **state)
{
    (void)state;
    char db[PGFX_URL_MAX];
    cli_db(db, sizeof db, "load.db");
    const char *const bad[] = {"load", "--db", db, "--name", "ok",
                               fx("bad.json"), NULL};
    cli_expect(1, "INVALID_JSON_DESCRIPTION", bad);
    const char *const good[] = {"load", "--db", db, fx("ok.json"), NULL};
    run_result r = run(NULL, good);
    assert_int_equal(r.status, 0);
    assert_true(has(r.out, "loaded as 'ok' (revision 1)"));
    run_free(&r);
}

/* ---- servers ------------------------------------------------------------- */

typedef sh_server server;

static server srv; /* the shared server of the API rows */
static pid_t own_pid;

typedef struct {
    long status;
    char *body;
    size_t len;
    char retry_after[32];
    json_t *json;
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

static size_t on_header(char *p, size_t sz, size_t n, void *ud)
{
    reply *r = ud;
    if (sz * n > 12 && !strncasecmp(p, "Retry-After:", 12))
        snprintf(r->retry_after, sizeof r->retry_after, "%.*s",
                 (int)strcspn(p + 13, "\r\n"), p + 13);
    return sz * n;
}

static void reply_free(reply *r)
{
    free(r->body);
    json_decref(r->json);
    memset(r, 0, sizeof *r);
}

/* One request on `c` (a kept handle reuses its connection) or a fresh
 * handle when c is NULL.  headers: NULL-terminated "Name: value". */
static reply request(CURL *c, int port, const char *method, const char *path,
                     const char *body, const char *const *headers)
{
    reply r;
    memset(&r, 0, sizeof r);
    bool own = !c;
    if (own)
        c = curl_easy_init();
    assert_non_null(c);
    char url[512];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
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
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, body ? (long)strlen(body) : 0L);
    if (!body)
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (curl_easy_perform(c) != CURLE_OK)
        r.status = -1;
    else
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    curl_slist_free_all(hl);
    if (own)
        curl_easy_cleanup(c);
    if (r.body)
        r.json = json_loads(r.body, JSON_DECODE_ANY, NULL);
    return r;
}

static const char *jstr(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static reply aws_on(int port, const char *action, const char *body)
{
    char target[128];
    snprintf(target, sizeof target, "X-Amz-Target: AWSStepFunctions.%s",
             action);
    const char *const h[] = {target,
                             "Content-Type: application/x-amz-json-1.0",
                             NULL};
    return request(NULL, port, "POST", "/", body, h);
}

/* Each server gets its own db (cli_db: in tmpdir, or PostgreSQL) and log
 * in tmpdir; env is name/value pairs. */
static void spawn(server *s, const char *listen_host, const char *const *extra,
                  const char *const *env)
{
    static int n_servers;
    memset(s, 0, sizeof *s);
    n_servers++;
    char name[32];
    snprintf(s->log, sizeof s->log, "%s/serve-%d.log", tmpdir, n_servers);
    snprintf(name, sizeof name, "serve-%d.db", n_servers);
    cli_db(s->db, sizeof s->db, name);
    sh_opts o = {.listen_host = listen_host, .args = extra, .env = env};
    if (sh_start(s, &o))
        fail_msg("stepd serve did not start (see %s)", s->log);
}

static int stop(server *s)
{
    return sh_stop(s);
}

static const char role[] = "arn:aws:iam::123456789012:role/r";
static const char pass_def[] =
    "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\",\"End\":true}}}";
static const char m_arn[] =
    "arn:aws:states:us-east-1:123456789012:stateMachine:m";

/* What a refused request must leave alone. */
typedef struct {
    size_t machines, executions, activities;
} counts;

static size_t list_size(const char *action, const char *body, const char *key)
{
    reply r = aws_on(srv.port, action, body);
    assert_int_equal(r.status, 200);
    size_t n = json_array_size(json_object_get(r.json, key));
    reply_free(&r);
    return n;
}

static counts snapshot(void)
{
    char body[200];
    snprintf(body, sizeof body, "{\"stateMachineArn\":\"%s\"}", m_arn);
    return (counts){list_size("ListStateMachines", "{}", "stateMachines"),
                    list_size("ListExecutions", body, "executions"),
                    list_size("ListActivities", "{}", "activities")};
}

static void expect_unchanged(counts before)
{
    counts after = snapshot();
    assert_int_equal(after.machines, before.machines);
    assert_int_equal(after.executions, before.executions);
    assert_int_equal(after.activities, before.activities);
}

static void aws_expect(const char *action, const char *body, long status,
                       const char *type, const char *msg)
{
    counts before = snapshot();
    reply r = aws_on(srv.port, action, body);
    if (r.status != status || strcmp(jstr(r.json, "__type"), type))
        print_error("%s %s -> %ld %s\n", action, body, r.status,
                    r.body ? r.body : "");
    assert_int_equal(r.status, status);
    assert_string_equal(jstr(r.json, "__type"), type);
    assert_true(has(jstr(r.json, "message"), msg));
    reply_free(&r);
    expect_unchanged(before);
}

static void rest_expect(const char *method, const char *path,
                        const char *body, const char *ctype, long status,
                        const char *error)
{
    counts before = snapshot();
    char ct[128];
    snprintf(ct, sizeof ct, "Content-Type: %s", ctype);
    const char *const h[] = {ct, NULL};
    reply r = request(NULL, srv.port, method, path, body, h);
    if (r.status != status || strcmp(jstr(r.json, "error"), error))
        print_error("%s %s -> %ld %s\n", method, path, r.status,
                    r.body ? r.body : "");
    assert_int_equal(r.status, status);
    assert_string_equal(jstr(r.json, "error"), error);
    assert_true(strlen(jstr(r.json, "message")) > 0);
    reply_free(&r);
    expect_unchanged(before);
}

#define AWS_ROW(fn, action, body, type, msg)                                 \
    static void fn(void **state)                                            \
    {                                                                        \
        (void)state;                                                         \
        aws_expect(action, body, 400, type, msg);                            \
    }

#define REST_ROW(fn, method, path, body, ctype, status, error)               \
    static void fn(void **state)                                            \
    {                                                                        \
        (void)state;                                                         \
        rest_expect(method, path, body, ctype, status, error);               \
    }

#define SM "\"stateMachineArn\":\"arn:aws:states:us-east-1:123456789012:" \
           "stateMachine:"
#define DEF "\"definition\":\"{\\\"StartAt\\\":\\\"A\\\",\\\"States\\\":{" \
            "\\\"A\\\":{\\\"Type\\\":\\\"Pass\\\",\\\"End\\\":true}}}\""
#define ROLE "\"roleArn\":\"arn:aws:iam::123456789012:role/r\""

/* ---- AWS protocol rows --------------------------------------------------- */

AWS_ROW(test_aws_unknown_action, "Bogus", "{}", "UnknownOperationException",
        "Bogus")
AWS_ROW(test_aws_malformed_json, "CreateStateMachine", "{bad",
        "SerializationException", "Malformed JSON body")
AWS_ROW(test_aws_body_not_object, "CreateStateMachine", "[1]",
        "SerializationException", "must be a JSON object")
AWS_ROW(test_aws_missing_member, "CreateStateMachine", "{" DEF "," ROLE "}",
        "ValidationException", "at 'name'")
AWS_ROW(test_aws_wrong_type, "CreateStateMachine",
        "{\"name\":5," DEF "," ROLE "}", "ValidationException",
        "Member must be a string")
AWS_ROW(test_aws_name_too_long, "CreateStateMachine",
        "{\"name\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        "aaaaaaaaaaaaaaaaaaaaaaa\"," DEF "," ROLE "}",
        "InvalidName", "Invalid Name")
AWS_ROW(test_aws_name_bad_chars, "CreateStateMachine",
        "{\"name\":\"a b\"," DEF "," ROLE "}", "InvalidName", "'a b'")
AWS_ROW(test_aws_invalid_definition, "CreateStateMachine",
        "{\"name\":\"bad\",\"definition\":\"{}\"," ROLE "}",
        "InvalidDefinition", "SCHEMA_VALIDATION_FAILED")
AWS_ROW(test_aws_definition_not_json, "CreateStateMachine",
        "{\"name\":\"bad\",\"definition\":\"{x\"," ROLE "}",
        "InvalidDefinition", "INVALID_JSON_DESCRIPTION")
AWS_ROW(test_aws_bad_enum, "CreateStateMachine",
        "{\"name\":\"bad\"," DEF "," ROLE ",\"type\":\"FOO\"}",
        "ValidationException", "at 'type'")
AWS_ROW(test_aws_bad_role_arn, "CreateStateMachine",
        "{\"name\":\"bad\"," DEF ",\"roleArn\":\"nope\"}", "InvalidArn",
        "'nope'")
AWS_ROW(test_aws_name_taken_other_definition, "CreateStateMachine",
        "{\"name\":\"m\",\"definition\":\"{\\\"StartAt\\\":\\\"B\\\","
        "\\\"States\\\":{\\\"B\\\":{\\\"Type\\\":\\\"Succeed\\\"}}}\"," ROLE
        "}",
        "StateMachineAlreadyExists", "m")
AWS_ROW(test_aws_bad_machine_arn, "DescribeStateMachine",
        "{\"stateMachineArn\":\"nope\"}", "InvalidArn", "'nope'")
AWS_ROW(test_aws_unknown_machine, "DescribeStateMachine", "{" SM "zz\"}",
        "StateMachineDoesNotExist", "zz")
AWS_ROW(test_aws_update_invalid_definition, "UpdateStateMachine",
        "{" SM "m\",\"definition\":\"{}\"}", "InvalidDefinition",
        "SCHEMA_VALIDATION_FAILED")
AWS_ROW(test_aws_delete_bad_arn, "DeleteStateMachine",
        "{\"stateMachineArn\":\"nope\"}", "InvalidArn", "'nope'")
AWS_ROW(test_aws_start_unknown_machine, "StartExecution", "{" SM "zz\"}",
        "StateMachineDoesNotExist", "zz")
AWS_ROW(test_aws_start_input_not_json, "StartExecution",
        "{" SM "m\",\"input\":\"{bad\"}", "InvalidExecutionInput",
        "Invalid State Machine Execution Input")
AWS_ROW(test_aws_start_input_wrong_type, "StartExecution",
        "{" SM "m\",\"input\":5}", "ValidationException", "at 'input'")
AWS_ROW(test_aws_start_bad_name, "StartExecution",
        "{" SM "m\",\"name\":\"a b\"}", "InvalidName", "'a b'")
AWS_ROW(test_aws_unknown_execution, "DescribeExecution",
        "{\"executionArn\":\"arn:aws:states:us-east-1:123456789012:"
        "execution:m:zz\"}",
        "ExecutionDoesNotExist", "zz")
AWS_ROW(test_aws_bad_execution_arn, "DescribeExecution",
        "{\"executionArn\":\"nope\"}", "InvalidArn", "'nope'")
AWS_ROW(test_aws_stop_unknown_execution, "StopExecution",
        "{\"executionArn\":\"arn:aws:states:us-east-1:123456789012:"
        "execution:m:zz\"}",
        "ExecutionDoesNotExist", "zz")
AWS_ROW(test_aws_history_unknown_execution, "GetExecutionHistory",
        "{\"executionArn\":\"arn:aws:states:us-east-1:123456789012:"
        "execution:m:zz\"}",
        "ExecutionDoesNotExist", "zz")
AWS_ROW(test_aws_bad_pagination_token, "ListStateMachines",
        "{\"nextToken\":\"garbage\"}", "InvalidToken", "garbage")
AWS_ROW(test_aws_max_results_too_large, "ListStateMachines",
        "{\"maxResults\":5000}", "ValidationException", "at 'maxResults'")
AWS_ROW(test_aws_max_results_wrong_type, "ListStateMachines",
        "{\"maxResults\":\"x\"}", "ValidationException", "must be an integer")
AWS_ROW(test_aws_bad_status_filter, "ListExecutions",
        "{" SM "m\",\"statusFilter\":\"FOO\"}", "ValidationException",
        "at 'statusFilter'")
AWS_ROW(test_aws_unknown_activity, "DescribeActivity",
        "{\"activityArn\":\"arn:aws:states:us-east-1:123456789012:"
        "activity:zz\"}",
        "ActivityDoesNotExist", "zz")
AWS_ROW(test_aws_poll_unknown_activity, "GetActivityTask",
        "{\"activityArn\":\"arn:aws:states:us-east-1:123456789012:"
        "activity:zz\"}",
        "ActivityDoesNotExist", "zz")
AWS_ROW(test_aws_activity_bad_name, "CreateActivity", "{\"name\":\"a b\"}",
        "InvalidName", "'a b'")
AWS_ROW(test_aws_task_token_malformed, "SendTaskSuccess",
        "{\"taskToken\":\"garbage\",\"output\":\"{}\"}", "InvalidToken",
        "not a stepd task token")
AWS_ROW(test_aws_task_token_empty, "SendTaskSuccess",
        "{\"taskToken\":\"\",\"output\":\"{}\"}", "ValidationException",
        "at 'taskToken'")
AWS_ROW(test_aws_task_failure_token_malformed, "SendTaskFailure",
        "{\"taskToken\":\"garbage\"}", "InvalidToken", "garbage")
AWS_ROW(test_aws_heartbeat_token_malformed, "SendTaskHeartbeat",
        "{\"taskToken\":\"garbage\"}", "InvalidToken", "garbage")
AWS_ROW(test_aws_validate_missing_definition, "ValidateStateMachineDefinition",
        "{}", "ValidationException", "at 'definition'")
AWS_ROW(test_aws_test_state_missing_definition, "TestState", "{}",
        "ValidationException", "at 'definition'")

static void test_aws_wrong_content_type(void **state)
{
    (void)state;
    counts before = snapshot();
    const char *const h[] = {"X-Amz-Target: AWSStepFunctions.ListStateMachines",
                             "Content-Type: text/plain", NULL};
    reply r = request(NULL, srv.port, "POST", "/", "{}", h);
    assert_int_equal(r.status, 400);
    assert_string_equal(jstr(r.json, "__type"), "SerializationException");
    assert_true(has(jstr(r.json, "message"), "application/x-amz-json-1.0"));
    reply_free(&r);
    expect_unchanged(before);
}

/* Over 2 x limits.definition_bytes + 64 KiB (the server runs with 4 KiB):
 * refused before the body is read. */
static void test_aws_oversized_body(void **state)
{
    (void)state;
    counts before = snapshot();
    size_t n = 80 * 1024;
    char *body = malloc(n + 64);
    assert_non_null(body);
    int k = snprintf(body, 64, "{\"name\":\"big\",\"definition\":\"");
    memset(body + k, ' ', n);
    strcpy(body + k + n, "\"}");
    reply r = aws_on(srv.port, "CreateStateMachine", body);
    free(body);
    assert_int_equal(r.status, 400);
    assert_string_equal(jstr(r.json, "__type"), "ValidationException");
    assert_true(has(jstr(r.json, "message"), "exceeds the limit"));
    reply_free(&r);
    expect_unchanged(before);
}

/* Between limits.definition_bytes and the envelope cap: the service checks
 * the decoded definition's size. */
static void test_aws_definition_too_large(void **state)
{
    (void)state;
    counts before = snapshot();
    size_t n = 6000;
    char *body = malloc(n + 200);
    assert_non_null(body);
    int k = snprintf(body, 200,
                     "{\"name\":\"big\"," ROLE ",\"definition\":\"");
    memset(body + k, ' ', n);
    strcpy(body + k + n, "\"}");
    reply r = aws_on(srv.port, "CreateStateMachine", body);
    free(body);
    assert_int_equal(r.status, 400);
    assert_true(!strcmp(jstr(r.json, "__type"), "ValidationException") ||
                !strcmp(jstr(r.json, "__type"), "InvalidDefinition"));
    reply_free(&r);
    expect_unchanged(before);
}

/* Execution input above limits.payload_bytes (the server runs with 1 KiB). */
static void test_aws_input_too_large(void **state)
{
    (void)state;
    counts before = snapshot();
    char body[4096];
    int k = snprintf(body, sizeof body, "{" SM "m\",\"input\":\"[\\\"");
    memset(body + k, 'x', 2000);
    strcpy(body + k + 2000, "\\\"]\"}");
    reply r = aws_on(srv.port, "StartExecution", body);
    assert_int_equal(r.status, 400);
    assert_true(!strcmp(jstr(r.json, "__type"), "InvalidExecutionInput") ||
                !strcmp(jstr(r.json, "__type"), "ValidationException"));
    reply_free(&r);
    expect_unchanged(before);
}

/* ---- REST rows ----------------------------------------------------------- */

REST_ROW(test_rest_malformed_definition, "PUT", "/v1/state-machines/x",
         "{bad", "application/json", 400, "InvalidDefinition")
REST_ROW(test_rest_invalid_definition, "PUT", "/v1/state-machines/x", "{}",
         "application/json", 400, "InvalidDefinition")
REST_ROW(test_rest_bad_machine_name, "PUT", "/v1/state-machines/a%20b",
         pass_def, "application/json", 400, "InvalidName")
REST_ROW(test_rest_wrong_content_type, "PUT", "/v1/state-machines/x",
         pass_def, "text/plain", 415, "UnsupportedMediaType")
REST_ROW(test_rest_input_not_json, "POST", "/v1/state-machines/m/executions",
         "{bad", "application/json", 400, "InvalidExecutionInput")
REST_ROW(test_rest_start_unknown_machine, "POST",
         "/v1/state-machines/zz/executions", "{}", "application/json", 404,
         "StateMachineDoesNotExist")
REST_ROW(test_rest_bad_execution_id, "GET", "/v1/executions/zz", NULL,
         "application/json", 400, "InvalidArn")
REST_ROW(test_rest_unknown_execution, "GET", "/v1/executions/m:zz", NULL,
         "application/json", 404, "ExecutionDoesNotExist")
REST_ROW(test_rest_bad_cursor, "GET", "/v1/state-machines?cursor=garbage",
         NULL, "application/json", 400, "InvalidToken")
REST_ROW(test_rest_bad_limit, "GET", "/v1/state-machines?limit=abc", NULL,
         "application/json", 400, "ValidationException")
REST_ROW(test_rest_limit_out_of_range, "GET", "/v1/state-machines?limit=0",
         NULL, "application/json", 400, "ValidationException")
REST_ROW(test_rest_unknown_route, "GET", "/v1/nope", NULL, "application/json",
         404, "NotFound")
REST_ROW(test_rest_unknown_top_route, "GET", "/nope", NULL,
         "application/json", 404, "NotFound")
REST_ROW(test_rest_wrong_method, "PATCH", "/v1/state-machines/m", NULL,
         "application/json", 405, "MethodNotAllowed")
REST_ROW(test_rest_task_token_malformed, "POST", "/v1/tasks/garbage/success",
         "{}", "application/json", 400, "InvalidToken")
REST_ROW(test_rest_task_output_not_json, "POST", "/v1/tasks/garbage/success",
         "{bad", "application/json", 400, "InvalidOutput")
REST_ROW(test_rest_unknown_activity, "GET", "/v1/activities/zz", NULL,
         "application/json", 404, "ActivityDoesNotExist")
REST_ROW(test_rest_activity_body_wrong_type, "POST", "/v1/activities",
         "{\"name\":5}", "application/json", 400, "ValidationException")

static void test_rest_oversized_body(void **state)
{
    (void)state;
    counts before = snapshot();
    char *body = malloc(8192 + 1);
    assert_non_null(body);
    memset(body, ' ', 8192);
    body[8192] = '\0';
    const char *const h[] = {"Content-Type: application/json", NULL};
    reply r = request(NULL, srv.port, "PUT", "/v1/state-machines/big", body, h);
    free(body);
    assert_int_equal(r.status, 413);
    assert_string_equal(jstr(r.json, "error"), "PayloadTooLarge");
    reply_free(&r);
    expect_unchanged(before);
}

/* ---- limits and security --------------------------------------------------- */

/* limits.requests_per_second_per_connection = 1: the second request on one
 * connection within the second is refused; a new connection is not. */
static void test_rate_limit_per_connection(void **state)
{
    (void)state;
    server s;
    const char *const extra[] = {"--limits-requests-per-second-per-connection",
                                 "1", NULL};
    spawn(&s, "127.0.0.1", extra, NULL);
    own_pid = s.pid;
    CURL *c = curl_easy_init();
    reply r = request(c, s.port, "GET", "/v1/state-machines", NULL, NULL);
    assert_int_equal(r.status, 200);
    reply_free(&r);
    r = request(c, s.port, "GET", "/v1/state-machines", NULL, NULL);
    assert_int_equal(r.status, 429);
    assert_string_equal(jstr(r.json, "error"), "ThrottlingException");
    assert_string_equal(r.retry_after, "1");
    reply_free(&r);
    const char *const h[] = {"X-Amz-Target: AWSStepFunctions.ListStateMachines",
                             "Content-Type: application/x-amz-json-1.0",
                             NULL};
    r = request(c, s.port, "POST", "/", "{}", h);
    assert_int_equal(r.status, 429);
    assert_string_equal(jstr(r.json, "__type"), "ThrottlingException");
    assert_true(has(jstr(r.json, "message"), "Rate exceeded"));
    reply_free(&r);
    curl_easy_cleanup(c);
    r = request(NULL, s.port, "GET", "/v1/state-machines", NULL, NULL);
    assert_int_equal(r.status, 200);
    reply_free(&r);
    assert_int_equal(stop(&s), 0);
    own_pid = 0;
}

/* Listening on every address without auth.token: a warning at start. */
static void test_wide_bind_without_auth_warns(void **state)
{
    (void)state;
    server s;
    spawn(&s, "0.0.0.0", NULL, NULL);
    own_pid = s.pid;
    assert_int_equal(stop(&s), 0);
    own_pid = 0;
    char *log = slurp(s.log);
    assert_true(has(log, "non-loopback address without"));
    free(log);
}

static void test_loopback_is_default_and_silent(void **state)
{
    (void)state;
    char *log = slurp(srv.log);
    assert_null(strstr(log, "non-loopback address without"));
    assert_true(has(log, "127.0.0.1"));
    free(log);
}

#define SECRET "h13-api-key-value-7f3a9c"
#define BEARER "h13-bearer-token-0123456789abcdef"

/* An HTTP Task whose connection sends an API key to stepd's own REST API,
 * which wants the bearer token: 401.  Neither secret may appear in the
 * execution's history or error, in API answers, or in the log. */
static void test_secrets_not_in_log_or_history(void **state)
{
    (void)state;
    server s;
    const char *const extra[] = {"--config", fx("secrets.json"),
                                 "--log-level", "debug", NULL};
    const char *const env[] = {"H13_SECRET_KEY", SECRET, "STEPD_TOKEN",
                               BEARER, NULL};
    spawn(&s, "127.0.0.1", extra, env);
    own_pid = s.pid;
    char def[1024], body[2048];
    snprintf(def, sizeof def,
             "{\"StartAt\":\"Call\",\"States\":{\"Call\":{\"Type\":\"Task\","
             "\"Resource\":\"arn:aws:states:::http:invoke\",\"Parameters\":{"
             "\"ApiEndpoint\":\"http://127.0.0.1:%d/v1/state-machines\","
             "\"Method\":\"GET\",\"Authentication\":{\"ConnectionArn\":"
             "\"arn:aws:events:us-east-1:123456789012:connection/svc\"}},"
             "\"End\":true}}}",
             s.port);
    json_t *req = json_pack("{s:s, s:s, s:s}", "name", "sec", "definition",
                            def, "roleArn", role);
    char *text = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    reply r = aws_on(s.port, "CreateStateMachine", text);
    free(text);
    assert_int_equal(r.status, 200);
    reply_free(&r);
    snprintf(body, sizeof body,
             "{\"stateMachineArn\":\"arn:aws:states:us-east-1:123456789012:"
             "stateMachine:sec\",\"name\":\"e1\"}");
    r = aws_on(s.port, "StartExecution", body);
    assert_int_equal(r.status, 200);
    reply_free(&r);
    const char *exec = "{\"executionArn\":\"arn:aws:states:us-east-1:"
                       "123456789012:execution:sec:e1\"}";
    int64_t deadline = sh_now_ms() + 20000;
    for (;;) {
        r = aws_on(s.port, "DescribeExecution", exec);
        assert_int_equal(r.status, 200);
        if (strcmp(jstr(r.json, "status"), "RUNNING"))
            break;
        reply_free(&r);
        if (sh_now_ms() > deadline)
            fail_msg("execution still RUNNING");
        poll(NULL, 0, 20);
    }
    assert_string_equal(jstr(r.json, "status"), "FAILED");
    assert_string_equal(jstr(r.json, "error"), "States.Http.StatusCode.401");
    assert_null(strstr(r.body, SECRET));
    assert_null(strstr(r.body, BEARER));
    reply_free(&r);
    r = aws_on(s.port, "GetExecutionHistory", exec);
    assert_int_equal(r.status, 200);
    assert_null(strstr(r.body, SECRET));
    assert_null(strstr(r.body, BEARER));
    reply_free(&r);
    assert_int_equal(stop(&s), 0);
    own_pid = 0;
    char *log = slurp(s.log);
    assert_null(strstr(log, SECRET));
    assert_null(strstr(log, BEARER));
    free(log);
}

/* ---- fixtures and main ------------------------------------------------------ */

static void write_fixtures(void)
{
    free(write_tmp("ok.json", pass_def));
    free(write_tmp("bad.json", "{bad"));
    free(write_tmp("empty.json", ""));
    free(write_tmp("noasl.json", "{}"));
    free(write_tmp("nonutf8.json",
                   "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\","
                   "\"Result\":\"\xff\",\"End\":true}}}"));
    size_t depth = 5000;
    char *deep = malloc(2 * depth + 1);
    assert_non_null(deep);
    memset(deep, '[', depth);
    memset(deep + depth, ']', depth);
    deep[2 * depth] = '\0';
    free(write_tmp("deep.json", deep));
    free(deep);
    free(write_tmp("typo.json", "{\"limits\":{\"payload_byte\":1}}"));
    free(write_tmp("wrongtype.json", "{\"limits\":{\"payload_bytes\":\"x\"}}"));
    free(write_tmp("unsetenv.json",
                   "{\"connections\":{\"c\":{\"type\":\"API_KEY\","
                   "\"key_name\":\"X-Key\",\"key_value\":"
                   "\"env:H13_UNSET_SECRET\"}}}"));
    free(write_tmp("badbinding.json",
                   "{\"bindings\":[{\"resource\":\"arn:aws:lambda:*\","
                   "\"url\":\"http://127.0.0.1:1/\",\"connection\":"
                   "\"nosuch\"}]}"));
    free(write_tmp("badconn.json",
                   "{\"connections\":{\"c\":{\"type\":\"NOPE\"}}}"));
    free(write_tmp("secrets.json",
                   "{\"connections\":{\"svc\":{\"type\":\"API_KEY\","
                   "\"key_name\":\"X-Api-Key\",\"key_value\":"
                   "\"env:H13_SECRET_KEY\"}}}"));
}

static int setup(void **state)
{
    (void)state;
    if (!mkdtemp(tmpdir))
        return -1;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    write_fixtures();
    const char *const extra[] = {"--limits-definition-bytes", "4096",
                                 "--limits-payload-bytes", "1024", NULL};
    spawn(&srv, "127.0.0.1", extra, NULL);
    char body[512];
    snprintf(body, sizeof body, "{\"name\":\"m\"," DEF "," ROLE "}");
    reply r = aws_on(srv.port, "CreateStateMachine", body);
    int ok = r.status == 200 ? 0 : -1;
    reply_free(&r);
    return ok;
}

static int teardown(void **state)
{
    (void)state;
    int st = stop(&srv);
    cli_db_release();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    curl_global_cleanup();
    return st == 0 ? 0 : -1;
}

static int kill_own(void **state)
{
    (void)state;
    if (own_pid > 0) {
        kill(own_pid, SIGKILL);
        waitpid(own_pid, NULL, 0);
    }
    own_pid = 0;
    return 0;
}

#define T(f) cmocka_unit_test_teardown(f, kill_own)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_cli_unknown_command), T(test_cli_unknown_top_option),
        T(test_cli_validate_unknown_flag), T(test_cli_validate_unreadable_file),
        T(test_cli_validate_malformed_json), T(test_cli_validate_empty_file),
        T(test_cli_validate_non_utf8), T(test_cli_validate_too_deep),
        T(test_cli_validate_invalid_asl), T(test_cli_graph_bad_format),
        T(test_cli_graph_no_file), T(test_cli_lower_unknown_flag),
        T(test_cli_lower_malformed_json), T(test_cli_load_missing_value),
        T(test_cli_load_refused_writes_nothing),
        T(test_cli_run_input_not_json), T(test_cli_run_input_file_unreadable),
        T(test_cli_run_bad_number), T(test_cli_run_input_too_large),
        T(test_cli_run_unknown_flag), T(test_cli_history_missing_db),
        T(test_cli_test_state_unknown_state), T(test_cli_test_state_bad_enum),
        T(test_cli_test_state_input_not_json), T(test_cli_serve_unknown_flag),
        T(test_cli_serve_bad_number), T(test_cli_serve_bad_listen),
        T(test_cli_serve_missing_config_file),
        T(test_cli_serve_config_unknown_key),
        T(test_cli_serve_config_wrong_type),
        T(test_cli_serve_config_unset_secret),
        T(test_cli_serve_bad_allow_entry), T(test_cli_serve_bad_binding),
        T(test_cli_serve_bad_connection),
        T(test_cli_serve_map_concurrency_out_of_range),
        T(test_cli_serve_rate_limit_out_of_range),
        T(test_cli_demo_service_unknown_flag),
        T(test_aws_unknown_action), T(test_aws_malformed_json),
        T(test_aws_body_not_object), T(test_aws_missing_member),
        T(test_aws_wrong_type), T(test_aws_name_too_long),
        T(test_aws_name_bad_chars), T(test_aws_invalid_definition),
        T(test_aws_definition_not_json), T(test_aws_bad_enum),
        T(test_aws_bad_role_arn), T(test_aws_name_taken_other_definition),
        T(test_aws_bad_machine_arn), T(test_aws_unknown_machine),
        T(test_aws_update_invalid_definition), T(test_aws_delete_bad_arn),
        T(test_aws_start_unknown_machine), T(test_aws_start_input_not_json),
        T(test_aws_start_input_wrong_type), T(test_aws_start_bad_name),
        T(test_aws_unknown_execution), T(test_aws_bad_execution_arn),
        T(test_aws_stop_unknown_execution),
        T(test_aws_history_unknown_execution),
        T(test_aws_bad_pagination_token), T(test_aws_max_results_too_large),
        T(test_aws_max_results_wrong_type), T(test_aws_bad_status_filter),
        T(test_aws_unknown_activity), T(test_aws_poll_unknown_activity),
        T(test_aws_activity_bad_name), T(test_aws_task_token_malformed),
        T(test_aws_task_token_empty), T(test_aws_task_failure_token_malformed),
        T(test_aws_heartbeat_token_malformed),
        T(test_aws_validate_missing_definition),
        T(test_aws_test_state_missing_definition),
        T(test_aws_wrong_content_type), T(test_aws_oversized_body),
        T(test_aws_definition_too_large), T(test_aws_input_too_large),
        T(test_rest_malformed_definition), T(test_rest_invalid_definition),
        T(test_rest_bad_machine_name), T(test_rest_wrong_content_type),
        T(test_rest_input_not_json), T(test_rest_start_unknown_machine),
        T(test_rest_bad_execution_id), T(test_rest_unknown_execution),
        T(test_rest_bad_cursor), T(test_rest_bad_limit),
        T(test_rest_limit_out_of_range), T(test_rest_unknown_route),
        T(test_rest_unknown_top_route), T(test_rest_wrong_method),
        T(test_rest_task_token_malformed), T(test_rest_task_output_not_json),
        T(test_rest_unknown_activity), T(test_rest_activity_body_wrong_type),
        T(test_rest_oversized_body),
        T(test_rate_limit_per_connection), T(test_wide_bind_without_auth_warns),
        T(test_loopback_is_default_and_silent),
        T(test_secrets_not_in_log_or_history),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

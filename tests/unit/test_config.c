/* test_config.c: stepd serve's settings: defaults, the precedence
 * defaults < file < environment < flags, the STEPD_TOKEN and
 * SFN_MOCK_CONFIG aliases, the task settings (allowlist, connections with
 * env: secrets, bindings), and validation messages that name the key and
 * where the value came from. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sfn_config.h"
#include "sfn_server.h"

/* ---- a fake environment ------------------------------------------------ */

static const char *fake_env[16][2];
static int n_env;

static void setenv_fake(const char *name, const char *value)
{
    fake_env[n_env][0] = name;
    fake_env[n_env][1] = value;
    n_env++;
}

static const char *getenv_fake(const char *name)
{
    for (int i = 0; i < n_env; i++)
        if (!strcmp(fake_env[i][0], name))
            return fake_env[i][1];
    return NULL;
}

static char cfg_path[64];

static int setup(void **state)
{
    (void)state;
    n_env = 0;
    snprintf(cfg_path, sizeof cfg_path, "/tmp/stepd-test-config-%d.json",
             (int)getpid());
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(cfg_path);
    return 0;
}

static void write_file(const char *text)
{
    FILE *f = fopen(cfg_path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* Loads with argv = {"serve", args...}; returns the rc. */
static sfn_rc load(sfn_config *c, sfn_error *err, int n, ...)
{
    char *argv[16] = {"serve"};
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++)
        argv[i + 1] = va_arg(ap, char *);
    va_end(ap);
    bool help = false;
    sfn_error_clear(err);
    return sfn_config_load(c, n + 1, argv, getenv_fake, &help, err);
}

/* ---- defaults and precedence ------------------------------------------- */

static void test_defaults(void **state)
{
    (void)state;
    sfn_config c;
    sfn_error err;
    assert_int_equal(load(&c, &err, 0), SFN_OK);
    assert_string_equal(c.listen, "127.0.0.1:8083");
    assert_string_equal(c.db, "stepd.db");
    assert_int_equal(c.sync, SFN_SYNC_NORMAL);
    assert_string_equal(c.region, "us-east-1");
    assert_string_equal(c.account, "123456789012");
    assert_null(c.auth_token);
    assert_int_equal(c.n_aws_keys, 0);
    assert_int_equal(c.limits.history_events, 25000);
    assert_int_equal(c.limits.payload_bytes, 262144);
    assert_int_equal(c.limits.definition_bytes, 1048576);
    assert_int_equal(c.limits.open_executions, 1000000);
    assert_int_equal(c.log_level, SFN_LOG_INFO);
    assert_int_equal(c.log_format, SFN_LOG_TEXT);
    sfn_config_free(&c);
}

static void test_file_overrides_defaults(void **state)
{
    (void)state;
    write_file("{\"db\":\"/tmp/x.db\",\"sync\":\"full\","
               "\"auth\":{\"token\":\"file-token-123\"},"
               "\"limits\":{\"payload_bytes\":1000,\"open_executions\":5},"
               "\"log\":{\"level\":\"debug\",\"format\":\"json\"}}");
    sfn_config c;
    sfn_error err;
    assert_int_equal(load(&c, &err, 2, "--config", cfg_path), SFN_OK);
    assert_string_equal(c.db, "/tmp/x.db");
    assert_int_equal(c.sync, SFN_SYNC_FULL);
    assert_string_equal(c.auth_token, "file-token-123");
    assert_int_equal(c.limits.payload_bytes, 1000);
    assert_int_equal(c.limits.open_executions, 5);
    assert_int_equal(c.log_level, SFN_LOG_DEBUG);
    assert_int_equal(c.log_format, SFN_LOG_JSON);
    assert_string_equal(c.listen, "127.0.0.1:8083");
    assert_string_equal(c.config_file, cfg_path);
    sfn_config_free(&c);
}

static void test_env_overrides_file(void **state)
{
    (void)state;
    write_file("{\"db\":\"file.db\",\"region\":\"eu-west-1\"}");
    setenv_fake("STEPD_CONFIG", cfg_path);
    setenv_fake("STEPD_DB", "env.db");
    setenv_fake("STEPD_LIMITS_HISTORY_EVENTS", "100");
    sfn_config c;
    sfn_error err;
    assert_int_equal(load(&c, &err, 0), SFN_OK);
    assert_string_equal(c.db, "env.db");
    assert_string_equal(c.region, "eu-west-1");
    assert_int_equal(c.limits.history_events, 100);
    sfn_config_free(&c);
}

static void test_flags_override_env(void **state)
{
    (void)state;
    setenv_fake("STEPD_DB", "env.db");
    setenv_fake("STEPD_LISTEN", "127.0.0.1:9000");
    sfn_config c;
    sfn_error err;
    assert_int_equal(load(&c, &err, 3, "--db", "flag.db",
                          "--listen=127.0.0.1:9001"),
                     SFN_OK);
    assert_string_equal(c.db, "flag.db");
    assert_string_equal(c.listen, "127.0.0.1:9001");
    sfn_config_free(&c);
}

static void test_token_alias(void **state)
{
    (void)state;
    setenv_fake("STEPD_TOKEN", "alias-token-1");
    sfn_config c;
    sfn_error err;
    assert_int_equal(load(&c, &err, 0), SFN_OK);
    assert_string_equal(c.auth_token, "alias-token-1");
    sfn_config_free(&c);
    /* the full name wins over the alias, a flag over both */
    setenv_fake("STEPD_AUTH_TOKEN", "full-token-22");
    assert_int_equal(load(&c, &err, 0), SFN_OK);
    assert_string_equal(c.auth_token, "full-token-22");
    sfn_config_free(&c);
    assert_int_equal(load(&c, &err, 2, "--auth-token", "flag-token-333"),
                     SFN_OK);
    assert_string_equal(c.auth_token, "flag-token-333");
    sfn_config_free(&c);
}

static void test_aws_keys_env_and_file(void **state)
{
    (void)state;
    setenv_fake("STEPD_AUTH_AWS_KEYS", "AKID1:secret1,AKID2:secret2");
    sfn_config c;
    sfn_error err;
    assert_int_equal(load(&c, &err, 0), SFN_OK);
    assert_int_equal(c.n_aws_keys, 2);
    assert_string_equal(c.aws_keys[1].access_key_id, "AKID2");
    assert_string_equal(c.aws_keys[1].secret_access_key, "secret2");
    sfn_config_free(&c);
    n_env = 0;
    write_file("{\"auth\":{\"aws_keys\":[{\"access_key_id\":\"AK\","
               "\"secret_access_key\":\"SK\"}]}}");
    assert_int_equal(load(&c, &err, 2, "--config", cfg_path), SFN_OK);
    assert_int_equal(c.n_aws_keys, 1);
    assert_string_equal(c.aws_keys[0].access_key_id, "AK");
    assert_string_equal(c.aws_keys[0].secret_access_key, "SK");
    sfn_config_free(&c);
}

/* ---- validation -------------------------------------------------------- */

static void expect_error(sfn_rc rc, const sfn_error *err, const char *a,
                         const char *b)
{
    assert_int_not_equal(rc, SFN_OK);
    if (!strstr(err->cause, a) || (b && !strstr(err->cause, b)))
        fail_msg("message '%s' lacks '%s' / '%s'", err->cause, a,
                 b ? b : "");
}

static void test_bad_env_value_names_key_and_source(void **state)
{
    (void)state;
    setenv_fake("STEPD_LIMITS_PAYLOAD_BYTES", "lots");
    sfn_config c;
    sfn_error err;
    sfn_rc rc = load(&c, &err, 0);
    expect_error(rc, &err, "STEPD_LIMITS_PAYLOAD_BYTES",
                 "limits.payload_bytes");
    sfn_config_free(&c);
}

static void test_out_of_range(void **state)
{
    (void)state;
    sfn_config c;
    sfn_error err;
    sfn_rc rc = load(&c, &err, 2, "--limits-max-connections", "0");
    expect_error(rc, &err, "limits.max_connections", "out of range");
    sfn_config_free(&c);
}

static void test_bad_enum(void **state)
{
    (void)state;
    sfn_config c;
    sfn_error err;
    sfn_rc rc = load(&c, &err, 2, "--log-level", "loud");
    expect_error(rc, &err, "log.level", "debug, info, warn, error");
    sfn_config_free(&c);
    rc = load(&c, &err, 2, "--sync", "sometimes");
    expect_error(rc, &err, "sync", "normal, full");
    sfn_config_free(&c);
}

static void test_unknown_file_key(void **state)
{
    (void)state;
    write_file("{\"limits\":{\"payload_byte\":5}}");
    sfn_config c;
    sfn_error err;
    sfn_rc rc = load(&c, &err, 2, "--config", cfg_path);
    expect_error(rc, &err, cfg_path, "limits.payload_byte");
    sfn_config_free(&c);
}

static void test_file_wrong_type(void **state)
{
    (void)state;
    write_file("{\"limits\":{\"payload_bytes\":\"big\"}}");
    sfn_config c;
    sfn_error err;
    sfn_rc rc = load(&c, &err, 2, "--config", cfg_path);
    expect_error(rc, &err, "limits.payload_bytes", "integer");
    sfn_config_free(&c);
}

static void test_bad_json_file(void **state)
{
    (void)state;
    write_file("{\"db\": \n  oops}");
    sfn_config c;
    sfn_error err;
    sfn_rc rc = load(&c, &err, 2, "--config", cfg_path);
    expect_error(rc, &err, cfg_path, "line 2");
    sfn_config_free(&c);
}

static void test_missing_file(void **state)
{
    (void)state;
    sfn_config c;
    sfn_error err;
    sfn_rc rc = load(&c, &err, 2, "--config", "/nonexistent/stepd.json");
    expect_error(rc, &err, "/nonexistent/stepd.json", NULL);
    sfn_config_free(&c);
}

static void test_bad_listen(void **state)
{
    (void)state;
    sfn_config c;
    sfn_error err;
    sfn_rc rc = load(&c, &err, 2, "--listen", "localhost");
    expect_error(rc, &err, "listen", "HOST:PORT");
    sfn_config_free(&c);
    rc = load(&c, &err, 2, "--listen", "127.0.0.1:70000");
    expect_error(rc, &err, "listen", "1..65535");
    sfn_config_free(&c);
}

static void test_bad_account(void **state)
{
    (void)state;
    sfn_config c;
    sfn_error err;
    sfn_rc rc = load(&c, &err, 2, "--account", "12345");
    expect_error(rc, &err, "account", "12 digits");
    sfn_config_free(&c);
}

static void test_unknown_flag(void **state)
{
    (void)state;
    sfn_config c;
    sfn_error err;
    sfn_rc rc = load(&c, &err, 2, "--colour", "blue");
    expect_error(rc, &err, "unknown option", "--colour");
    sfn_config_free(&c);
    rc = load(&c, &err, 1, "--db");
    expect_error(rc, &err, "--db", "needs a value");
    sfn_config_free(&c);
}

static void test_short_token_rejected(void **state)
{
    (void)state;
    setenv_fake("STEPD_TOKEN", "abc");
    sfn_config c;
    sfn_error err;
    sfn_rc rc = load(&c, &err, 0);
    expect_error(rc, &err, "auth.token", "8 characters");
    sfn_config_free(&c);
}

static void test_help(void **state)
{
    (void)state;
    sfn_config c;
    sfn_error err;
    char *argv[] = {"serve", "--bogus", "--help"};
    bool help = false;
    assert_int_equal(sfn_config_load(&c, 3, argv, getenv_fake, &help, &err),
                     SFN_OK);
    assert_true(help);
    sfn_config_free(&c);
}

static void test_names(void **state)
{
    (void)state;
    char buf[96];
    sfn_config_env_name("limits.payload_bytes", buf, sizeof buf);
    assert_string_equal(buf, "STEPD_LIMITS_PAYLOAD_BYTES");
    sfn_config_flag_name("limits.payload_bytes", buf, sizeof buf);
    assert_string_equal(buf, "--limits-payload-bytes");
    sfn_config_flag_name("log.level", buf, sizeof buf);
    assert_string_equal(buf, "--log-level");
    size_t n = 0;
    const sfn_config_doc *d = sfn_config_docs(&n);
    assert_true(n >= 17);
    assert_string_equal(d[0].key, "listen");
}

static void test_listen_addr(void **state)
{
    (void)state;
    sfn_config c;
    sfn_error err;
    assert_int_equal(load(&c, &err, 2, "--listen", "[::1]:8443"), SFN_OK);
    char *host = NULL;
    int port = 0;
    assert_int_equal(sfn_config_listen_addr(&c, &host, &port, &err), SFN_OK);
    assert_string_equal(host, "::1");
    assert_int_equal(port, 8443);
    free(host);
    sfn_config_free(&c);
}

/* The limits become the request-body caps of the server. */
static void test_body_caps(void **state)
{
    (void)state;
    sfn_config c;
    sfn_error err;
    assert_int_equal(load(&c, &err, 0), SFN_OK);
    assert_int_equal(sfn_server_body_cap(&c, "PUT", "/v1/state-machines/a",
                                         NULL),
                     1048576);
    assert_int_equal(sfn_server_body_cap(&c, "POST", "/v1/validate", NULL),
                     1048576);
    assert_int_equal(sfn_server_body_cap(&c, "POST",
                                         "/v1/state-machines/a/executions",
                                         NULL),
                     262144);
    assert_int_equal(sfn_server_body_cap(&c, "POST", "/",
                                         "AWSStepFunctions.StartExecution"),
                     589824);
    assert_int_equal(
        sfn_server_body_cap(&c, "POST", "/",
                            "AWSStepFunctions.CreateStateMachine"),
        2 * 1048576 + 65536);
    sfn_config_free(&c);
}

/* ---- task dispatch settings ------------------------------------------ */

static void test_tasks_defaults(void **state)
{
    (void)state;
    sfn_config c;
    sfn_error err;
    assert_int_equal(load(&c, &err, 0), SFN_OK);
    assert_int_equal(c.tasks.n_allow, 0);
    assert_int_equal(c.tasks.http_timeout_s, 60);
    assert_int_equal(c.tasks.max_response_bytes, 262144);
    assert_int_equal(c.tasks.unbound, SFN_UNBOUND_AT_STATE);
    assert_null(c.tasks.mock_file);
    assert_int_equal(c.tasks.n_connections, 0);
    assert_int_equal(c.tasks.n_bindings, 0);
    assert_string_equal(c.tasks.region, "us-east-1");
    sfn_config_free(&c);
}

static void test_http_allow_file_array_then_env_list(void **state)
{
    (void)state;
    write_file("{\"http\":{\"allow\":[\"api.example.com\",\"10.0.0.0/8\"],"
               "\"timeout_seconds\":5}}");
    sfn_config c;
    sfn_error err;
    assert_int_equal(load(&c, &err, 2, "--config", cfg_path), SFN_OK);
    assert_int_equal(c.tasks.n_allow, 2);
    assert_string_equal(c.tasks.allow[0], "api.example.com");
    assert_string_equal(c.tasks.allow[1], "10.0.0.0/8");
    assert_int_equal(c.tasks.http_timeout_s, 5);
    sfn_config_free(&c);
    setenv_fake("STEPD_HTTP_ALLOW", " x.example.com, *.y.example.com ,");
    assert_int_equal(load(&c, &err, 2, "--config", cfg_path), SFN_OK);
    assert_int_equal(c.tasks.n_allow, 2);
    assert_string_equal(c.tasks.allow[0], "x.example.com");
    assert_string_equal(c.tasks.allow[1], "*.y.example.com");
    sfn_config_free(&c);
}

static void test_bad_allow_entry(void **state)
{
    (void)state;
    sfn_config c;
    sfn_error err;
    assert_int_equal(
        load(&c, &err, 2, "--http-allow", "ok.example.com,10.0.0.0/99"),
        SFN_EINVAL);
    assert_non_null(strstr(err.cause, "http.allow[1]"));
    assert_non_null(strstr(err.cause, "10.0.0.0/99"));
    sfn_config_free(&c);
}

static void test_unbound_and_http_flags(void **state)
{
    (void)state;
    sfn_config c;
    sfn_error err;
    assert_int_equal(load(&c, &err, 5, "--tasks-unbound", "start",
                          "--http-timeout-seconds", "7",
                          "--http-max-response-bytes=4096"),
                     SFN_OK);
    assert_int_equal(c.tasks.unbound, SFN_UNBOUND_AT_START);
    assert_int_equal(c.tasks.http_timeout_s, 7);
    assert_int_equal(c.tasks.max_response_bytes, 4096);
    sfn_config_free(&c);
    assert_int_equal(load(&c, &err, 2, "--tasks-unbound", "later"),
                     SFN_EINVAL);
    assert_non_null(strstr(err.cause, "tasks.unbound"));
    sfn_config_free(&c);
}

static void test_mock_config_env_alias(void **state)
{
    (void)state;
    sfn_config c;
    sfn_error err;
    setenv_fake("SFN_MOCK_CONFIG", "/tmp/sfl-mocks.json");
    assert_int_equal(load(&c, &err, 0), SFN_OK);
    assert_string_equal(c.tasks.mock_file, "/tmp/sfl-mocks.json");
    sfn_config_free(&c);
    setenv_fake("STEPD_MOCK_CONFIG", "/tmp/stepd-mocks.json");
    assert_int_equal(load(&c, &err, 0), SFN_OK);
    assert_string_equal(c.tasks.mock_file, "/tmp/stepd-mocks.json");
    sfn_config_free(&c);
}

static void test_connections_and_bindings_from_file(void **state)
{
    (void)state;
    write_file(
        "{\"connections\":{"
        "\"stripe\":{\"type\":\"API_KEY\",\"key_name\":\"Authorization\","
        "\"key_value\":\"env:TEST_STRIPE_KEY\","
        "\"headers\":{\"X-Tenant\":\"t1\"},\"query\":{\"v\":\"2\"},"
        "\"body\":{\"source\":\"stepd\"}},"
        "\"legacy\":{\"type\":\"BASIC\",\"username\":\"u\","
        "\"password\":\"p\"},"
        "\"idp\":{\"type\":\"OAUTH_CLIENT_CREDENTIALS\","
        "\"token_url\":\"https://idp.example.com/token\","
        "\"client_id\":\"cid\",\"client_secret\":\"env:TEST_CS\","
        "\"scope\":\"read\"}},"
        "\"bindings\":[{\"resource\":\"arn:aws:lambda:*:*:function:pay*\","
        "\"url\":\"http://127.0.0.1:9000/pay\",\"connection\":\"idp\","
        "\"headers\":{\"X-A\":\"b\"},\"timeout_seconds\":30},"
        "{\"resource\":\"arn:aws:states:::sqs:sendMessage*\","
        "\"url\":\"https://queue.example.com/\"}]}");
    setenv_fake("TEST_STRIPE_KEY", "sk_live_123");
    setenv_fake("TEST_CS", "cs-456");
    sfn_config c;
    sfn_error err;
    assert_int_equal(load(&c, &err, 2, "--config", cfg_path), SFN_OK);
    assert_int_equal(c.tasks.n_connections, 3);
    sfn_connection *s = &c.tasks.connections[0];
    assert_string_equal(s->name, "stripe");
    assert_int_equal(s->kind, SFN_CONN_API_KEY);
    assert_string_equal(s->key_value, "sk_live_123");
    assert_string_equal(json_string_value(json_object_get(s->headers,
                                                          "X-Tenant")),
                        "t1");
    assert_string_equal(json_string_value(json_object_get(s->body, "source")),
                        "stepd");
    assert_int_equal(c.tasks.connections[1].kind, SFN_CONN_BASIC);
    assert_int_equal(c.tasks.connections[2].kind, SFN_CONN_OAUTH);
    assert_string_equal(c.tasks.connections[2].client_secret, "cs-456");
    assert_string_equal(c.tasks.connections[2].scope, "read");
    assert_int_equal(c.tasks.n_bindings, 2);
    assert_string_equal(c.tasks.bindings[0].connection, "idp");
    assert_int_equal(c.tasks.bindings[0].timeout_s, 30);
    assert_string_equal(c.tasks.bindings[1].url, "https://queue.example.com/");
    assert_null(c.tasks.bindings[1].connection);
    sfn_config_free(&c);
}

static void test_secret_env_unset(void **state)
{
    (void)state;
    write_file("{\"connections\":{\"s\":{\"type\":\"API_KEY\","
               "\"key_name\":\"K\",\"key_value\":\"env:NOT_SET_ANYWHERE\"}}}");
    sfn_config c;
    sfn_error err;
    assert_int_equal(load(&c, &err, 2, "--config", cfg_path), SFN_EINVAL);
    assert_non_null(strstr(err.cause, "connections.s.key_value"));
    assert_non_null(strstr(err.cause, "NOT_SET_ANYWHERE"));
    sfn_config_free(&c);
}

static void test_bad_connection(void **state)
{
    (void)state;
    sfn_config c;
    sfn_error err;
    write_file("{\"connections\":{\"s\":{\"type\":\"DIGEST\"}}}");
    assert_int_equal(load(&c, &err, 2, "--config", cfg_path), SFN_EINVAL);
    assert_non_null(strstr(err.cause, "connections.s.type"));
    sfn_config_free(&c);
    write_file("{\"connections\":{\"s\":{\"type\":\"BASIC\","
               "\"username\":\"u\"}}}");
    assert_int_equal(load(&c, &err, 2, "--config", cfg_path), SFN_EINVAL);
    assert_non_null(strstr(err.cause, "password is required"));
    sfn_config_free(&c);
    write_file("{\"connections\":{\"s\":{\"type\":\"BASIC\","
               "\"username\":\"u\",\"password\":\"p\",\"pasword\":1}}}");
    assert_int_equal(load(&c, &err, 2, "--config", cfg_path), SFN_EINVAL);
    assert_non_null(strstr(err.cause, "unknown member 'pasword'"));
    sfn_config_free(&c);
}

static void test_bad_binding(void **state)
{
    (void)state;
    sfn_config c;
    sfn_error err;
    write_file("{\"bindings\":[{\"resource\":\"r\",\"url\":\"ftp://x/\"}]}");
    assert_int_equal(load(&c, &err, 2, "--config", cfg_path), SFN_EINVAL);
    assert_non_null(strstr(err.cause, "bindings[0].url"));
    sfn_config_free(&c);
    write_file("{\"bindings\":[{\"resource\":\"r\",\"url\":\"http://x/\","
               "\"connection\":\"nope\"}]}");
    assert_int_equal(load(&c, &err, 2, "--config", cfg_path), SFN_EINVAL);
    assert_non_null(strstr(err.cause, "connection 'nope'"));
    sfn_config_free(&c);
}

static void test_file_only_settings_refused_elsewhere(void **state)
{
    (void)state;
    sfn_config c;
    sfn_error err;
    setenv_fake("STEPD_BINDINGS", "[]");
    assert_int_equal(load(&c, &err, 0), SFN_EINVAL);
    assert_non_null(strstr(err.cause, "only be set in the config file"));
    sfn_config_free(&c);
}

static void test_region_mirrored_in_tasks(void **state)
{
    (void)state;
    sfn_config c;
    sfn_error err;
    assert_int_equal(load(&c, &err, 2, "--region", "eu-west-3"), SFN_OK);
    assert_string_equal(c.tasks.region, "eu-west-3");
    sfn_config_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        T(test_defaults),
        T(test_file_overrides_defaults),
        T(test_env_overrides_file),
        T(test_flags_override_env),
        T(test_token_alias),
        T(test_aws_keys_env_and_file),
        T(test_bad_env_value_names_key_and_source),
        T(test_out_of_range),
        T(test_bad_enum),
        T(test_unknown_file_key),
        T(test_file_wrong_type),
        T(test_bad_json_file),
        T(test_missing_file),
        T(test_bad_listen),
        T(test_bad_account),
        T(test_unknown_flag),
        T(test_short_token_rejected),
        T(test_help),
        T(test_names),
        T(test_listen_addr),
        T(test_body_caps),
        T(test_tasks_defaults),
        T(test_http_allow_file_array_then_env_list),
        T(test_bad_allow_entry),
        T(test_unbound_and_http_flags),
        T(test_mock_config_env_alias),
        T(test_connections_and_bindings_from_file),
        T(test_secret_env_unset),
        T(test_bad_connection),
        T(test_bad_binding),
        T(test_file_only_settings_refused_elsewhere),
        T(test_region_mirrored_in_tasks),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

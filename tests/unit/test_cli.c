/* test_cli.c: the real `stepd` binary (path in env STEPD, set by ctest):
 * validate (text, --json, several files, stdin, read and usage errors) and
 * graph (DOT and Mermaid of a sample with Parallel, Map, Choice and Catch),
 * plus the top-level --help / --version / help / unknown command. */
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#define PIPELINE "samples/document-pipeline.asl.json"

#include "cli_harness.h"

static const char valid_def[] =
    "{\"StartAt\":\"Hello\",\"States\":{"
    "\"Hello\":{\"Type\":\"Pass\",\"Result\":\"hi\",\"End\":true}}}";

/* "Next" names a state that does not exist. */
static const char invalid_def[] =
    "{\"StartAt\":\"A\",\"States\":{"
    "\"A\":{\"Type\":\"Pass\",\"Next\":\"Nowhere\"}}}";

static int setup(void **state)
{
    (void)state;
    if (!getenv("STEPD"))
        return 0;
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    if (!getenv("STEPD"))
        return 0;
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

#define NEED_BINARY()                                                      \
    do {                                                                   \
        if (!getenv("STEPD"))                                              \
            skip();                                                        \
    } while (0)

/* ==== validate ==== */

static void test_validate_ok(void **state)
{
    (void)state;
    NEED_BINARY();
    char *f = write_tmp("ok.asl.json", valid_def);
    run_result r = run(NULL, (const char *[]){"validate", f, NULL});
    char want[300];
    snprintf(want, sizeof want, "%s: OK\n", f);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, want);
    assert_string_equal(r.err, "");
    run_free(&r);
    free(f);
}

static void test_validate_invalid_prints_pointer_and_code(void **state)
{
    (void)state;
    NEED_BINARY();
    char *f = write_tmp("bad.asl.json", invalid_def);
    run_result r = run(NULL, (const char *[]){"validate", f, NULL});
    char want[300];
    snprintf(want, sizeof want,
             "%s:/States/A/Next: MISSING_TRANSITION_TARGET: ", f);
    assert_int_equal(r.status, 1);
    assert_true(has(r.out, want));
    assert_true(has(r.out, "Nowhere"));
    assert_null(strstr(r.out, ": OK"));
    run_free(&r);
    free(f);
}

static void test_validate_json_single(void **state)
{
    (void)state;
    NEED_BINARY();
    char *f = write_tmp("bad.asl.json", invalid_def);
    run_result r = run(NULL, (const char *[]){"validate", "--json", f, NULL});
    assert_int_equal(r.status, 1);
    json_error_t e;
    json_t *v = json_loads(r.out, 0, &e);
    assert_non_null(v);
    assert_true(json_is_object(v));
    assert_int_equal(json_object_size(v), 2);
    assert_string_equal(json_string_value(json_object_get(v, "result")),
                        "FAIL");
    json_t *diags = json_object_get(v, "diagnostics");
    assert_true(json_array_size(diags) >= 1);
    json_t *d0 = json_array_get(diags, 0);
    assert_string_equal(json_string_value(json_object_get(d0, "code")),
                        "MISSING_TRANSITION_TARGET");
    assert_string_equal(json_string_value(json_object_get(d0, "location")),
                        "/States/A/Next");
    assert_string_equal(json_string_value(json_object_get(d0, "severity")),
                        "ERROR");
    assert_true(json_is_string(json_object_get(d0, "message")));
    json_decref(v);
    run_free(&r);
    free(f);
}

static void test_validate_json_ok_exact(void **state)
{
    (void)state;
    NEED_BINARY();
    char *f = write_tmp("ok.asl.json", valid_def);
    run_result r = run(NULL, (const char *[]){"validate", "--json", f, NULL});
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "{\"result\":\"OK\",\"diagnostics\":[]}\n");
    run_free(&r);
    free(f);
}

static void test_validate_several_files(void **state)
{
    (void)state;
    NEED_BINARY();
    char *ok = write_tmp("ok.asl.json", valid_def);
    char *bad = write_tmp("bad.asl.json", invalid_def);
    run_result r = run(NULL, (const char *[]){"validate", ok, bad, NULL});
    char want[300];
    snprintf(want, sizeof want, "%s: OK\n", ok);
    assert_int_equal(r.status, 1);
    assert_true(has(r.out, want));
    snprintf(want, sizeof want, "%s:/States/A/Next: ", bad);
    assert_true(has(r.out, want));
    run_free(&r);

    r = run(NULL, (const char *[]){"validate", "--json", ok, bad, NULL});
    assert_int_equal(r.status, 1);
    json_error_t e;
    json_t *v = json_loads(r.out, 0, &e);
    assert_true(json_is_array(v));
    assert_int_equal(json_array_size(v), 2);
    json_t *a = json_array_get(v, 0), *b = json_array_get(v, 1);
    assert_string_equal(json_string_value(json_object_get(a, "file")), ok);
    assert_string_equal(json_string_value(json_object_get(a, "result")), "OK");
    assert_string_equal(json_string_value(json_object_get(b, "file")), bad);
    assert_string_equal(json_string_value(json_object_get(b, "result")),
                        "FAIL");
    assert_true(json_array_size(json_object_get(b, "diagnostics")) >= 1);
    json_decref(v);
    run_free(&r);
    free(ok);
    free(bad);
}

static void test_validate_stdin(void **state)
{
    (void)state;
    NEED_BINARY();
    char *f = write_tmp("ok.asl.json", valid_def);
    run_result r = run(f, (const char *[]){"validate", "-", NULL});
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "<stdin>: OK\n");
    run_free(&r);
    free(f);
}

static void test_validate_missing_file(void **state)
{
    (void)state;
    NEED_BINARY();
    run_result r = run(NULL, (const char *[]){"validate",
                                              "/nonexistent/x.asl.json", NULL});
    assert_int_equal(r.status, 2);
    assert_true(has(r.err, "/nonexistent/x.asl.json"));
    assert_true(has(r.err, "No such file or directory"));
    run_free(&r);
}

static void test_validate_directory(void **state)
{
    (void)state;
    NEED_BINARY();
    run_result r = run(NULL, (const char *[]){"validate", tmpdir, NULL});
    assert_int_equal(r.status, 2);
    assert_true(has(r.err, "Is a directory"));
    run_free(&r);
}

static void test_validate_bad_flag(void **state)
{
    (void)state;
    NEED_BINARY();
    run_result r = run(NULL, (const char *[]){"validate", "--frobnicate",
                                              "x.json", NULL});
    assert_int_equal(r.status, 2);
    assert_true(has(r.err, "--frobnicate"));
    assert_true(has(r.err, "usage: stepd validate"));
    assert_string_equal(r.out, "");
    run_free(&r);
    r = run(NULL, (const char *[]){"validate", NULL});
    assert_int_equal(r.status, 2);
    assert_true(has(r.err, "no FILE"));
    run_free(&r);
}

static void test_validate_not_json(void **state)
{
    (void)state;
    NEED_BINARY();
    char *f = write_tmp("broken.json", "{\n  \"StartAt\": \"A\",\n  oops\n}\n");
    run_result r = run(NULL, (const char *[]){"validate", f, NULL});
    char want[300];
    snprintf(want, sizeof want, "%s: INVALID_JSON_DESCRIPTION: ", f);
    assert_int_equal(r.status, 1);
    assert_true(has(r.out, want));
    assert_true(has(r.out, "line 3"));
    assert_true(has(r.out, "column"));
    run_free(&r);
    free(f);
}

/* Files are read whole whatever their size; the compiler's 1 MiB limit
 * then reports, rather than the reader truncating. */
static void test_validate_large_file(void **state)
{
    (void)state;
    NEED_BINARY();
    size_t pad = 1200 * 1024, n = strlen(valid_def);
    char *text = malloc(pad + n + 1);
    assert_non_null(text);
    memset(text, ' ', pad);
    memcpy(text + pad, valid_def, n + 1);
    char *f = write_tmp("big.asl.json", text);
    free(text);
    run_result r = run(NULL, (const char *[]){"validate", f, NULL});
    assert_int_equal(r.status, 1);
    assert_true(has(r.out, "DEFINITION_TOO_LARGE"));
    assert_true(has(r.out, "1048576"));
    run_free(&r);
    free(f);
}

static void test_validate_samples_all_ok(void **state)
{
    (void)state;
    NEED_BINARY();
    run_result r = run(NULL, (const char *[]){"validate", "--warnings",
                                              "samples/hello-world.asl.json",
                                              PIPELINE, NULL});
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "samples/hello-world.asl.json: OK\n"
                               PIPELINE ": OK\n");
    run_free(&r);
}

/* ==== graph ==== */

static void test_graph_dot(void **state)
{
    (void)state;
    NEED_BINARY();
    run_result r = run(NULL, (const char *[]){"graph", PIPELINE, NULL});
    assert_int_equal(r.status, 0);
    assert_string_equal(r.err, "");
    const char *o = r.out;
    assert_true(has(o, "digraph stepd {"));
    assert_true(has(o, "n_start -> s0;"));
    assert_true(has(o, "s0 [label=\"ClassifyUpload\\nChoice\", shape=diamond"));
    assert_true(has(o, "s0 -> s1 [label=\"$.contentType matches "
                       "\\\"image/*\\\"\"]"));
    assert_true(has(o, "s0 -> s2 [label=\"$.contentType == "
                       "\\\"application/pdf\\\"\"]"));
    assert_true(has(o, "s0 -> s5 [label=\"Default\""));
    assert_true(has(o, "subgraph cluster_s1 {"));
    assert_true(has(o, "label=\"ProcessImage (Parallel)\""));
    assert_true(has(o, "subgraph cluster_s1_b0 {"));
    assert_true(has(o, "subgraph cluster_s1_b1 {"));
    assert_true(has(o, "subgraph cluster_s2 {"));
    assert_true(has(o, "label=\"ProcessPages (Map)\""));
    assert_true(has(o, "s1 -> s4 [label=\"catch: States.ALL\", style=dashed"));
    assert_true(has(o, "s2 -> s4 [label=\"catch: States.TaskFailed, "
                       "States.Timeout\", style=dashed"));
    assert_true(has(o, "s6 -> n_end;"));
    assert_true(has(o, "s7 -> n_end;"));
    assert_true(has(o, "\n}\n"));
    run_free(&r);
}

static void test_graph_mermaid(void **state)
{
    (void)state;
    NEED_BINARY();
    run_result r = run(NULL, (const char *[]){"graph", "--format", "mermaid",
                                              PIPELINE, NULL});
    assert_int_equal(r.status, 0);
    const char *o = r.out;
    assert_true(!strncmp(o, "flowchart TD\n", 13));
    assert_true(has(o, "s0{\"ClassifyUpload<br/>Choice\"}"));
    assert_true(has(o, "subgraph cluster_s1 [\"ProcessImage (Parallel)\"]"));
    assert_true(has(o, "subgraph cluster_s1_b0 [\"Branch 1\"]"));
    assert_true(has(o, "subgraph cluster_s2 [\"ProcessPages (Map)\"]"));
    assert_true(has(o, "s1 -.->|\"catch: States.ALL\"| s4"));
    assert_true(has(o, "s0 -->|\"Default\"| s5"));
    assert_true(has(o, "s5([\"UnsupportedType<br/>Fail\"]):::fail"));
    run_free(&r);
}

static void test_graph_invalid_definition(void **state)
{
    (void)state;
    NEED_BINARY();
    char *f = write_tmp("bad.asl.json", invalid_def);
    run_result r = run(NULL, (const char *[]){"graph", f, NULL});
    char want[300];
    snprintf(want, sizeof want, "%s:/States/A/Next: MISSING_TRANSITION_TARGET",
             f);
    assert_int_equal(r.status, 1);
    assert_string_equal(r.out, "");
    assert_true(has(r.err, want));
    run_free(&r);
    free(f);
}

static void test_graph_usage_errors(void **state)
{
    (void)state;
    NEED_BINARY();
    run_result r = run(NULL, (const char *[]){"graph", "--format", "svg",
                                              PIPELINE, NULL});
    assert_int_equal(r.status, 2);
    assert_true(has(r.err, "'svg'"));
    run_free(&r);
    r = run(NULL, (const char *[]){"graph", PIPELINE, PIPELINE, NULL});
    assert_int_equal(r.status, 2);
    assert_true(has(r.err, "exactly one FILE"));
    run_free(&r);
    r = run(NULL, (const char *[]){"graph", "--format", NULL});
    assert_int_equal(r.status, 2);
    assert_true(has(r.err, "option '--format' needs a value"));
    run_free(&r);
}

/* ==== top level ==== */

static void test_top_level_help_and_version(void **state)
{
    (void)state;
    NEED_BINARY();
    run_result r = run(NULL, (const char *[]){"--help", NULL});
    assert_int_equal(r.status, 0);
    assert_true(has(r.out, "usage: stepd"));
    assert_true(has(r.out, "validate"));
    assert_true(has(r.out, "graph"));
    run_free(&r);
    r = run(NULL, (const char *[]){"--version", NULL});
    assert_int_equal(r.status, 0);
    assert_true(!strncmp(r.out, "stepd ", 6));
    run_free(&r);
    r = run(NULL, (const char *[]){"help", "graph", NULL});
    assert_int_equal(r.status, 0);
    assert_true(has(r.out, "usage: stepd graph [--format dot|mermaid] FILE"));
    run_free(&r);
    r = run(NULL, (const char *[]){"validate", "--help", NULL});
    assert_int_equal(r.status, 0);
    assert_true(has(r.out, "usage: stepd validate"));
    run_free(&r);
}

static void test_top_level_usage_errors(void **state)
{
    (void)state;
    NEED_BINARY();
    run_result r = run(NULL, (const char *[]){"frobnicate", NULL});
    assert_int_equal(r.status, 2);
    assert_true(has(r.err, "unknown command 'frobnicate'"));
    assert_true(has(r.err, "usage: stepd"));
    run_free(&r);
    r = run(NULL, (const char *[]){NULL});
    assert_int_equal(r.status, 2);
    run_free(&r);
    r = run(NULL, (const char *[]){"--bogus", NULL});
    assert_int_equal(r.status, 2);
    assert_true(has(r.err, "unknown option '--bogus'"));
    run_free(&r);
    r = run(NULL, (const char *[]){"help", "nope", NULL});
    assert_int_equal(r.status, 2);
    run_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_validate_ok),
        cmocka_unit_test(test_validate_invalid_prints_pointer_and_code),
        cmocka_unit_test(test_validate_json_single),
        cmocka_unit_test(test_validate_json_ok_exact),
        cmocka_unit_test(test_validate_several_files),
        cmocka_unit_test(test_validate_stdin),
        cmocka_unit_test(test_validate_missing_file),
        cmocka_unit_test(test_validate_directory),
        cmocka_unit_test(test_validate_bad_flag),
        cmocka_unit_test(test_validate_not_json),
        cmocka_unit_test(test_validate_large_file),
        cmocka_unit_test(test_validate_samples_all_ok),
        cmocka_unit_test(test_graph_dot),
        cmocka_unit_test(test_graph_mermaid),
        cmocka_unit_test(test_graph_invalid_definition),
        cmocka_unit_test(test_graph_usage_errors),
        cmocka_unit_test(test_top_level_help_and_version),
        cmocka_unit_test(test_top_level_usage_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

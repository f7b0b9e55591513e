/* test_samples.c: every samples/NAME.asl.json compiles with no errors and no
 * warnings, and has a samples/<name>.input.json that is valid JSON.  Runs
 * from the repository root. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <glob.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sfn_asl.h"
#include "sfn_json.h"

#define SAMPLES_MIN 5

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap)
            break;
        char *grown = realloc(buf, cap * 2);
        if (!grown) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = grown;
        cap *= 2;
    }
    fclose(f);
    if (buf)
        *len = n;
    return buf;
}

/* True when path compiles with no diagnostic at all; prints them if not. */
static bool compiles_clean(const char *path)
{
    size_t len = 0;
    char *text = slurp(path, &len);
    if (!text) {
        print_error("cannot read %s\n", path);
        return false;
    }
    sfn_diags d;
    sfn_diags_init(&d);
    sfn_graph *g = NULL;
    sfn_asl_opts opts = {.warnings = true};
    sfn_rc rc = sfn_asl_compile_text(text, len, &opts, &d, &g);
    for (size_t i = 0; i < d.count; i++)
        print_error("%s:%s: %s%s: %s\n", path, d.items[i].location,
                    d.items[i].severity == SFN_SEV_WARNING ? "warning: " : "",
                    d.items[i].code, d.items[i].message);
    size_t count = d.count;
    sfn_graph_unref(g);
    sfn_diags_free(&d);
    free(text);
    if (rc != SFN_OK)
        print_error("%s: compile returned %s\n", path, sfn_rc_name(rc));
    return rc == SFN_OK && count == 0;
}

static void check_input(const char *asl_path)
{
    size_t n = strlen(asl_path), k = strlen(".asl.json");
    char *input = malloc(n + 8);
    assert_non_null(input);
    memcpy(input, asl_path, n - k);
    strcpy(input + n - k, ".input.json");
    size_t len = 0;
    char *text = slurp(input, &len);
    if (!text) {
        free(input);
        fail_msg("%s has no matching .input.json", asl_path);
    }
    json_error_t e;
    json_t *v = sfn_json_loadb(text, len, JSON_DECODE_ANY, &e);
    if (!v)
        print_error("%s:%d:%d: %s\n", input, e.line, e.column, e.text);
    free(text);
    free(input);
    assert_non_null(v);
    json_decref(v);
}

static void test_every_sample_validates_clean(void **state)
{
    (void)state;
    glob_t gl;
    assert_int_equal(glob("samples/*.asl.json", 0, NULL, &gl), 0);
    /* samples with their own folder (mocks, demo services) too */
    assert_int_equal(glob("samples/*/*.asl.json", GLOB_APPEND, NULL, &gl), 0);
    size_t found = gl.gl_pathc, bad = 0;
    for (size_t i = 0; i < gl.gl_pathc; i++)
        bad += !compiles_clean(gl.gl_pathv[i]);
    globfree(&gl);
    assert_true(found >= SAMPLES_MIN);
    assert_int_equal(bad, 0);
}

static void test_every_sample_has_an_input(void **state)
{
    (void)state;
    glob_t gl;
    assert_int_equal(glob("samples/*.asl.json", 0, NULL, &gl), 0);
    assert_int_equal(glob("samples/*/*.asl.json", GLOB_APPEND, NULL, &gl), 0);
    for (size_t i = 0; i < gl.gl_pathc; i++)
        check_input(gl.gl_pathv[i]);
    globfree(&gl);
}

/* The issue names these five; the glob above must not silently shrink. */
static void test_required_samples_present(void **state)
{
    (void)state;
    const char *names[] = {"hello-world", "order-saga", "batch-map",
                           "approval-choice", "parallel-fanout"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char path[128];
        snprintf(path, sizeof path, "samples/%s.asl.json", names[i]);
        FILE *f = fopen(path, "rb");
        if (!f)
            fail_msg("missing %s", path);
        fclose(f);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_required_samples_present),
        cmocka_unit_test(test_every_sample_validates_clean),
        cmocka_unit_test(test_every_sample_has_an_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

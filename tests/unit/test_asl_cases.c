/* test_asl_cases.c: data-driven validator tests.  Each
 * tests/asl/invalid/<rule>-<n>.json holds a definition (or definition_text)
 * and the exact diagnostics (code + location) it must produce; each
 * tests/asl/valid/<rule>-<n>.json must compile without errors.  Every rule
 * with a failing case must also have a passing one.  An optional "opts"
 * object sets compile options: "express", "warnings", "strict_asl". */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sfn_asl.h"
#include "sfn_json.h"

#define INVALID_DIR "tests/asl/invalid"
#define VALID_DIR "tests/asl/valid"

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static char **list_json(const char *dir, size_t *n)
{
    DIR *d = opendir(dir);
    char **names = NULL;
    size_t cap = 0;
    *n = 0;
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".json"))
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 128;
            names = realloc(names, cap * sizeof *names);
            assert_non_null(names);
        }
        names[(*n)++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, *n, sizeof *names, cmp_names);
    return names;
}

static void free_list(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* Compiles a case file; returns the loaded case (caller decrefs). */
static json_t *compile_case(const char *dir, const char *name, sfn_diags *d,
                            sfn_rc *rc)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    json_error_t jerr;
    json_t *c = json_load_file(path, JSON_ALLOW_NUL, &jerr);
    if (!c)
        fail_msg("%s: %s", path, jerr.text);
    json_t *o = json_object_get(c, "opts");
    sfn_asl_opts opts = {
        .express = json_is_true(json_object_get(o, "express")),
        .warnings = json_is_true(json_object_get(o, "warnings")),
        .strict_asl = json_is_true(json_object_get(o, "strict_asl"))};
    const char *text = json_string_value(json_object_get(c, "definition_text"));
    char *dumped = NULL;
    if (!text)
        text = dumped = sfn_json_dumps(json_object_get(c, "definition"), 0);
    sfn_graph *g = NULL;
    *rc = sfn_asl_compile_text(text, strlen(text), &opts, d, &g);
    sfn_graph_unref(g);
    free(dumped);
    return c;
}

static bool expected_has(const json_t *expect, const sfn_diag *it)
{
    size_t i;
    json_t *e;
    json_array_foreach(expect, i, e) {
        const char *code = json_string_value(json_object_get(e, "code"));
        const char *loc = json_string_value(json_object_get(e, "location"));
        if (code && loc && !strcmp(code, it->code) &&
            !strcmp(loc, it->location))
            return true;
    }
    return false;
}

static bool got_has(const sfn_diags *d, const json_t *e)
{
    const char *code = json_string_value(json_object_get(e, "code"));
    const char *loc = json_string_value(json_object_get(e, "location"));
    for (size_t i = 0; i < d->count; i++)
        if (d->items[i].severity == SFN_SEV_ERROR && code && loc &&
            !strcmp(d->items[i].code, code) &&
            !strcmp(d->items[i].location, loc))
            return true;
    return false;
}

/* Exactly the expected errors: none missing, none extra. */
static bool check_invalid(const char *name)
{
    sfn_diags d;
    sfn_diags_init(&d);
    sfn_rc rc;
    json_t *c = compile_case(INVALID_DIR, name, &d, &rc);
    json_t *expect = json_object_get(c, "expect");
    bool ok = rc == SFN_EINVAL && json_array_size(expect) > 0;
    size_t i;
    json_t *e;
    json_array_foreach(expect, i, e) {
        if (!got_has(&d, e)) {
            ok = false;
            printf("%s: missing %s at '%s'\n", name,
                   json_string_value(json_object_get(e, "code")),
                   json_string_value(json_object_get(e, "location")));
        }
    }
    for (size_t k = 0; k < d.count; k++) {
        if (d.items[k].severity != SFN_SEV_ERROR ||
            expected_has(expect, &d.items[k]))
            continue;
        ok = false;
        printf("%s: unexpected %s at '%s': %s\n", name, d.items[k].code,
               d.items[k].location, d.items[k].message);
    }
    sfn_diags_free(&d);
    json_decref(c);
    return ok;
}

static bool check_valid(const char *name)
{
    sfn_diags d;
    sfn_diags_init(&d);
    sfn_rc rc;
    json_t *c = compile_case(VALID_DIR, name, &d, &rc);
    bool ok = rc == SFN_OK && d.errors == 0;
    for (size_t k = 0; k < d.count && !ok; k++)
        printf("%s: %s at '%s': %s\n", name, d.items[k].code,
               d.items[k].location, d.items[k].message);
    sfn_diags_free(&d);
    json_decref(c);
    return ok;
}

static void test_invalid_cases(void **state)
{
    (void)state;
    size_t n, bad = 0;
    char **names = list_json(INVALID_DIR, &n);
    for (size_t i = 0; i < n; i++)
        bad += !check_invalid(names[i]);
    printf("asl-cases invalid: %zu passed, %zu failed\n", n - bad, bad);
    free_list(names, n);
    assert_true(n > 0);
    assert_int_equal(bad, 0);
}

static void test_valid_cases(void **state)
{
    (void)state;
    size_t n, bad = 0;
    char **names = list_json(VALID_DIR, &n);
    for (size_t i = 0; i < n; i++)
        bad += !check_valid(names[i]);
    printf("asl-cases valid: %zu passed, %zu failed\n", n - bad, bad);
    free_list(names, n);
    assert_true(n > 0);
    assert_int_equal(bad, 0);
}

/* "<rule>-<n>.json" -> "<rule>" */
static size_t rule_len(const char *name)
{
    const char *dash = strrchr(name, '-');
    return dash ? (size_t)(dash - name) : strlen(name);
}

static void test_every_rule_has_both(void **state)
{
    (void)state;
    size_t ni, nv, missing = 0;
    char **inv = list_json(INVALID_DIR, &ni);
    char **val = list_json(VALID_DIR, &nv);
    for (size_t i = 0; i < ni; i++) {
        size_t len = rule_len(inv[i]);
        bool found = false;
        for (size_t k = 0; k < nv && !found; k++)
            found = rule_len(val[k]) == len && !strncmp(val[k], inv[i], len);
        if (!found) {
            printf("rule '%.*s' has no valid case\n", (int)len, inv[i]);
            missing++;
        }
    }
    free_list(inv, ni);
    free_list(val, nv);
    assert_int_equal(missing, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_invalid_cases),
        cmocka_unit_test(test_valid_cases),
        cmocka_unit_test(test_every_rule_has_both),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

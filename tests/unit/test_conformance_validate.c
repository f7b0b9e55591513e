/* test_conformance_validate.c: runs the ASL compiler over every case of the
 * LocalStack-derived conformance corpus ($SFN_SHARED/conformance/localstack):
 * cases whose expected status is INVALID_DEFINITION must be rejected, every
 * other case must compile. */
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

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted *.json names of dir (caller frees each and the array). */
static char **list_cases(const char *dir, size_t *n)
{
    DIR *d = opendir(dir);
    char **names = NULL;
    size_t cap = 0;
    *n = 0;
    if (!d)
        return NULL;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".json"))
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 256;
            names = realloc(names, cap * sizeof *names);
            assert_non_null(names);
        }
        names[(*n)++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, *n, sizeof *names, cmp_names);
    return names;
}

/* The corpus marks Express machines only through the test they come
 * from; the express rules (no .sync / .waitForTaskToken) apply there. */
static bool is_express(const char *name)
{
    return !strncmp(name, "api_express__", 13) ||
           !strncmp(name, "express__", 9) || strstr(name, "type_express_");
}

/* Returns true when the outcome matches; fills first with a diagnostic. */
static bool run_case(const char *path, const char *name, char *first,
                     size_t first_size)
{
    json_error_t jerr;
    json_t *c = json_load_file(path, JSON_ALLOW_NUL, &jerr);
    if (!c) {
        snprintf(first, first_size, "unreadable case: %s", jerr.text);
        return false;
    }
    const char *status = json_string_value(
        json_object_get(json_object_get(c, "expected"), "status"));
    bool want_invalid = status && !strcmp(status, "INVALID_DEFINITION");
    const char *text = json_string_value(json_object_get(c, "definition_text"));
    char *dumped = NULL;
    if (!text)
        text = dumped = sfn_json_dumps(json_object_get(c, "definition"), 0);
    sfn_asl_opts opts = {.express = is_express(name)};
    sfn_diags d;
    sfn_diags_init(&d);
    sfn_graph *g = NULL;
    sfn_rc rc = sfn_asl_compile_text(text, strlen(text), &opts, &d, &g);
    bool ok = want_invalid ? rc != SFN_OK : rc == SFN_OK;
    if (!ok && d.count)
        snprintf(first, first_size, "%s at '%s': %s", d.items[0].code,
                 d.items[0].location, d.items[0].message);
    else if (!ok)
        snprintf(first, first_size, "accepted, but AWS rejects it");
    sfn_graph_unref(g);
    sfn_diags_free(&d);
    free(dumped);
    json_decref(c);
    return ok;
}

static void test_conformance_validate(void **state)
{
    (void)state;
    const char *shared = getenv("SFN_SHARED");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/conformance/localstack",
             shared ? shared : "../shared");
    size_t n = 0, passed = 0, failed = 0;
    char **names = list_cases(dir, &n);
    assert_non_null(names);
    for (size_t i = 0; i < n; i++) {
        char path[8192], first[2048] = "";
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (strstr(names[i], "README") || strstr(names[i], "LICENSE")) {
            free(names[i]);
            continue;
        }
        if (run_case(path, names[i], first, sizeof first)) {
            passed++;
        } else {
            failed++;
            printf("FAIL %s: %s\n", names[i], first);
        }
        free(names[i]);
    }
    free(names);
    printf("conformance-validate: %zu passed, %zu failed\n", passed, failed);
    fflush(stdout);
    assert_true(passed > 0);
    assert_int_equal(failed, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conformance_validate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

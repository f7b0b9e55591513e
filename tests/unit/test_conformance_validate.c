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

#include "conformance_util.h"

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
    sfn_diags d;
    sfn_diags_init(&d);
    sfn_graph *g = NULL;
    sfn_rc rc = conformance_compile(c, name, &d, &g);
    bool ok = want_invalid ? rc != SFN_OK : rc == SFN_OK;
    if (!ok && d.count)
        snprintf(first, first_size, "%s at '%s': %s", d.items[0].code,
                 d.items[0].location, d.items[0].message);
    else if (!ok)
        snprintf(first, first_size, "accepted, but AWS rejects it");
    sfn_graph_unref(g);
    sfn_diags_free(&d);
    json_decref(c);
    return ok;
}

static void test_conformance_validate(void **state)
{
    (void)state;
    char dir[4096];
    size_t n = 0, passed = 0, failed = 0;
    char **names = conformance_cases(dir, sizeof dir, &n);
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

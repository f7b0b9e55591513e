/* test_conformance_run.c: executes every runnable case of the
 * LocalStack-derived conformance corpus ($SFN_SHARED/conformance/localstack,
 * recorded against AWS) on the in-memory runner with simulated time, and
 * compares status, output, error, cause and the history's event types
 * under the loose rules of conformance_util.h.  A case is a JSONata case
 * when its definition sets QueryLanguage JSONata anywhere.
 * Prints `conformance: N passed, M failed` over all cases and
 * `conformance-jsonpath: ...` over the non-JSONata ones, and writes every
 * failure with its reason to conformance-failures.txt in the working
 * directory.  test_conformance_engine.c runs the same corpus through the
 * durable engine. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conformance_util.h"

static void test_conformance_run(void **state)
{
    (void)state;
    char dir[1024];
    size_t n = 0;
    char **names = conformance_cases(dir, sizeof dir, &n);
    assert_non_null(names);
    assert_true(n > 900);
    FILE *log = fopen("conformance-failures.txt", "w");
    conformance_tally t = {0};
    for (size_t i = 0; i < n; i++) {
        char why[1024] = "unreadable case";
        json_t *c = conformance_load(dir, names[i]);
        bool jsonata = c && conformance_is_jsonata(c);
        bool ok = c && conformance_judge_memory(c, names[i], why,
                                                sizeof why) ==
                           CONFORMANCE_PASS;
        conformance_count(&t, jsonata, ok);
        if (!ok && log)
            fprintf(log, "%s%s: %s\n", names[i], jsonata ? " [jsonata]" : "",
                    why);
        json_decref(c);
        free(names[i]);
    }
    free(names);
    if (log)
        fclose(log);
    conformance_print("conformance", &t);
    assert_true(conformance_floors_met(&t));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conformance_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

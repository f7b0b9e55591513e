/* test_conformance_run.c: executes every runnable case of the
 * LocalStack-derived conformance corpus ($SFN_SHARED/conformance/localstack,
 * recorded against AWS) on the in-memory runner with simulated time, and
 * compares status, output, error, cause and the history's event types.
 *
 * Loose comparisons, as the corpus README asks: strings holding a snapshot
 * placeholder (`<...>`) match any string, and numbers compare by value.
 * Prints `conformance: N passed, M failed` and writes every failure with its
 * reason to conformance-failures.txt in the working directory. */
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
#include "sfn_runner.h"

/* The floor this test enforces; raised as the engine improves. */
#define PASS_RATE_FLOOR 0.0

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

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
        }
        names[(*n)++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, *n, sizeof *names, cmp_names);
    return names;
}

static bool is_placeholder(const char *s)
{
    const char *lt = strchr(s, '<');
    return lt && strchr(lt, '>');
}

static bool loose_equal(json_t *want, json_t *got)
{
    if (json_is_number(want) && json_is_number(got))
        return json_number_value(want) == json_number_value(got);
    if (json_is_string(want) && json_is_string(got) &&
        is_placeholder(json_string_value(want)))
        return true;
    if (json_typeof(want) != json_typeof(got))
        return false;
    if (json_is_object(want)) {
        if (json_object_size(want) != json_object_size(got))
            return false;
        const char *k;
        json_t *v;
        json_object_foreach(want, k, v) {
            json_t *g = json_object_get(got, k);
            if (!g || !loose_equal(v, g))
                return false;
        }
        return true;
    }
    if (json_is_array(want)) {
        if (json_array_size(want) != json_array_size(got))
            return false;
        for (size_t i = 0; i < json_array_size(want); i++)
            if (!loose_equal(json_array_get(want, i), json_array_get(got, i)))
                return false;
        return true;
    }
    return json_equal(want, got);
}

static bool str_loose(const char *want, const char *got)
{
    if (!want)
        return true; /* not recorded */
    if (!got)
        return false;
    return !strcmp(want, got) || is_placeholder(want);
}

/* Returns 1 pass, 0 fail (reason filled). */
static int run_case(json_t *c, char *why, size_t wn)
{
    json_t *exp = json_object_get(c, "expected");
    const char *status = json_string_value(json_object_get(exp, "status"));
    json_t *def = json_object_get(c, "definition");
    sfn_diags d;
    sfn_diags_init(&d);
    sfn_graph *g = NULL;
    sfn_asl_opts opts = {0};
    if (sfn_asl_compile(def, &opts, &d, &g) != SFN_OK) {
        snprintf(why, wn, "does not compile: %s",
                 d.count ? d.items[0].message : "?");
        sfn_diags_free(&d);
        return 0;
    }
    sfn_diags_free(&d);
    json_t *input = json_object_get(c, "input");
    if (!input)
        input = json_object();
    else
        json_incref(input);
    sfn_run_result r;
    sfn_run_opts ro = {0};
    sfn_rc rc = sfn_run_memory(g, input, &ro, &r);
    json_decref(input);
    sfn_graph_unref(g);
    int ok = 1;
    if (rc != SFN_OK) {
        snprintf(why, wn, "runner: %s", sfn_rc_str(rc));
        ok = 0;
    } else if (strcmp(status, sfn_exec_status_name(r.status))) {
        snprintf(why, wn, "status %s, want %s (%s: %.200s)",
                 sfn_exec_status_name(r.status), status,
                 r.error ? r.error : "", r.cause ? r.cause : "");
        ok = 0;
    }
    json_t *want_out = json_object_get(exp, "output");
    if (ok && want_out && !loose_equal(want_out, r.output)) {
        char *a = sfn_json_dumps(want_out, 0), *b = sfn_json_dumps(r.output, 0);
        snprintf(why, wn, "output %.300s, want %.300s", b ? b : "null",
                 a ? a : "null");
        free(a);
        free(b);
        ok = 0;
    }
    const char *we = json_string_value(json_object_get(exp, "error"));
    const char *wc = json_string_value(json_object_get(exp, "cause"));
    if (ok && !str_loose(we, r.error)) {
        snprintf(why, wn, "error %s, want %s", r.error ? r.error : "(none)",
                 we);
        ok = 0;
    }
    if (ok && !str_loose(wc, r.cause)) {
        snprintf(why, wn, "cause '%.300s', want '%.300s'",
                 r.cause ? r.cause : "(none)", wc);
        ok = 0;
    }
    json_t *events = json_object_get(exp, "events");
    if (ok && events) {
        size_t n = json_array_size(events);
        size_t i = 0;
        for (; i < n && i < r.n_events; i++)
            if (strcmp(json_string_value(json_array_get(events, i)),
                       sfn_event_type_name(r.events[i].type)))
                break;
        if (i < n || n != r.n_events) {
            snprintf(why, wn, "events differ at #%zu: got %s, want %s (%zu vs %zu)",
                     i + 1,
                     i < r.n_events ? sfn_event_type_name(r.events[i].type)
                                    : "(end)",
                     i < n ? json_string_value(json_array_get(events, i))
                           : "(end)",
                     r.n_events, n);
            ok = 0;
        }
    }
    sfn_run_result_free(&r);
    return ok;
}

static void test_conformance_run(void **state)
{
    (void)state;
    const char *shared = getenv("SFN_SHARED");
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/conformance/localstack",
             shared ? shared : "../shared");
    size_t n = 0;
    char **names = list_cases(dir, &n);
    assert_non_null(names);
    assert_true(n > 900);
    FILE *log = fopen("conformance-failures.txt", "w");
    size_t passed = 0, failed = 0;
    for (size_t i = 0; i < n; i++) {
        char path[2048], why[1024] = "";
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        json_error_t je;
        json_t *c = json_load_file(path, 0, &je);
        const char *status = json_string_value(
            json_object_get(json_object_get(c, "expected"), "status"));
        if (!c || !status || !strcmp(status, "INVALID_DEFINITION") ||
            !strcmp(status, "VALID_DEFINITION")) {
            json_decref(c);
            free(names[i]);
            continue; /* validation cases: test_conformance_validate */
        }
        if (run_case(c, why, sizeof why)) {
            passed++;
        } else {
            failed++;
            if (log)
                fprintf(log, "%s: %s\n", names[i], why);
        }
        json_decref(c);
        free(names[i]);
    }
    free(names);
    if (log)
        fclose(log);
    printf("conformance: %zu passed, %zu failed\n", passed, failed);
    assert_true((double)passed / (double)(passed + failed) >= PASS_RATE_FLOOR);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conformance_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

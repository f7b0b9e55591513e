/* exec_run_util.h: what the executor's unit tests (test_exec_*.c) share:
 * compile a definition, run it on the in-memory runner with simulated time,
 * and look at the outcome and the history.  Included by each test program;
 * not a test itself.
 *
 * Definitions and inputs are written with ' for JSON's double quote, so
 * they stay readable in C, and ` for the single quote of an intrinsic
 * string literal: "{'a.$': 'States.Format(`x{}`, $.b)'}". */
#ifndef EXEC_RUN_UTIL_H
#define EXEC_RUN_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sfn_asl.h"
#include "sfn_json.h"
#include "sfn_runner.h"

/* ' -> ", ` -> ' (malloc'd). */
static inline char *q(const char *s)
{
    char *t = strdup(s);
    assert_non_null(t);
    for (char *p = t; *p; p++)
        *p = *p == '\'' ? '"' : *p == '`' ? '\'' : *p;
    return t;
}

static inline json_t *parse_q(const char *text)
{
    char *t = q(text);
    json_error_t je;
    json_t *v = json_loads(t, JSON_DECODE_ANY, &je);
    if (!v)
        fprintf(stderr, "bad test JSON: %s: %s\n", t, je.text);
    free(t);
    assert_non_null(v);
    return v;
}

/* Runs `def` on `input` (NULL = {}); the result must be freed with
 * sfn_run_result_free. */
static inline void run_def(const char *def, const char *input,
                           sfn_run_result *r)
{
    char *text = q(def);
    sfn_diags d;
    sfn_diags_init(&d);
    sfn_graph *g = NULL;
    sfn_asl_opts opts = {0};
    sfn_rc rc = sfn_asl_compile_text(text, strlen(text), &opts, &d, &g);
    if (rc != SFN_OK)
        fprintf(stderr, "does not compile: %s\n  %s\n", text,
                d.count ? d.items[0].message : "?");
    free(text);
    sfn_diags_free(&d);
    assert_int_equal(rc, SFN_OK);
    json_t *in = parse_q(input ? input : "{}");
    rc = sfn_run_memory(g, in, NULL, r);
    json_decref(in);
    sfn_graph_unref(g);
    assert_int_equal(rc, SFN_OK);
}

static inline bool json_same(json_t *want, json_t *got);

static inline bool objects_same(json_t *want, json_t *got)
{
    if (json_object_size(want) != json_object_size(got))
        return false;
    const char *k;
    json_t *v;
    json_object_foreach(want, k, v) {
        json_t *g = json_object_get(got, k);
        if (!g || !json_same(v, g))
            return false;
    }
    return true;
}

/* JSON equality in which numbers compare by value (1 == 1.0). */
static inline bool json_same(json_t *want, json_t *got)
{
    if (json_is_number(want) && json_is_number(got))
        return json_number_value(want) == json_number_value(got);
    if (!want || !got || json_typeof(want) != json_typeof(got))
        return false;
    if (json_is_object(want))
        return objects_same(want, got);
    if (json_is_array(want)) {
        if (json_array_size(want) != json_array_size(got))
            return false;
        for (size_t i = 0; i < json_array_size(want); i++)
            if (!json_same(json_array_get(want, i), json_array_get(got, i)))
                return false;
        return true;
    }
    return json_equal(want, got);
}

static inline void print_result(const sfn_run_result *r)
{
    char *o = r->output ? sfn_json_dumps(r->output, 0) : NULL;
    fprintf(stderr, "  status %s, output %s, error %s, cause %s\n",
            sfn_exec_status_name(r->status), o ? o : "-",
            r->error ? r->error : "-", r->cause ? r->cause : "-");
    free(o);
}

/* The execution succeeds with output `want`. */
static inline void expect_output(const char *def, const char *input,
                          const char *want)
{
    sfn_run_result r;
    run_def(def, input, &r);
    json_t *w = parse_q(want);
    bool ok = r.status == SFN_EXEC_SUCCEEDED && json_same(w, r.output);
    if (!ok) {
        char *t = q(want);
        fprintf(stderr, "want output %s\n", t);
        free(t);
        print_result(&r);
    }
    json_decref(w);
    sfn_run_result_free(&r);
    assert_true(ok);
}

/* The execution fails with `error`, and its cause contains `cause_part`
 * (NULL: the cause is not checked; "" : there is no cause). */
static inline void expect_failure(const char *def, const char *input,
                           const char *error, const char *cause_part)
{
    sfn_run_result r;
    run_def(def, input, &r);
    bool ok = r.status == SFN_EXEC_FAILED && r.error &&
              !strcmp(r.error, error);
    if (ok && cause_part)
        ok = *cause_part ? r.cause && strstr(r.cause, cause_part)
                         : !r.cause || !*r.cause;
    if (!ok) {
        fprintf(stderr, "want FAILED %s, cause containing '%s'\n", error,
                cause_part ? cause_part : "");
        print_result(&r);
    }
    sfn_run_result_free(&r);
    assert_true(ok);
}

static inline size_t count_events(const sfn_run_result *r,
                                  sfn_event_type t)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n_events; i++)
        n += r->events[i].type == t;
    return n;
}

/* Index of the k-th (from 0) event of type t, or -1. */
static inline long nth_event(const sfn_run_result *r, sfn_event_type t,
                             size_t k)
{
    for (size_t i = 0; i < r->n_events; i++)
        if (r->events[i].type == t && k-- == 0)
            return (long)i;
    return -1;
}

#endif

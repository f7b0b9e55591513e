/* conformance_util.h: what the runners over the LocalStack-derived corpus
 * ($SFN_SHARED/conformance/localstack) share: listing and loading the
 * cases, compiling a case's definition as AWS would (Express rules for the
 * Express tests), telling JSONata cases apart, judging validation cases,
 * running a case on the in-memory runner, comparing an outcome with the
 * recording, and the pass-rate floors.  Header-only.
 *
 * Loose comparisons, as the corpus README asks:
 *  - strings holding a snapshot placeholder (`<...>`) match any string, and
 *    numbers compare by value;
 *  - the fixed tokens LocalStack's snapshot transformers put in place of
 *    values that differ on every run match any value of that kind:
 *    "RandomNumberGenerated" any number (States.MathRandom),
 *    "generated-uuid" any string (States.UUID), and "date", "start-time",
 *    "entered-time", "snf_role_arn", "sfn_role_arn" any string (times and
 *    the role ARN of the context object, and the inputs listed in
 *    snapshot_normalized_input_keys);
 *  - Parallel regions of the history: from the first ParallelStateStarted to
 *    the last ParallelStateExited or ParallelStateFailed.  AWS runs branches
 *    concurrently and the recordings were normalised: they list, e.g., every
 *    branch's PassStateEntered before any PassStateExited even where a
 *    branch's second state can only be entered after its first exited, and
 *    they drop ParallelStateSucceeded and the inner Parallel's
 *    ParallelStateExited of a nested Parallel (asl.md 12.4).  No execution
 *    order yields them, so inside such a region the non-Parallel event types
 *    compare as a multiset, the Parallel* types (ParallelStateSucceeded
 *    aside) as a set; before and after it the history compares exactly.
 *  - a case recorded as ABORTED comes from a test that stops the execution
 *    while it waits: the runner stops it when it first blocks on a timer.
 * Validation cases (INVALID_DEFINITION / VALID_DEFINITION) count too: the
 * definition must be rejected / accepted. */
#ifndef SFN_CONFORMANCE_UTIL_H
#define SFN_CONFORMANCE_UTIL_H

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sfn_asl.h"
#include "sfn_json.h"
#include "sfn_runner.h"

#define SFN_UNUSED_FN __attribute__((unused))

/* Floors the runners enforce, raised as the engine improves: over the
 * JSONPath cases, and over all cases (JSONata ones included). */
#define CONFORMANCE_FLOOR_JSONPATH 0.95
#define CONFORMANCE_FLOOR_ALL 0.99

static int cmp_case_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted *.json case names of the corpus (caller frees each and the
 * array); NULL when the folder cannot be read.  dir gets the folder. */
SFN_UNUSED_FN static char **conformance_cases(char *dir, size_t dir_size,
                                              size_t *n)
{
    const char *shared = getenv("SFN_SHARED");
    snprintf(dir, dir_size, "%s/conformance/localstack",
             shared ? shared : "../shared");
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
    qsort(names, *n, sizeof *names, cmp_case_names);
    return names;
}

/* The corpus marks Express machines only through the test they come
 * from; the express rules (no .sync / .waitForTaskToken) apply there. */
SFN_UNUSED_FN static bool conformance_is_express(const char *name)
{
    return !strncmp(name, "api_express__", 13) ||
           !strncmp(name, "express__", 9) || strstr(name, "type_express_");
}

/* A case uses JSONata when any QueryLanguage in its definition says so. */
SFN_UNUSED_FN static bool conformance_is_jsonata(json_t *c)
{
    const char *text = json_string_value(json_object_get(c, "definition_text"));
    char *dumped = NULL;
    if (!text)
        text = dumped = sfn_json_dumps(json_object_get(c, "definition"), 0);
    bool yes = text && strstr(text, "\"QueryLanguage\":\"JSONata\"");
    free(dumped);
    return yes;
}

/* Compiles the case's definition (definition_text when the definition is
 * not an object).  Returns the compile status; *g set on success. */
SFN_UNUSED_FN static sfn_rc conformance_compile(json_t *c, const char *name,
                                                sfn_diags *d, sfn_graph **g)
{
    const char *text = json_string_value(json_object_get(c, "definition_text"));
    char *dumped = NULL;
    if (!text)
        text = dumped = sfn_json_dumps(json_object_get(c, "definition"), 0);
    sfn_asl_opts opts = {.express = conformance_is_express(name)};
    sfn_rc rc = text ? sfn_asl_compile_text(text, strlen(text), &opts, d, g)
                     : SFN_ENOMEM;
    free(dumped);
    return rc;
}

/* ---- loose comparison (see the header) --------------------------------- */

static bool conf_is_placeholder(const char *s)
{
    const char *lt = strchr(s, '<');
    return lt && strchr(lt, '>');
}

/* A token a snapshot transformer wrote in place of a run-dependent value. */
static bool conf_token_matches(const char *want, json_t *got)
{
    static const char *const any_string[] = {
        "generated-uuid", "date", "start-time", "entered-time",
        "snf_role_arn", "sfn_role_arn"};
    if (!strcmp(want, "RandomNumberGenerated"))
        return json_is_number(got);
    for (size_t i = 0; i < sizeof any_string / sizeof *any_string; i++)
        if (!strcmp(want, any_string[i]))
            return json_is_string(got);
    return false;
}

static bool conf_loose_equal(json_t *want, json_t *got)
{
    if (json_is_number(want) && json_is_number(got))
        return json_number_value(want) == json_number_value(got);
    if (json_is_string(want) && json_is_string(got) &&
        conf_is_placeholder(json_string_value(want)))
        return true;
    if (json_is_string(want) &&
        conf_token_matches(json_string_value(want), got))
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
            if (!g || !conf_loose_equal(v, g))
                return false;
        }
        return true;
    }
    if (json_is_array(want)) {
        if (json_array_size(want) != json_array_size(got))
            return false;
        for (size_t i = 0; i < json_array_size(want); i++)
            if (!conf_loose_equal(json_array_get(want, i),
                                  json_array_get(got, i)))
                return false;
        return true;
    }
    return json_equal(want, got);
}

static bool conf_str_loose(const char *want, const char *got)
{
    if (!want)
        return true; /* not recorded */
    if (!got)
        return false;
    return !strcmp(want, got) || conf_is_placeholder(want);
}

/* ---- history comparison ------------------------------------------------ */

static bool conf_is_parallel_type(const char *t)
{
    return !strncmp(t, "Parallel", 8);
}

/* [*from, *to] of the Parallel region (see the header); false when the
 * history has no ParallelStateStarted. */
static bool conf_parallel_region(const char *const *ev, size_t n,
                                 size_t *from, size_t *to)
{
    size_t i = 0;
    while (i < n && strcmp(ev[i], "ParallelStateStarted"))
        i++;
    if (i == n)
        return false;
    *from = i;
    *to = i;
    for (size_t j = i; j < n; j++)
        if (!strcmp(ev[j], "ParallelStateExited") ||
            !strcmp(ev[j], "ParallelStateFailed"))
            *to = j;
    return true;
}

/* Does `t` occur in a[from..to] (as a Parallel type: at least once; else:
 * exactly `count` times)? */
static size_t conf_count_type(const char *const *a, size_t from, size_t to,
                              const char *t)
{
    size_t c = 0;
    for (size_t i = from; i <= to; i++)
        c += !strcmp(a[i], t);
    return c;
}

static bool conf_region_equal(const char *const *w, size_t wf, size_t wt,
                              const char *const *g, size_t gf, size_t gt)
{
    for (int pass = 0; pass < 2; pass++) {
        const char *const *a = pass ? g : w, *const *b = pass ? w : g;
        size_t af = pass ? gf : wf, at = pass ? gt : wt;
        size_t bf = pass ? wf : gf, bt = pass ? wt : gt;
        for (size_t i = af; i <= at; i++) {
            if (!strcmp(a[i], "ParallelStateSucceeded"))
                continue;
            size_t ca = conf_count_type(a, af, at, a[i]);
            size_t cb = conf_count_type(b, bf, bt, a[i]);
            if (conf_is_parallel_type(a[i]) ? (cb == 0) : (ca != cb))
                return false;
        }
    }
    return true;
}

static bool conf_seq_equal(const char *const *w, size_t wf, size_t wt,
                           const char *const *g, size_t gf, size_t gt)
{
    if (wt - wf != gt - gf)
        return false;
    for (size_t i = 0; i < wt - wf; i++)
        if (strcmp(w[wf + i], g[gf + i]))
            return false;
    return true;
}

/* Compares event type lists; on a mismatch fills why. */
static bool conf_events_equal(const char *const *w, size_t wn,
                              const char *const *g, size_t gn, char *why,
                              size_t whyn)
{
    size_t wf, wt, gf, gt;
    if (conf_parallel_region(w, wn, &wf, &wt) &&
        conf_parallel_region(g, gn, &gf, &gt)) {
        if (conf_seq_equal(w, 0, wf, g, 0, gf) &&
            conf_region_equal(w, wf, wt, g, gf, gt) &&
            conf_seq_equal(w, wt + 1, wn, g, gt + 1, gn))
            return true;
        snprintf(why, whyn,
                 "events differ around the Parallel region (#%zu..#%zu, "
                 "want #%zu..#%zu; %zu vs %zu events)",
                 gf + 1, gt + 1, wf + 1, wt + 1, gn, wn);
        return false;
    }
    size_t i = 0;
    for (; i < wn && i < gn; i++)
        if (strcmp(w[i], g[i]))
            break;
    if (i == wn && wn == gn)
        return true;
    snprintf(why, whyn, "events differ at #%zu: got %s, want %s (%zu vs %zu)",
             i + 1, i < gn ? g[i] : "(end)", i < wn ? w[i] : "(end)", gn, wn);
    return false;
}

/* ---- outcomes ---------------------------------------------------------- */

/* The case's recorded status ("SUCCEEDED", "INVALID_DEFINITION", ...),
 * borrowed; NULL when the case has none. */
SFN_UNUSED_FN static const char *conformance_status(json_t *c)
{
    return json_string_value(
        json_object_get(json_object_get(c, "expected"), "status"));
}

/* Case `name` of dir: new reference, NULL when unreadable or without an
 * expected status. */
SFN_UNUSED_FN static json_t *conformance_load(const char *dir,
                                              const char *name)
{
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    json_error_t je;
    json_t *c = json_load_file(path, JSON_ALLOW_NUL, &je);
    if (c && !conformance_status(c)) {
        json_decref(c);
        c = NULL;
    }
    return c;
}

/* The case's input, new reference ({} when none recorded). */
SFN_UNUSED_FN static json_t *conformance_input(json_t *c)
{
    json_t *input = json_object_get(c, "input");
    return input ? json_incref(input) : json_object();
}

enum { CONFORMANCE_FAIL = 0, CONFORMANCE_PASS = 1, CONFORMANCE_RUN = 2 };

/* Compiles the case.  A validation case is judged here (PASS or FAIL);
 * a case that does not compile FAILs; otherwise RUN with *g set (a new
 * reference).  why gets the reason of a FAIL. */
SFN_UNUSED_FN static int conformance_prepare(json_t *c, const char *name,
                                             sfn_graph **g, char *why,
                                             size_t wn)
{
    const char *status = conformance_status(c);
    sfn_diags d;
    sfn_diags_init(&d);
    *g = NULL;
    sfn_rc crc = conformance_compile(c, name, &d, g);
    bool want_invalid = !strcmp(status, "INVALID_DEFINITION");
    int verdict = CONFORMANCE_RUN;
    if (want_invalid || !strcmp(status, "VALID_DEFINITION")) {
        verdict = (want_invalid ? crc != SFN_OK : crc == SFN_OK)
                      ? CONFORMANCE_PASS
                      : CONFORMANCE_FAIL;
        if (verdict == CONFORMANCE_FAIL)
            snprintf(why, wn, "%s", want_invalid ? "accepted, AWS rejects it"
                                                 : "rejected, AWS accepts it");
        sfn_graph_unref(*g);
        *g = NULL;
    } else if (crc != SFN_OK) {
        snprintf(why, wn, "does not compile: %s",
                 d.count ? d.items[0].message : "?");
        verdict = CONFORMANCE_FAIL;
    }
    sfn_diags_free(&d);
    return verdict;
}

/* How an execution ended, as the runners saw it (all borrowed). */
typedef struct conformance_outcome {
    sfn_exec_status status;
    json_t *output;             /* NULL unless SUCCEEDED                  */
    const char *error, *cause;  /* NULL when none                         */
    const char *const *events;  /* the history's event type names         */
    size_t n_events;
} conformance_outcome;

/* CONFORMANCE_PASS when the outcome matches the case's recording, else
 * CONFORMANCE_FAIL with the first difference in why. */
SFN_UNUSED_FN static int conformance_compare(json_t *c,
                                             const conformance_outcome *o,
                                             char *why, size_t wn)
{
    json_t *exp = json_object_get(c, "expected");
    const char *status = conformance_status(c);
    if (strcmp(status, sfn_exec_status_name(o->status))) {
        snprintf(why, wn, "status %s, want %s (%s: %.200s)",
                 sfn_exec_status_name(o->status), status,
                 o->error ? o->error : "", o->cause ? o->cause : "");
        return CONFORMANCE_FAIL;
    }
    json_t *want_out = json_object_get(exp, "output");
    if (want_out && !conf_loose_equal(want_out, o->output)) {
        char *a = sfn_json_dumps(want_out, 0);
        char *b = sfn_json_dumps(o->output, 0);
        snprintf(why, wn, "output %.300s, want %.300s", b ? b : "null",
                 a ? a : "null");
        free(a);
        free(b);
        return CONFORMANCE_FAIL;
    }
    const char *we = json_string_value(json_object_get(exp, "error"));
    const char *wc = json_string_value(json_object_get(exp, "cause"));
    if (!conf_str_loose(we, o->error)) {
        snprintf(why, wn, "error %s, want %s", o->error ? o->error : "(none)",
                 we);
        return CONFORMANCE_FAIL;
    }
    if (!conf_str_loose(wc, o->cause)) {
        snprintf(why, wn, "cause '%.300s', want '%.300s'",
                 o->cause ? o->cause : "(none)", wc);
        return CONFORMANCE_FAIL;
    }
    json_t *events = json_object_get(exp, "events");
    if (!events)
        return CONFORMANCE_PASS;
    size_t n = json_array_size(events);
    const char **w = calloc(n + 1, sizeof *w);
    int ok = w != NULL;
    for (size_t i = 0; ok && i < n; i++) {
        w[i] = json_string_value(json_array_get(events, i));
        if (!w[i])
            w[i] = "";
    }
    if (!ok)
        snprintf(why, wn, "out of memory");
    else
        ok = conf_events_equal(w, n, o->events, o->n_events, why, wn);
    free(w);
    return ok ? CONFORMANCE_PASS : CONFORMANCE_FAIL;
}

/* Runs a compiled case (g borrowed) on the in-memory runner and compares;
 * PASS or FAIL (why filled). */
SFN_UNUSED_FN static int conformance_run_memory(json_t *c, const char *name,
                                                sfn_graph *g, char *why,
                                                size_t wn)
{
    json_t *input = conformance_input(c);
    sfn_run_result r;
    sfn_run_opts ro = {
        .stop_when_blocked = !strcmp(conformance_status(c), "ABORTED"),
        .express = conformance_is_express(name)};
    sfn_rc rc = sfn_run_memory(g, input, &ro, &r);
    json_decref(input);
    if (rc != SFN_OK) {
        snprintf(why, wn, "runner: %s", sfn_rc_str(rc));
        sfn_run_result_free(&r);
        return CONFORMANCE_FAIL;
    }
    const char **types = calloc(r.n_events + 1, sizeof *types);
    int verdict = CONFORMANCE_FAIL;
    if (types) {
        for (size_t i = 0; i < r.n_events; i++)
            types[i] = sfn_event_type_name(r.events[i].type);
        conformance_outcome o = {r.status, r.output, r.error, r.cause,
                                 types, r.n_events};
        verdict = conformance_compare(c, &o, why, wn);
    } else {
        snprintf(why, wn, "out of memory");
    }
    free(types);
    sfn_run_result_free(&r);
    return verdict;
}

/* The in-memory runner's verdict on a case: PASS or FAIL (why filled). */
SFN_UNUSED_FN static int conformance_judge_memory(json_t *c,
                                                  const char *name, char *why,
                                                  size_t wn)
{
    sfn_graph *g = NULL;
    int verdict = conformance_prepare(c, name, &g, why, wn);
    if (verdict == CONFORMANCE_RUN)
        verdict = conformance_run_memory(c, name, g, why, wn);
    sfn_graph_unref(g);
    return verdict;
}

/* ---- tallies ----------------------------------------------------------- */

typedef struct conformance_tally {
    size_t passed, failed;       /* all cases                              */
    size_t jp_passed, jp_failed; /* the JSONPath (non-JSONata) ones        */
} conformance_tally;

SFN_UNUSED_FN static void conformance_count(conformance_tally *t, bool jsonata,
                                            bool passed)
{
    if (passed) {
        t->passed++;
        t->jp_passed += !jsonata;
    } else {
        t->failed++;
        t->jp_failed += !jsonata;
    }
}

/* Prints `label: N passed, M failed` and `label-jsonpath: ...` (the lines
 * scripts/test.sh collects). */
SFN_UNUSED_FN static void conformance_print(const char *label,
                                            const conformance_tally *t)
{
    printf("%s: %zu passed, %zu failed\n", label, t->passed, t->failed);
    printf("%s-jsonpath: %zu passed, %zu failed\n", label, t->jp_passed,
           t->jp_failed);
    fflush(stdout);
}

/* Whether both pass rates reach their floors. */
SFN_UNUSED_FN static bool conformance_floors_met(const conformance_tally *t)
{
    size_t jp = t->jp_passed + t->jp_failed, all = t->passed + t->failed;
    return jp && all &&
           (double)t->jp_passed / (double)jp >= CONFORMANCE_FLOOR_JSONPATH &&
           (double)t->passed / (double)all >= CONFORMANCE_FLOOR_ALL;
}

#endif

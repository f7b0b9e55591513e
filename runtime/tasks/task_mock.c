/* task_mock.c: Step Functions Local's mock configuration (sfn_mock.h):
 * checks the whole file once at load, then answers "what does state S
 * return on its Nth invocation in test case C" from a sorted index.
 * No I/O besides sfn_mock_load_file; read-only after load, so a set may be
 * shared between threads.
 *
 * Decisions, from AWS's "Configuration file for mocked service
 * integrations" page and Step Functions Local 2.0.0's observed behaviour:
 *  - "you must specify a mocked response for every invocation ... If you do
 *    not specify a mocked response, the state machine execution will fail":
 *    an invocation no key covers (past the last key, or in a gap) is NOT
 *    given the last entry again; the lookup answers States.Runtime, which
 *    fails the execution (SFL does the same).  A response with no key at all
 *    is accepted for the same reason (it fails only when reached).
 *  - Return may be any JSON value (SFL accepts non-objects); Throw needs a
 *    string Error, Cause is an optional string.
 *  - Stricter than SFL, because a typo otherwise shows up as a wrong path
 *    at run time: unknown members, overlapping ranges, a test case naming a
 *    response that does not exist and duplicate keys are load errors. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sfn_json.h"
#include "sfn_mock.h"

#define MOCK_FILE_BYTES_MAX (64u << 20)
#define MOCK_ERROR_CHARS_MAX 256
#define MOCK_CAUSE_CHARS_MAX 32768
#define MOCK_PTR_MAX 512

typedef struct mock_entry {
    uint32_t lo, hi;        /* inclusive invocation range                  */
    const char *key;        /* the member name, for messages (borrowed)    */
    json_t *ret;            /* Return (borrowed from the set's root)       */
    const char *error;      /* Throw.Error (borrowed)                      */
    const char *cause;      /* Throw.Cause or NULL (borrowed)              */
} mock_entry;

typedef struct mock_resp {
    const char *name;       /* borrowed from the root                      */
    mock_entry *entries;    /* sorted by lo, disjoint                      */
    size_t n;
    char *missing_cause;    /* States.Runtime cause for uncovered calls   */
} mock_resp;

struct sfn_mock_set {
    json_t *root;           /* private deep copy                           */
    mock_resp *resps;       /* sorted by name                              */
    size_t n;
};

/* ---- JSON pointers ---------------------------------------------------- */

/* Appends "/" + key (escaped per RFC 6901) to ptr, truncating to fit. */
static void ptr_push(char *ptr, const char *key)
{
    size_t n = strlen(ptr);
    if (n + 1 < MOCK_PTR_MAX)
        ptr[n++] = '/';
    for (const char *k = key; *k && n + 2 < MOCK_PTR_MAX; k++) {
        if (*k == '~' || *k == '/') {
            ptr[n++] = '~';
            ptr[n++] = *k == '~' ? '0' : '1';
        } else {
            ptr[n++] = *k;
        }
    }
    ptr[n] = '\0';
}

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    default: return "null";
    }
}

static sfn_rc bad(sfn_error *err, const char *ptr, const char *what,
                  const json_t *got)
{
    if (got)
        return sfn_error_set(err, SFN_EINVAL, NULL, -1,
                             "%s: expected %s, got %s", ptr, what,
                             type_name(got));
    return sfn_error_set(err, SFN_EINVAL, NULL, -1, "%s: %s", ptr, what);
}

/* ---- invocation ranges -------------------------------------------------- */

/* Reads a decimal uint32 at *s (no sign, no spaces); advances *s. */
static bool read_u32(const char **s, uint32_t *out)
{
    const char *p = *s;
    uint64_t v = 0;
    if (*p < '0' || *p > '9')
        return false;
    for (; *p >= '0' && *p <= '9'; p++) {
        v = v * 10 + (uint64_t)(*p - '0');
        if (v > UINT32_MAX)
            return false;
    }
    *s = p;
    *out = (uint32_t)v;
    return true;
}

/* "N" or "N-M" with N <= M. */
static sfn_rc parse_range(const char *key, const char *ptr, mock_entry *e,
                          sfn_error *err)
{
    const char *p = key;
    if (!read_u32(&p, &e->lo))
        goto syntax;
    e->hi = e->lo;
    if (*p == '-') {
        p++;
        if (!read_u32(&p, &e->hi))
            goto syntax;
    }
    if (*p)
        goto syntax;
    if (e->lo > e->hi)
        return sfn_error_set(err, SFN_EINVAL, NULL, -1,
                             "%s: bad invocation range: start %u is after "
                             "end %u", ptr, e->lo, e->hi);
    return SFN_OK;
syntax:
    return sfn_error_set(err, SFN_EINVAL, NULL, -1,
                         "%s: bad invocation range (expected a 0-based "
                         "invocation number \"N\" or an inclusive range "
                         "\"N-M\")", ptr);
}

/* ---- one mocked response ------------------------------------------------ */

static sfn_rc check_throw(json_t *t, char *ptr, mock_entry *e, sfn_error *err)
{
    ptr_push(ptr, "Throw");
    if (!json_is_object(t))
        return bad(err, ptr, "an object with Error and Cause", t);
    const char *k;
    json_t *v;
    size_t base = strlen(ptr);
    json_object_foreach(t, k, v) {
        ptr[base] = '\0';
        ptr_push(ptr, k);
        bool is_error = !strcmp(k, "Error");
        if (!is_error && strcmp(k, "Cause"))
            return bad(err, ptr, "unknown member (a Throw has only Error "
                                 "and Cause)", NULL);
        if (!json_is_string(v))
            return bad(err, ptr, "a string", v);
        size_t max = is_error ? MOCK_ERROR_CHARS_MAX : MOCK_CAUSE_CHARS_MAX;
        if (json_string_length(v) > max)
            return sfn_error_set(err, SFN_ELIMIT, NULL, -1,
                                 "%s: longer than %zu characters", ptr, max);
        if (is_error)
            e->error = json_string_value(v);
        else
            e->cause = json_string_value(v);
    }
    ptr[base] = '\0';
    if (!e->error)
        return bad(err, ptr, "missing Error (the error name Retry and Catch "
                             "match)", NULL);
    return SFN_OK;
}

static sfn_rc check_entry(json_t *v, char *ptr, mock_entry *e, sfn_error *err)
{
    if (!json_is_object(v))
        return bad(err, ptr, "an object with Return or Throw", v);
    json_t *ret = json_object_get(v, "Return");
    json_t *thr = json_object_get(v, "Throw");
    if (ret && thr)
        return bad(err, ptr, "has both Return and Throw (give exactly one)",
                   NULL);
    if (!ret && !thr)
        return bad(err, ptr, "has neither Return nor Throw (give exactly "
                             "one)", NULL);
    const char *k;
    json_t *m;
    json_object_foreach(v, k, m) {
        if (strcmp(k, "Return") && strcmp(k, "Throw")) {
            ptr_push(ptr, k);
            return bad(err, ptr, "unknown member (an invocation entry has "
                                 "Return or Throw)", NULL);
        }
    }
    if (ret) {
        e->ret = ret;
        return SFN_OK;
    }
    return check_throw(thr, ptr, e, err);
}

static int by_lo(const void *a, const void *b)
{
    const mock_entry *x = a, *y = b;
    return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* "it defines invocations 0, 1-2, 3" from the sorted entries. */
static char *missing_cause(const mock_resp *r)
{
    char ranges[512] = "";
    size_t n = 0;
    for (size_t i = 0; i < r->n && n < sizeof ranges - 32; i++) {
        const mock_entry *e = &r->entries[i];
        int w = e->lo == e->hi
                    ? snprintf(ranges + n, sizeof ranges - n, "%s%u",
                               i ? ", " : "", e->lo)
                    : snprintf(ranges + n, sizeof ranges - n, "%s%u-%u",
                               i ? ", " : "", e->lo, e->hi);
        n += (size_t)w;
    }
    const char *fmt =
        r->n ? "mocked response '%s' has no entry for this invocation of the "
               "state (it defines invocations %s; every invocation needs "
               "one, as in Step Functions Local)"
             : "mocked response '%s' defines no invocations%s (every "
               "invocation needs an entry, as in Step Functions Local)";
    int len = snprintf(NULL, 0, fmt, r->name, ranges);
    char *s = malloc((size_t)len + 1);
    if (s)
        snprintf(s, (size_t)len + 1, fmt, r->name, ranges);
    return s;
}

static sfn_rc check_response(const char *name, json_t *v, mock_resp *r,
                             sfn_error *err)
{
    char ptr[MOCK_PTR_MAX] = "/MockedResponses";
    ptr_push(ptr, name);
    r->name = name;
    if (!json_is_object(v))
        return bad(err, ptr, "an object keyed by invocation numbers (\"0\", "
                             "\"1-2\")", v);
    size_t base = strlen(ptr);
    r->entries = calloc(json_object_size(v) + 1, sizeof *r->entries);
    if (!r->entries)
        return sfn_error_set(err, SFN_ENOMEM, NULL, -1, "out of memory");
    const char *k;
    json_t *ev;
    json_object_foreach(v, k, ev) {
        mock_entry *e = &r->entries[r->n];
        ptr[base] = '\0';
        ptr_push(ptr, k);
        e->key = k;
        sfn_rc rc = parse_range(k, ptr, e, err);
        if (rc == SFN_OK)
            rc = check_entry(ev, ptr, e, err);
        if (rc != SFN_OK)
            return rc;
        r->n++;
    }
    qsort(r->entries, r->n, sizeof *r->entries, by_lo);
    for (size_t i = 1; i < r->n; i++) {
        if (r->entries[i].lo <= r->entries[i - 1].hi) {
            ptr[base] = '\0';
            ptr_push(ptr, r->entries[i].key);
            return sfn_error_set(err, SFN_EINVAL, NULL, -1,
                                 "%s: invocations overlap with \"%s\" (each "
                                 "invocation needs exactly one entry)",
                                 ptr, r->entries[i - 1].key);
        }
    }
    r->missing_cause = missing_cause(r);
    if (!r->missing_cause)
        return sfn_error_set(err, SFN_ENOMEM, NULL, -1, "out of memory");
    return SFN_OK;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const mock_resp *)a)->name, ((const mock_resp *)b)->name);
}

static const mock_resp *find_resp(const sfn_mock_set *m, const char *name)
{
    mock_resp key = {.name = name};
    return bsearch(&key, m->resps, m->n, sizeof *m->resps, by_name);
}

static sfn_rc check_responses(sfn_mock_set *m, json_t *all, sfn_error *err)
{
    if (!json_is_object(all))
        return bad(err, "/MockedResponses", "an object of named mocked "
                                            "responses", all);
    m->resps = calloc(json_object_size(all) + 1, sizeof *m->resps);
    if (!m->resps)
        return sfn_error_set(err, SFN_ENOMEM, NULL, -1, "out of memory");
    const char *name;
    json_t *v;
    json_object_foreach(all, name, v) {
        sfn_rc rc = check_response(name, v, &m->resps[m->n], err);
        m->n++; /* counted even on failure so sfn_mock_free releases it */
        if (rc != SFN_OK)
            return rc;
    }
    qsort(m->resps, m->n, sizeof *m->resps, by_name);
    return SFN_OK;
}

/* ---- state machines and test cases -------------------------------------- */

static sfn_rc check_case(const sfn_mock_set *m, json_t *tc, char *ptr,
                         sfn_error *err)
{
    if (!json_is_object(tc))
        return bad(err, ptr, "an object mapping state names to mocked "
                             "response names", tc);
    size_t base = strlen(ptr);
    const char *state;
    json_t *v;
    json_object_foreach(tc, state, v) {
        ptr[base] = '\0';
        ptr_push(ptr, state);
        if (!json_is_string(v))
            return bad(err, ptr, "a mocked response name (string)", v);
        if (!find_resp(m, json_string_value(v)))
            return sfn_error_set(err, SFN_EINVAL, NULL, -1,
                                 "%s: unknown mocked response '%s' (not "
                                 "defined in /MockedResponses)", ptr,
                                 json_string_value(v));
    }
    return SFN_OK;
}

static sfn_rc check_machine(const sfn_mock_set *m, const char *name,
                            json_t *v, sfn_error *err)
{
    char ptr[MOCK_PTR_MAX] = "/StateMachines";
    ptr_push(ptr, name);
    if (!json_is_object(v))
        return bad(err, ptr, "an object with TestCases", v);
    size_t base = strlen(ptr);
    const char *k;
    json_t *cases = NULL, *mv;
    json_object_foreach(v, k, mv) {
        if (strcmp(k, "TestCases")) {
            ptr_push(ptr, k);
            return bad(err, ptr, "unknown member (a state machine has only "
                                 "TestCases)", NULL);
        }
        cases = mv;
    }
    if (!cases)
        return bad(err, ptr, "missing TestCases", NULL);
    ptr_push(ptr, "TestCases");
    if (!json_is_object(cases))
        return bad(err, ptr, "an object of named test cases", cases);
    size_t cbase = strlen(ptr);
    json_t *tc;
    json_object_foreach(cases, k, tc) {
        ptr[cbase] = '\0';
        ptr_push(ptr, k);
        sfn_rc rc = check_case(m, tc, ptr, err);
        if (rc != SFN_OK)
            return rc;
    }
    ptr[base] = '\0';
    return SFN_OK;
}

static sfn_rc check_root(sfn_mock_set *m, sfn_error *err)
{
    json_t *root = m->root;
    if (!json_is_object(root))
        return bad(err, "mock config", "a JSON object with StateMachines and "
                                       "MockedResponses", root);
    const char *k;
    json_t *v;
    json_object_foreach(root, k, v) {
        if (strcmp(k, "StateMachines") && strcmp(k, "MockedResponses")) {
            char ptr[MOCK_PTR_MAX] = "";
            ptr_push(ptr, k);
            return bad(err, ptr, "unknown member (the top level has "
                                 "StateMachines and MockedResponses)", NULL);
        }
    }
    json_t *machines = json_object_get(root, "StateMachines");
    json_t *resps = json_object_get(root, "MockedResponses");
    if (!machines || !resps)
        return bad(err, machines ? "/MockedResponses" : "/StateMachines",
                   "missing (a mock config needs StateMachines and "
                   "MockedResponses)", NULL);
    sfn_rc rc = check_responses(m, resps, err);
    if (rc != SFN_OK)
        return rc;
    if (!json_is_object(machines))
        return bad(err, "/StateMachines", "an object of state machine names",
                   machines);
    json_object_foreach(machines, k, v) {
        rc = check_machine(m, k, v, err);
        if (rc != SFN_OK)
            return rc;
    }
    return SFN_OK;
}

/* ---- public ------------------------------------------------------------- */

sfn_mock_set *sfn_mock_load(json_t *config, sfn_error *err)
{
    sfn_mock_set *m = calloc(1, sizeof *m);
    if (!m) {
        sfn_error_set(err, SFN_ENOMEM, NULL, -1, "out of memory");
        return NULL;
    }
    /* a private copy: the index borrows strings and values from it */
    m->root = config ? json_deep_copy(config) : NULL;
    if (config && !m->root) {
        sfn_error_set(err, SFN_ENOMEM, NULL, -1, "out of memory");
        sfn_mock_free(m);
        return NULL;
    }
    if (!config) {
        sfn_error_set(err, SFN_EINVAL, NULL, -1, "mock config: missing");
        sfn_mock_free(m);
        return NULL;
    }
    if (check_root(m, err) != SFN_OK) {
        sfn_mock_free(m);
        return NULL;
    }
    return m;
}

/* Messages do not repeat the path: the caller names the file (sfn_tasks_new
 * says "mock file PATH: ..."). */
static char *read_text(const char *path, size_t *len, sfn_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        sfn_error_set(err, SFN_EIO, NULL, -1, "cannot open: %s",
                      strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 14, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap || cap >= MOCK_FILE_BYTES_MAX)
            break;
        char *grown = realloc(buf, cap * 2);
        if (!grown)
            free(buf);
        buf = grown;
        cap *= 2;
    }
    bool failed = ferror(f) != 0;
    fclose(f);
    if (!buf) {
        sfn_error_set(err, SFN_ENOMEM, NULL, -1, "out of memory");
    } else if (failed || n >= MOCK_FILE_BYTES_MAX) {
        sfn_error_set(err, failed ? SFN_EIO : SFN_ELIMIT, NULL, -1, "%s",
                      failed ? "read error" : "larger than 64 MiB");
        free(buf);
        buf = NULL;
    }
    *len = n;
    return buf;
}

sfn_mock_set *sfn_mock_load_file(const char *path, sfn_error *err)
{
    size_t len = 0;
    char *text = read_text(path, &len, err);
    if (!text)
        return NULL;
    json_error_t je;
    json_t *root = sfn_json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    free(text);
    if (!root) {
        sfn_error_set(err, SFN_ESYNTAX, NULL, je.position,
                      "line %d column %d: %s", je.line, je.column, je.text);
        return NULL;
    }
    sfn_mock_set *m = sfn_mock_load(root, err);
    json_decref(root);
    return m;
}

void sfn_mock_free(sfn_mock_set *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++) {
        free(m->resps[i].entries);
        free(m->resps[i].missing_cause);
    }
    free(m->resps);
    json_decref(m->root);
    free(m);
}

static json_t *find_case(const sfn_mock_set *m, const char *machine,
                         const char *test_case)
{
    if (!m || !machine || !test_case)
        return NULL;
    json_t *sm = json_object_get(json_object_get(m->root, "StateMachines"),
                                 machine);
    return json_object_get(json_object_get(sm, "TestCases"), test_case);
}

bool sfn_mock_has_case(const sfn_mock_set *m, const char *machine,
                       const char *test_case)
{
    return find_case(m, machine, test_case) != NULL;
}

bool sfn_mock_lookup(const sfn_mock_set *m, const char *machine,
                     const char *test_case, const char *state,
                     uint32_t invocation, sfn_mock_answer *a)
{
    json_t *name = state ? json_object_get(find_case(m, machine, test_case),
                                           state)
                         : NULL;
    const mock_resp *r = name ? find_resp(m, json_string_value(name)) : NULL;
    if (!r)
        return false;
    *a = (sfn_mock_answer){0};
    size_t lo = 0, hi = r->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const mock_entry *e = &r->entries[mid];
        if (invocation < e->lo) {
            hi = mid;
        } else if (invocation > e->hi) {
            lo = mid + 1;
        } else {
            a->result = e->ret;
            a->error = e->error;
            a->cause = e->cause;
            return true;
        }
    }
    a->error = "States.Runtime";
    a->cause = r->missing_cause;
    return true;
}

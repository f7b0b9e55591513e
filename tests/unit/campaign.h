/* campaign.h: the workload of the end-to-end durability campaigns
 * (test_crash_campaign: one node killed and restarted; test_multinode:
 * three nodes on one PostgreSQL, one killed, one paused): machines of
 * every kind (Pass chain, Map, Parallel, Wait, Retry then Catch, two HTTP
 * Tasks against an echo service, a callback), what an uninterrupted run of
 * each ends with, the client threads that start executions and answer
 * callbacks through the REST API of whichever node is up, and the checks
 * afterwards (every acknowledged execution ended once as expected with a
 * gap-free history; every HTTP attempt under one Idempotency-Key).
 * Header-only; include after cmocka.h, serve_harness.h and
 * http_fixture.h. */
#ifndef SFN_CAMPAIGN_H
#define SFN_CAMPAIGN_H

#include <ctype.h>
#include <curl/curl.h>
#include <stdatomic.h>

#include "sfn_events.h"
#include "sfn_exec.h"
#include "sfn_json.h"
#include "sfn_store.h"

#define CAMP_UNUSED __attribute__((unused))

#define MAX_EXECS 8192
#define CAMP_NODES 3

enum { K_CHAIN, K_MAP, K_PARALLEL, K_WAIT, K_RETRY, K_HTTP, K_CB, N_KINDS };

CAMP_UNUSED static const char *const kind_name[N_KINDS] = {"chain", "map", "parallel",
                                               "wait", "retry", "http", "cb"};

#define HTTP_STEP(step, next_or_end)                                        \
    "\"Type\":\"Task\",\"Resource\":\"arn:aws:states:::http:invoke\","      \
    "\"Parameters\":{\"ApiEndpoint\":\"%s\",\"Method\":\"POST\","           \
    "\"RequestBody\":{\"id.$\":\"$$.Execution.Name\",\"step\":\"" step      \
    "\"}},\"ResultSelector\":{\"echo.$\":\"States.StringToJson("            \
    "$.ResponseBody.body)\"},\"ResultPath\":\"$." step "\"," next_or_end

/* Definitions; the http one is a format taking the echo URL twice. */
CAMP_UNUSED static const char *const defs[N_KINDS] = {
    [K_CHAIN] =
        "{\"StartAt\":\"A\",\"States\":{"
        "\"A\":{\"Type\":\"Pass\",\"Parameters\":{\"n.$\":\"$.n\",\"s\":1},"
        "\"Next\":\"B\"},"
        "\"B\":{\"Type\":\"Pass\",\"Parameters\":{\"n.$\":\"$.n\",\"s.$\":"
        "\"States.MathAdd($.s, 1)\"},\"Next\":\"C\"},"
        "\"C\":{\"Type\":\"Pass\",\"Result\":\"done\",\"ResultPath\":\"$.r\","
        "\"End\":true}}}",
    [K_MAP] =
        "{\"StartAt\":\"M\",\"States\":{\"M\":{\"Type\":\"Map\",\"ItemsPath\":"
        "\"$.items\",\"MaxConcurrency\":2,\"ItemProcessor\":{\"StartAt\":\"X\","
        "\"States\":{\"X\":{\"Type\":\"Pass\",\"Parameters\":{\"v.$\":\"$\"},"
        "\"End\":true}}},\"ResultPath\":\"$.out\",\"End\":true}}}",
    [K_PARALLEL] =
        "{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Parallel\","
        "\"Branches\":[{\"StartAt\":\"B1\",\"States\":{\"B1\":{\"Type\":"
        "\"Pass\",\"Result\":1,\"End\":true}}},{\"StartAt\":\"B2\",\"States\":"
        "{\"B2\":{\"Type\":\"Pass\",\"Parameters\":{\"m.$\":\"$.n\"},"
        "\"End\":true}}}],\"ResultPath\":\"$.p\",\"End\":true}}}",
    [K_WAIT] =
        "{\"StartAt\":\"W\",\"States\":{\"W\":{\"Type\":\"Wait\",\"Seconds\":1,"
        "\"Next\":\"E\"},\"E\":{\"Type\":\"Pass\",\"Result\":\"woke\","
        "\"ResultPath\":\"$.w\",\"End\":true}}}",
    [K_RETRY] =
        "{\"StartAt\":\"T\",\"States\":{\"T\":{\"Type\":\"Task\",\"Resource\":"
        "\"arn:stepd:task:fail\",\"Parameters\":{\"Error\":\"Boom\"},"
        "\"Retry\":[{\"ErrorEquals\":[\"Boom\"],\"IntervalSeconds\":1,"
        "\"MaxAttempts\":2,\"BackoffRate\":1.5}],\"Catch\":[{\"ErrorEquals\":"
        "[\"States.ALL\"],\"ResultPath\":\"$.caught\",\"Next\":\"F\"}],"
        "\"End\":true},"
        "\"F\":{\"Type\":\"Pass\",\"Parameters\":{\"n.$\":\"$.n\",\"err.$\":"
        "\"$.caught.Error\"},\"End\":true}}}",
    [K_HTTP] =
        "{\"StartAt\":\"h1\",\"States\":{"
        "\"h1\":{" HTTP_STEP("h1", "\"Next\":\"h2\"") "},"
        "\"h2\":{" HTTP_STEP("h2", "\"End\":true") "}}}",
    [K_CB] =
        "{\"StartAt\":\"T\",\"States\":{\"T\":{\"Type\":\"Task\",\"Resource\":"
        "\"arn:stepd:task:sleep.waitForTaskToken\",\"Parameters\":{"
        "\"token.$\":\"$$.Task.Token\",\"n.$\":\"$.n\"},\"ResultPath\":"
        "\"$.cb\",\"End\":true}}}",
};

CAMP_UNUSED static json_t *input_for(int kind, int i)
{
    if (kind == K_MAP)
        return json_pack("{s:i,s:[i,i,i,i]}", "n", i, "items", i, i + 1,
                         i + 2, i + 3);
    return json_pack("{s:i}", "n", i);
}

CAMP_UNUSED static json_t *echo_of(int i, const char *step)
{
    char id[16];
    snprintf(id, sizeof id, "e%d", i);
    return json_pack("{s:{s:s,s:s}}", "echo", "id", id, "step", step);
}

/* What an uninterrupted run of execution e<i> of `kind` ends with. */
CAMP_UNUSED static json_t *expected_for(int kind, int i)
{
    json_t *o = input_for(kind, i);
    switch (kind) {
    case K_CHAIN:
        json_object_set_new(o, "s", json_integer(2));
        json_object_set_new(o, "r", json_string("done"));
        break;
    case K_MAP:
        json_object_set_new(o, "out",
                            json_pack("[{s:i},{s:i},{s:i},{s:i}]", "v", i, "v",
                                      i + 1, "v", i + 2, "v", i + 3));
        break;
    case K_PARALLEL:
        json_object_set_new(o, "p", json_pack("[i,{s:i}]", 1, "m", i));
        break;
    case K_WAIT:
        json_object_set_new(o, "w", json_string("woke"));
        break;
    case K_RETRY:
        json_object_set_new(o, "err", json_string("Boom"));
        break;
    case K_HTTP:
        json_object_set_new(o, "h1", echo_of(i, "h1"));
        json_object_set_new(o, "h2", echo_of(i, "h2"));
        break;
    case K_CB:
        json_object_set_new(o, "cb", json_pack("{s:i}", "ok", i));
        break;
    }
    return o;
}

/* ---- the campaign's shared state ---- */

typedef struct exec_slot {
    int kind;
    atomic_int acked;    /* StartExecution answered 200/201              */
    atomic_int answered; /* its callback was accepted (or already used)  */
} exec_slot;

typedef struct campaign {
    sh_server sv[CAMP_NODES];
    int n_nodes;          /* servers in use (1 for a single node)         */
    /* each sv[k].base copied once: the threads read them meanwhile; a
     * node whose `down` is set is skipped by the client threads */
    char base[CAMP_NODES][64];
    atomic_int down[CAMP_NODES];
    int max_execs;        /* 0 = MAX_EXECS                                */
    atomic_int stop_starting, stop_callbacks;
    atomic_int n_started; /* slots handed out                            */
    exec_slot slots[MAX_EXECS];
    atomic_int callbacks; /* success answers accepted (204)              */
} campaign;

/* ---- a tiny libcurl client ---- */

typedef struct buf {
    char *p;
    size_t n;
} buf;

CAMP_UNUSED static size_t collect(char *d, size_t sz, size_t nm, void *ud)
{
    buf *b = ud;
    char *np = realloc(b->p, b->n + sz * nm + 1);
    if (!np)
        return 0;
    memcpy(np + b->n, d, sz * nm);
    b->n += sz * nm;
    np[b->n] = '\0';
    b->p = np;
    return sz * nm;
}

/* One request; the HTTP status (0 when no answer came).  *body_out (may be
 * NULL) gets the malloc'd answer body. */
CAMP_UNUSED static long request(CURL *c, const char *method, const char *url,
                    const char *body, char **body_out)
{
    buf b = {0};
    struct curl_slist *h =
        curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 1000L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    if (body)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    long status = 0;
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    if (body_out)
        *body_out = b.p;
    else
        free(b.p);
    return status;
}

CAMP_UNUSED static void put_machines(campaign *cp, CURL *c, const char *echo_url)
{
    for (int k = 0; k < N_KINDS; k++) {
        char def[4096], url[128];
        if (k == K_HTTP)
            snprintf(def, sizeof def, defs[k], echo_url, echo_url);
        else
            snprintf(def, sizeof def, "%s", defs[k]);
        snprintf(url, sizeof url, "%s/v1/state-machines/%s", cp->base[0],
                 kind_name[k]);
        char *ans = NULL;
        long st = request(c, "PUT", url, def, &ans);
        if (st != 201 && st != 200)
            fail_msg("PUT %s: %ld %s", kind_name[k], st, ans ? ans : "");
        free(ans);
    }
}

/* ---- the client threads ---- */

/* StartExecution of e<i> through node `first`, then the next live ones
 * (the same name and input again is idempotent): the answer's status. */
CAMP_UNUSED static long start_one(campaign *cp, CURL *c, int i, int first)
{
    int kind = cp->slots[i].kind;
    json_t *in = input_for(kind, i);
    char *text = json_dumps(in, JSON_COMPACT);
    long st = 0;
    for (int k = 0; k < cp->n_nodes && st != 201 && st != 200; k++) {
        int n = (first + k) % cp->n_nodes;
        if (atomic_load(&cp->down[n]))
            continue;
        char url[160];
        snprintf(url, sizeof url,
                 "%s/v1/state-machines/%s/executions?name=e%d", cp->base[n],
                 kind_name[kind], i);
        char *ans = NULL;
        st = request(c, "POST", url, text, &ans);
        /* an earlier try of this name whose answer was lost (the node
         * died or froze) committed it, and it has ended meanwhile: names
         * are this campaign's own, so the execution is ours */
        if (st == 409 && ans && strstr(ans, "ExecutionAlreadyExists"))
            st = 200;
        free(ans);
    }
    free(text);
    json_decref(in);
    return st;
}

/* Starts e0, e1, ... (kind i % N_KINDS) through the nodes in turn until
 * stop_starting or max_execs. */
CAMP_UNUSED static void *starter(void *ud)
{
    campaign *cp = ud;
    CURL *c = curl_easy_init();
    int max = cp->max_execs > 0 ? cp->max_execs : MAX_EXECS;
    for (int i = 0; i < max && !atomic_load(&cp->stop_starting); i++) {
        cp->slots[i].kind = i % N_KINDS;
        atomic_store(&cp->n_started, i + 1);
        long st = start_one(cp, c, i, i % cp->n_nodes);
        if (st == 201 || st == 200)
            atomic_store(&cp->slots[i].acked, 1);
        else if (st == 0)
            sh_pause_ms(20); /* the server is down: do not spin */
        if (cp->n_nodes == 1)
            sh_pause_ms(10);
    }
    curl_easy_cleanup(c);
    return NULL;
}

/* The task token in a history page, or false. */
CAMP_UNUSED static bool find_token(const char *text, char *tok, size_t cap)
{
    const char *p = text ? strstr(text, "stepd1.") : NULL;
    if (!p)
        return false;
    size_t n = 7;
    while (isxdigit((unsigned char)p[n]) && n + 1 < cap)
        n++;
    memcpy(tok, p, n);
    tok[n] = '\0';
    return n > 7;
}

/* Answers execution e<i>'s callback through node `n` (another node than
 * the one that started it, when there are several); true once it is done
 * with. */
CAMP_UNUSED static bool answer_one(campaign *cp, CURL *c, int i, int n)
{
    char url[256], tok[128], body[32];
    snprintf(url, sizeof url, "%s/v1/executions/cb:e%d/history?limit=50",
             cp->base[n], i);
    char *hist = NULL;
    bool found = request(c, "GET", url, NULL, &hist) == 200 &&
                 find_token(hist, tok, sizeof tok);
    free(hist);
    if (!found)
        return false;
    snprintf(url, sizeof url, "%s/v1/tasks/%s/success", cp->base[n], tok);
    snprintf(body, sizeof body, "{\"ok\":%d}", i);
    char *ans = NULL;
    long st = request(c, "POST", url, body, &ans);
    bool done = st == 204 ||
                (st == 404 && ans && strstr(ans, "TaskDoesNotExist"));
    if (st == 204)
        atomic_fetch_add(&cp->callbacks, 1);
    free(ans);
    return done;
}

/* A live node after `from` (or `from` itself), for the client threads. */
CAMP_UNUSED static int live_node(campaign *cp, int from)
{
    for (int k = 0; k < cp->n_nodes; k++) {
        int n = (from + k) % cp->n_nodes;
        if (!atomic_load(&cp->down[n]))
            return n;
    }
    return from % cp->n_nodes;
}

CAMP_UNUSED static void *answerer(void *ud)
{
    campaign *cp = ud;
    CURL *c = curl_easy_init();
    while (!atomic_load(&cp->stop_callbacks)) {
        int n = atomic_load(&cp->n_started);
        for (int i = 0; i < n && !atomic_load(&cp->stop_callbacks); i++) {
            exec_slot *s = &cp->slots[i];
            if (s->kind == K_CB && atomic_load(&s->acked) &&
                !atomic_load(&s->answered) &&
                answer_one(cp, c, i, live_node(cp, i + 1)))
                atomic_store(&s->answered, 1);
        }
        sh_pause_ms(30);
    }
    curl_easy_cleanup(c);
    return NULL;
}

/* ---- checks ---- */

CAMP_UNUSED static bool all_finished(campaign *cp, CURL *c)
{
    int n = atomic_load(&cp->n_started);
    for (int i = 0; i < n; i++) {
        if (!atomic_load(&cp->slots[i].acked))
            continue;
        char url[160], *ans = NULL;
        snprintf(url, sizeof url, "%s/v1/executions/%s:e%d",
                 cp->base[live_node(cp, i)], kind_name[cp->slots[i].kind], i);
        long st = request(c, "GET", url, NULL, &ans);
        bool running = st != 200 || !ans || strstr(ans, "\"RUNNING\"");
        free(ans);
        if (running)
            return false;
    }
    return true;
}

typedef struct hist_check {
    int64_t expect_id, last_ts;
    int terminal, bad;
} hist_check;

CAMP_UNUSED static int check_event(const sfn_store_event *ev, void *ud)
{
    hist_check *h = ud;
    if (ev->id != h->expect_id || ev->prev < 0 || ev->prev >= ev->id)
        h->bad = 1;
    h->expect_id++;
    if (ev->type >= SFN_EV_ExecutionSucceeded &&
        ev->type <= SFN_EV_ExecutionTimedOut)
        h->terminal++;
    return 0;
}

/* Every acknowledged execution exists, succeeded once with the expected
 * output, and has a gap-free history; the count checked. */
CAMP_UNUSED static int verify_store(campaign *cp)
{
    sfn_store *s = NULL;
    sfn_error err;
    sfn_store_opts ro = {.read_only = true};
    if (sfn_store_open(cp->sv[0].db, &ro, &s, &err) != SFN_OK)
        fail_msg("cannot open %s: %s", cp->sv[0].db, err.cause);
    int checked = 0, n = atomic_load(&cp->n_started);
    for (int i = 0; i < n; i++) {
        if (!atomic_load(&cp->slots[i].acked))
            continue;
        int kind = cp->slots[i].kind;
        char arn[256];
        snprintf(arn, sizeof arn,
                 "arn:aws:states:us-east-1:123456789012:execution:%s:e%d",
                 kind_name[kind], i);
        sfn_exec_rec r = {0};
        if (sfn_store_get_execution(s, arn, &r, &err) != SFN_OK)
            fail_msg("acknowledged %s is lost: %s", arn, err.cause);
        if (r.status != SFN_EXEC_SUCCEEDED)
            fail_msg("%s ended %d (%s: %s)", arn, r.status,
                     r.error ? r.error : "", r.cause ? r.cause : "");
        json_error_t je;
        json_t *out = json_loads(r.output, JSON_DECODE_ANY, &je);
        json_t *want = expected_for(kind, i);
        if (!json_equal(out, want)) {
            char *w = json_dumps(want, JSON_COMPACT);
            fail_msg("%s output %s, want %s", arn, r.output, w);
        }
        json_decref(out);
        json_decref(want);
        hist_check h = {1, 0, 0, 0};
        assert_int_equal(sfn_store_get_history(s, r.id, 0, 0, false,
                                               check_event, &h, &err),
                         SFN_OK);
        if (h.bad || h.terminal != 1 || h.expect_id != r.next_event)
            fail_msg("%s history: gap or bad previous id %d, %d terminal "
                     "events, %lld events of %lld",
                     arn, h.bad, h.terminal, (long long)h.expect_id - 1,
                     (long long)r.next_event - 1);
        sfn_exec_rec_free(&r);
        checked++;
    }
    sfn_store_close(s);
    return checked;
}

/* Each Idempotency-Key's re-sends repeat its first body, each attempt
 * (execution, step) has one key, and every acknowledged HTTP execution's
 * two calls reached the service.  The number of re-sends. */
CAMP_UNUSED static size_t verify_http(campaign *cp, hfx_server *srv)
{
    size_t n_req = hfx_requests(srv), distinct = 0, resent = 0;
    const hfx_request **first = calloc(n_req + 1, sizeof *first);
    assert_non_null(first);
    for (size_t i = 0; i < n_req; i++) {
        const hfx_request *r = hfx_request_at(srv, i);
        const char *key = hfx_req_header(r, "Idempotency-Key");
        if (!key || !*key)
            fail_msg("request %s has no Idempotency-Key", r->body);
        size_t j = 0;
        while (j < distinct &&
               strcmp(hfx_req_header(first[j], "Idempotency-Key"), key))
            j++;
        if (j < distinct) {
            if (strcmp(first[j]->body, r->body))
                fail_msg("key %s re-sent with %s, first sent with %s", key,
                         r->body, first[j]->body);
            resent++;
            continue;
        }
        for (size_t k = 0; k < distinct; k++)
            if (!strcmp(first[k]->body, r->body))
                fail_msg("attempt %s sent under two keys", r->body);
        first[distinct++] = r;
    }
    int n = atomic_load(&cp->n_started);
    for (int i = 0; i < n; i++) {
        if (cp->slots[i].kind != K_HTTP || !atomic_load(&cp->slots[i].acked))
            continue;
        for (int step = 1; step <= 2; step++) {
            char body[64];
            snprintf(body, sizeof body, "{\"id\":\"e%d\",\"step\":\"h%d\"}", i,
                     step);
            bool seen = false;
            for (size_t k = 0; k < distinct && !seen; k++)
                seen = !strcmp(first[k]->body, body);
            if (!seen)
                fail_msg("e%d step h%d never reached the service", i, step);
        }
    }
    free(first);
    return resent;
}


#endif

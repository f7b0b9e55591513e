/* bench_engine.c: durable engine throughput on three workloads, each run
 * with SQLite synchronous=NORMAL and FULL:
 *   (a) 1,000 executions of a 100-state Pass chain whose states use
 *       Parameters;
 *   (b) one Map over 10,000 object items with a Pass inside (history limit
 *       raised);
 *   (c) one Parallel of 10 branches x 100 Pass states.
 * Prints durable transitions per second, Map iterations per second, peak
 * RSS and bytes of SQLite per transition, then the same figures as one
 * `json: {...}` line for bench/run.sh.  Usage: bench_engine [DIR]. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "sfn_asl.h"
#include "sfn_engine.h"
#include "sfn_json.h"
#include "sfn_store.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long peak_rss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* A chain of n Pass states "S0".."Sn-1" in a States block (JSON text). */
static void pass_chain(char **buf, size_t *len, FILE *f, int n,
                       const char *prefix)
{
    (void)buf;
    (void)len;
    fprintf(f, "{\"StartAt\":\"%s0\",\"States\":{", prefix);
    for (int i = 0; i < n; i++) {
        fprintf(f,
                "%s\"%s%d\":{\"Type\":\"Pass\",\"Parameters\":{\"step\":%d,"
                "\"order.$\":\"$.order\",\"total.$\":\"$.total\"},",
                i ? "," : "", prefix, i, i);
        if (i + 1 < n)
            fprintf(f, "\"Next\":\"%s%d\"}", prefix, i + 1);
        else
            fprintf(f, "\"End\":true}");
    }
    fprintf(f, "}}");
}

static char *def_chain(int n)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    pass_chain(&buf, &len, f, n, "S");
    fclose(f);
    return buf;
}

static char *def_map(void)
{
    return strdup(
        "{\"StartAt\":\"M\",\"States\":{\"M\":{\"Type\":\"Map\","
        "\"ItemsPath\":\"$.items\",\"ItemProcessor\":{\"StartAt\":\"P\","
        "\"States\":{\"P\":{\"Type\":\"Pass\",\"Parameters\":{"
        "\"id.$\":\"$.id\",\"ok\":true},\"End\":true}}},"
        "\"ResultPath\":null,\"End\":true}}}");
}

static char *def_parallel(int branches, int n)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    fprintf(f, "{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Parallel\","
               "\"End\":true,\"ResultPath\":null,\"Branches\":[");
    for (int b = 0; b < branches; b++) {
        char prefix[16];
        snprintf(prefix, sizeof prefix, "B%dS", b);
        if (b)
            fputc(',', f);
        pass_chain(&buf, &len, f, n, prefix);
    }
    fprintf(f, "]}}}");
    fclose(f);
    return buf;
}

static sfn_graph *compile(const char *text)
{
    sfn_diags d;
    sfn_diags_init(&d);
    sfn_graph *g = NULL;
    sfn_asl_opts o = {0};
    if (sfn_asl_compile_text(text, strlen(text), &o, &d, &g) != SFN_OK) {
        fprintf(stderr, "bench: definition does not compile: %s at %s\n",
                d.count ? d.items[0].message : "?",
                d.count ? d.items[0].location : "");
        exit(2);
    }
    sfn_diags_free(&d);
    return g;
}

typedef struct result {
    double secs;
    int64_t transitions, events;
    int64_t db_bytes;
} result;

static result run(const char *dir, const char *tag, sfn_sync_mode sync,
                  sfn_graph *g, json_t *input, int executions)
{
    char path[512];
    snprintf(path, sizeof path, "%s/bench-%s-%d.db", dir, tag, (int)sync);
    unlink(path);
    sfn_store *store = NULL;
    sfn_error err;
    sfn_store_opts so = {.sync = sync};
    if (sfn_store_open(path, &so, &store, &err) != SFN_OK) {
        fprintf(stderr, "bench: %s\n", err.cause);
        exit(2);
    }
    sfn_exec_limits lim = {1000000, 64 * 1024 * 1024, 0};
    sfn_engine_opts o = {.store = store, .limits = lim};
    sfn_engine *e = sfn_engine_new(&o, &err);
    double t0 = now_s();
    for (int i = 0; i < executions; i++)
        sfn_engine_start(e, tag, 1, g, NULL, input, NULL, &err);
    if (sfn_engine_run_until_idle(e, &err) != SFN_OK)
        fprintf(stderr, "bench: %s\n", err.cause);
    result r = {now_s() - t0, sfn_engine_get_stats(e).transitions,
                sfn_engine_get_stats(e).events, sfn_store_size_bytes(store)};
    sfn_engine_free(e);
    sfn_store_close(store);
    char side[600];
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
    return r;
}

static void report(const char *label, result r, int64_t units,
                   const char *unit)
{
    printf("  %-34s %9.0f transitions/s  %9.0f %s/s  %6.1f bytes/transition"
           "  (%lld transitions, %.3f s)\n",
           label, (double)r.transitions / r.secs, (double)units / r.secs, unit,
           (double)r.db_bytes / (double)r.transitions,
           (long long)r.transitions, r.secs);
}

/* One "MODE":{...} member of the json: line; rates are per second. */
static void json_mode(const char *mode, const result *r, int first)
{
    printf("%s\"%s\":{\"a_transitions_per_s\":%.1f,\"a_executions_per_s\":%.1f,"
           "\"a_bytes_per_transition\":%.1f,\"b_transitions_per_s\":%.1f,"
           "\"b_iterations_per_s\":%.1f,\"b_bytes_per_transition\":%.1f,"
           "\"c_transitions_per_s\":%.1f,\"c_states_per_s\":%.1f,"
           "\"c_bytes_per_transition\":%.1f}",
           first ? "" : ",", mode,
           (double)r[0].transitions / r[0].secs, 1000 / r[0].secs,
           (double)r[0].db_bytes / (double)r[0].transitions,
           (double)r[1].transitions / r[1].secs, 10000 / r[1].secs,
           (double)r[1].db_bytes / (double)r[1].transitions,
           (double)r[2].transitions / r[2].secs, 1000 / r[2].secs,
           (double)r[2].db_bytes / (double)r[2].transitions);
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "/tmp";
    /* SFN_BENCH_PROFILE=N: only workload (a) with N executions, NORMAL, for
     * instruction-count profiling (callgrind), which a busy machine's wall
     * clock cannot give */
    const char *prof = getenv("SFN_BENCH_PROFILE");
    if (prof) {
        char *chain1 = def_chain(100);
        sfn_graph *g1 = compile(chain1);
        json_t *in1 = json_pack("{s:s,s:f}", "order", "A-1", "total", 12.5);
        result r = run(dir, "profile", SFN_SYNC_NORMAL, g1, in1, atoi(prof));
        report("(a) profile", r, atoi(prof), "executions");
        json_decref(in1);
        sfn_graph_unref(g1);
        free(chain1);
        return 0;
    }
    char *chain = def_chain(100), *map = def_map(), *par = def_parallel(10, 100);
    sfn_graph *gc = compile(chain), *gm = compile(map), *gp = compile(par);
    json_t *in_chain = json_pack("{s:s,s:f}", "order", "A-1", "total", 12.5);
    json_t *items = json_array();
    for (int i = 0; i < 10000; i++)
        json_array_append_new(items, json_pack("{s:i,s:s}", "id", i, "sku",
                                               "SKU-1"));
    json_t *in_map = json_pack("{s:o}", "items", items);
    const char *modes[] = {"NORMAL", "FULL"};
    result res[2][3];
    printf("stepd bench_engine (durable, SQLite WAL)\n");
    for (int m = 0; m < 2; m++) {
        result *r = res[m];
        printf("synchronous=%s\n", modes[m]);
        r[0] = run(dir, "chain", (sfn_sync_mode)m, gc, in_chain, 1000);
        report("(a) 1000 x 100-state Pass chain", r[0], 1000, "executions");
        r[1] = run(dir, "map", (sfn_sync_mode)m, gm, in_map, 1);
        report("(b) Map over 10,000 items", r[1], 10000, "iterations");
        r[2] = run(dir, "parallel", (sfn_sync_mode)m, gp, in_chain, 1);
        report("(c) Parallel 10 x 100 states", r[2], 1000, "states");
    }
    printf("peak RSS: %ld KiB\n", peak_rss_kb());
    printf("json: {\"tool\":\"stepd\",");
    for (int m = 0; m < 2; m++)
        json_mode(modes[m], res[m], m == 0);
    printf(",\"peak_rss_kib\":%ld}\n", peak_rss_kb());
    json_decref(in_chain);
    json_decref(in_map);
    sfn_graph_unref(gc);
    sfn_graph_unref(gm);
    sfn_graph_unref(gp);
    free(chain);
    free(map);
    free(par);
    return 0;
}

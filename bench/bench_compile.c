/* bench_compile.c: how fast the ASL compiler turns a large definition into a
 * graph.  Generates two 10,000-state definitions (a Pass chain full of `.$`
 * paths and intrinsics, and a Task/Choice/Map mix), compiles each N times
 * and prints min/median milliseconds per compile and states per second.
 * Usage: bench_compile [--runs N] [--states N] */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sfn_asl.h"
#include "sfn_json.h"

#define TARGET_MS 50.0 /* the goal for 10,000 states */

typedef struct {
    char *data;
    size_t len, cap;
    int failed;
} buf;

static void put(buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void put(buf *b, const char *fmt, ...)
{
    if (!b->data && !b->failed) {
        b->cap = 1 << 16;
        b->data = malloc(b->cap);
        b->failed = b->data == NULL;
    }
    for (int tries = 0; tries < 2 && !b->failed; tries++) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->failed = 1;
            return;
        }
        if ((size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = (b->cap + (size_t)n) * 2;
        char *grown = realloc(b->data, cap);
        if (!grown) {
            b->failed = 1;
            return;
        }
        b->data = grown;
        b->cap = cap;
    }
}

/* Both definitions must stay under the 1 MiB definition limit, which at
 * 10,000 states leaves about 100 characters per state: names are short and
 * there is no whitespace. */

/* A chain of Pass states, each with a payload template holding a path and
 * an intrinsic call, so template compilation is measured along with the
 * graph work. */
static void gen_pass_chain(buf *b, size_t n)
{
    put(b, "{\"StartAt\":\"P0\",\"States\":{");
    for (size_t i = 0; i < n; i++) {
        put(b, "%s\"P%zu\":{\"Type\":\"Pass\",\"Parameters\":{"
               "\"v.$\":\"$.v\",\"s.$\":\"States.Format('{}',$.v)\"},",
            i ? "," : "", i);
        if (i + 1 < n)
            put(b, "\"Next\":\"P%zu\"}", i + 1);
        else
            put(b, "\"End\":true}");
    }
    put(b, "}}");
}

static void gen_task(buf *b, size_t g)
{
    put(b, "\"T%zu\":{\"Type\":\"Task\",\"Resource\":"
           "\"arn:aws:states:::lambda:invoke\","
           "\"Retry\":[{\"ErrorEquals\":[\"States.Timeout\"]}],"
           "\"Catch\":[{\"ErrorEquals\":[\"States.ALL\"],\"Next\":\"F\"}],"
           "\"Next\":\"C%zu\"}",
        g, g);
}

static void gen_choice(buf *b, size_t g, const char *after)
{
    put(b, ",\"C%zu\":{\"Type\":\"Choice\",\"Choices\":["
           "{\"Variable\":\"$.n\",\"NumericLessThan\":9,\"Next\":\"M%zu\"}],"
           "\"Default\":\"%s\"}",
        g, g, after);
}

static void gen_map(buf *b, size_t g, const char *after)
{
    put(b, ",\"M%zu\":{\"Type\":\"Map\",\"ItemProcessor\":{"
           "\"StartAt\":\"I%zu\",\"States\":{"
           "\"I%zu\":{\"Type\":\"Pass\",\"End\":true}}},"
           "\"Next\":\"%s\"}",
        g, g, g, after);
}

/* Groups of Task -> Choice -> Map(Pass) (4 states), padded with Pass states
 * in front so the total is exactly n, ending in Succeed; every Task catches
 * into one shared Fail state. */
static void gen_mixed(buf *b, size_t n)
{
    size_t groups = n >= 6 ? (n - 2) / 4 : 1;
    size_t pad = n > groups * 4 + 2 ? n - groups * 4 - 2 : 0;
    put(b, "{\"StartAt\":\"%s\",\"States\":{", pad ? "X0" : "T0");
    for (size_t i = 0; i < pad; i++) {
        put(b, "\"X%zu\":{\"Type\":\"Pass\",\"Next\":", i);
        if (i + 1 < pad)
            put(b, "\"X%zu\"},", i + 1);
        else
            put(b, "\"T0\"},");
    }
    for (size_t g = 0; g < groups; g++) {
        char after[32];
        if (g + 1 < groups)
            snprintf(after, sizeof after, "T%zu", g + 1);
        else
            snprintf(after, sizeof after, "D");
        if (g)
            put(b, ",");
        gen_task(b, g);
        gen_choice(b, g, after);
        gen_map(b, g, after);
    }
    put(b, ",\"D\":{\"Type\":\"Succeed\"},"
           "\"F\":{\"Type\":\"Fail\",\"Error\":\"Bench.Failed\"}}}");
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void print_diags(const char *label, const sfn_diags *d)
{
    fprintf(stderr, "%s: the generated definition does not compile:\n",
            label);
    for (size_t i = 0; i < d->count && i < 10; i++)
        fprintf(stderr, "  %s: %s: %s\n", d->items[i].location,
                d->items[i].code, d->items[i].message);
}

static double median_of(double *ms, int runs)
{
    qsort(ms, (size_t)runs, sizeof *ms, cmp_double);
    return runs % 2 ? ms[runs / 2] : (ms[runs / 2 - 1] + ms[runs / 2]) / 2;
}

/* Median ms of only parsing the text as the compiler does, to show how much
 * of a compile is JSON parsing; negative on failure. */
static double parse_median(const buf *b, double *ms, int runs)
{
    for (int r = 0; r < runs; r++) {
        json_error_t e;
        double t0 = now_ms();
        json_t *v = sfn_json_loadb(b->data, b->len,
                                   JSON_DECODE_ANY | JSON_REJECT_DUPLICATES |
                                       JSON_ALLOW_NUL,
                                   &e);
        ms[r] = now_ms() - t0;
        if (!v)
            return -1;
        json_decref(v);
    }
    return median_of(ms, runs);
}

/* Compiles `b` `runs` times; prints the figures and stores min and median
 * ms in out[0], out[1].  Returns -1 when the definition does not compile. */
static int bench_one(const char *label, const buf *b, int runs, double *out)
{
    double *ms = calloc((size_t)runs, sizeof *ms);
    if (!ms)
        return -1;
    size_t states = 0;
    for (int r = 0; r < runs; r++) {
        sfn_diags d;
        sfn_diags_init(&d);
        sfn_graph *g = NULL;
        sfn_asl_opts opts = {0};
        double t0 = now_ms();
        sfn_rc rc = sfn_asl_compile_text(b->data, b->len, &opts, &d, &g);
        ms[r] = now_ms() - t0;
        if (rc != SFN_OK) {
            print_diags(label, &d);
            sfn_diags_free(&d);
            free(ms);
            return -1;
        }
        states = g->n_states_total;
        sfn_graph_unref(g);
        sfn_diags_free(&d);
    }
    double median = median_of(ms, runs), min = ms[0];
    out[0] = min;
    out[1] = median;
    double parse = parse_median(b, ms, runs);
    printf("%-11s %6zu states %8zu bytes  min %7.2f ms  median %7.2f ms  "
           "%8.0f states/s  (JSON parse alone: median %.2f ms)\n",
           label, states, b->len, min, median,
           median > 0 ? (double)states / (median / 1e3) : 0.0, parse);
    free(ms);
    return 0;
}

static int parse_count(const char *s, long max, long *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v < 1 || v > max)
        return -1;
    *out = v;
    return 0;
}

int main(int argc, char **argv)
{
    long runs = 15, states = 10000;
    for (int i = 1; i < argc; i++) {
        int ok = i + 1 < argc;
        if (ok && !strcmp(argv[i], "--runs"))
            ok = parse_count(argv[++i], 100000, &runs) == 0;
        else if (ok && !strcmp(argv[i], "--states"))
            ok = parse_count(argv[++i], 1000000, &states) == 0;
        else
            ok = 0;
        if (!ok) {
            fprintf(stderr, "usage: bench_compile [--runs N] [--states N]\n"
                            "  (bad or incomplete argument '%s')\n",
                    argv[i]);
            return 2;
        }
    }
    buf chain = {0}, mixed = {0};
    gen_pass_chain(&chain, (size_t)states);
    gen_mixed(&mixed, (size_t)states);
    int status = 0;
    if (chain.failed || mixed.failed) {
        fprintf(stderr, "bench_compile: out of memory generating input\n");
        status = 2;
        goto out;
    }
    printf("compiling each definition %ld times\n", runs);
    double a[2], b[2];
    if (bench_one("pass-chain", &chain, (int)runs, a) < 0 ||
        bench_one("mixed", &mixed, (int)runs, b) < 0) {
        status = 1;
        goto out;
    }
    /* On a shared machine the median carries other people's load; the min
     * is the compiler's own cost.  Both are shown, scaled to 10,000. */
    double scale = 10000.0 / (double)states;
    double worst_min = (a[0] > b[0] ? a[0] : b[0]) * scale;
    double worst_median = (a[1] > b[1] ? a[1] : b[1]) * scale;
    printf("slowest definition per 10,000 states: min %.2f ms, median %.2f "
           "ms (target < %.0f ms): %s\n",
           worst_min, worst_median, TARGET_MS,
           worst_median < TARGET_MS ? "met"
           : worst_min < TARGET_MS  ? "met by min, not by median"
                                    : "NOT met");
out:
    free(chain.data);
    free(mixed.data);
    return status;
}

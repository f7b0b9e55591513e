/* bench_jsonata.c: evaluation speed of the JSONata engine on expressions
 * typical of ASL JSONata states, with the bindings a state sees ($states
 * with input and context).  bench/jsonata_peer/jsonata_bench.mjs runs the
 * same expressions on the same inputs with the reference JavaScript
 * implementation (npm jsonata 2.0.6) and prints both side by side.
 * Usage: bench_jsonata [--ms N]  (time per measurement, default 500)
 * Prints one line per expression and a final `json: {...}` line. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sfn_jsonata.h"

typedef struct bench_case {
    const char *key;  /* name in the json line (same in the peer script)   */
    const char *expr;
} bench_case;

/* Keep in step with CASES in jsonata_peer/jsonata_bench.mjs. */
static const bench_case CASES[] = {
    {"field", "$states.input.order.total"},
    {"sum_10k", "$sum($states.input.values)"},
    {"map_lambda",
     "$map($states.input.items, function($v) { $v.price * $v.qty })"},
    {"transform", "$states.input ~> |order|{'paid': true}|"},
    {"filter_count", "$count($states.input.items[price > 50 and qty > 2])"},
};

/* The input every expression reads, as $states.input: an order, 10,000
 * numbers and 100 line items (same generator as the peer script). */
static json_t *make_input(void)
{
    json_t *values = json_array(), *items = json_array();
    for (int i = 0; i < 10000; i++)
        json_array_append_new(values, json_real(i % 100 + 0.5));
    for (int i = 0; i < 100; i++) {
        char sku[16];
        snprintf(sku, sizeof sku, "SKU-%d", i);
        json_array_append_new(items,
                              json_pack("{s:s,s:i,s:i}", "sku", sku, "price",
                                        i % 90 + 1, "qty", i % 5 + 1));
    }
    return json_pack("{s:{s:s,s:f,s:{s:s}},s:o,s:o}", "order", "id", "A-1",
                     "total", 99.5, "customer", "name", "Ann", "values",
                     values, "items", items);
}

static json_t *make_bindings(json_t *input)
{
    json_t *ctx = json_pack(
        "{s:{s:s,s:s},s:{s:s,s:s}}", "Execution", "Id",
        "arn:aws:states:us-east-1:123456789012:execution:m:run", "StartTime",
        "2024-01-01T00:00:00.000Z", "State", "Name", "S", "EnteredTime",
        "2024-01-01T00:00:00.000Z");
    return json_pack("{s:{s:O,s:o}}", "states", "input", input, "context",
                     ctx);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Evaluations per second over at least `ms` milliseconds; < 0 on an
 * evaluation error (printed). */
static double measure(const sfn_jsonata *e, json_t *bindings, int ms)
{
    sfn_jsonata_opts o;
    memset(&o, 0, sizeof o);
    o.aws_functions = true;
    long n = 0;
    long batch = 1;
    double start = now_s(), elapsed = 0;
    while (elapsed * 1000.0 < ms) {
        for (long i = 0; i < batch; i++) {
            json_t *out = NULL;
            sfn_error err;
            if (sfn_jsonata_eval(e, NULL, bindings, &o, &out, &err) !=
                SFN_OK) {
                fprintf(stderr, "evaluation failed: %s: %s\n", err.name,
                        err.cause);
                return -1;
            }
            json_decref(out);
        }
        n += batch;
        if (batch < 1 << 20)
            batch *= 2;
        elapsed = now_s() - start;
    }
    return (double)n / elapsed;
}

int main(int argc, char **argv)
{
    int ms = 500;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--ms") && i + 1 < argc) {
            ms = atoi(argv[++i]);
        } else {
            fprintf(stderr, "usage: bench_jsonata [--ms N]\n");
            return 2;
        }
    }
    if (ms < 1) {
        fprintf(stderr, "bench_jsonata: --ms must be a positive integer\n");
        return 2;
    }
    json_t *input = make_input();
    json_t *bindings = input ? make_bindings(input) : NULL;
    if (!bindings) {
        fprintf(stderr, "bench_jsonata: out of memory\n");
        return 1;
    }
    json_t *figures = json_object();
    int rc = 0;
    printf("stepd JSONata, evaluations/s (best of 3 x %d ms)\n", ms);
    for (size_t k = 0; k < sizeof CASES / sizeof *CASES; k++) {
        sfn_jsonata *e = NULL;
        sfn_error err;
        if (sfn_jsonata_compile(CASES[k].expr, strlen(CASES[k].expr), &e,
                                &err) != SFN_OK) {
            fprintf(stderr, "%s: does not compile: %s: %s\n", CASES[k].key,
                    err.name, err.cause);
            rc = 1;
            continue;
        }
        double best = -1;
        for (int r = 0; r < 3; r++) {
            double v = measure(e, bindings, ms);
            if (v < 0) {
                rc = 1;
                break;
            }
            if (v > best)
                best = v;
        }
        sfn_jsonata_free(e);
        printf("  %-13s %12.0f  %s\n", CASES[k].key, best, CASES[k].expr);
        json_object_set_new(figures, CASES[k].key, json_real(best));
    }
    char *line = json_dumps(figures, JSON_COMPACT | JSON_PRESERVE_ORDER);
    printf("json: %s\n", line ? line : "{}");
    free(line);
    json_decref(figures);
    json_decref(bindings);
    json_decref(input);
    return rc;
}

/* fuzz_template.c: libFuzzer target for payload templates.  The input is a
 * JSON template; it is placed in a one-state machine as Parameters, Assign,
 * a Map's ItemSelector, a Parallel's ResultSelector or a JSONata Output,
 * compiled, and run in memory against the fixed input of fuzz_env.h. */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_env.h"
#include "sfn_asl.h"
#include "sfn_json.h"
#include "sfn_runner.h"

int fuzz_template_one(const uint8_t *data, size_t size);

/* Where the template goes; the input size picks one, so a run covers them
 * all without compiling every input five times. */
enum { TPL_PARAMETERS, TPL_ASSIGN, TPL_ITEM_SELECTOR, TPL_RESULT_SELECTOR,
       TPL_JSONATA_OUTPUT, TPL_PLACES };

static json_t *tpl_pass(void)
{
    return json_pack("{s:s,s:b}", "Type", "Pass", "End", 1);
}

/* The one state holding tpl (stolen), or NULL when out of memory. */
static json_t *tpl_state(int place, json_t *tpl)
{
    json_t *st = NULL;
    switch (place) {
    case TPL_PARAMETERS:
        st = json_pack("{s:s,s:b,s:O}", "Type", "Pass", "End", 1,
                       "Parameters", tpl);
        break;
    case TPL_ASSIGN:
        st = json_pack("{s:s,s:b,s:O}", "Type", "Pass", "End", 1, "Assign",
                       tpl);
        break;
    case TPL_ITEM_SELECTOR:
        st = json_pack("{s:s,s:b,s:s,s:O,s:{s:s,s:{s:o}}}", "Type", "Map",
                       "End", 1, "ItemsPath", "$.items", "ItemSelector", tpl,
                       "ItemProcessor", "StartAt", "P", "States", "P",
                       tpl_pass());
        break;
    case TPL_RESULT_SELECTOR:
        st = json_pack("{s:s,s:b,s:O,s:[{s:s,s:{s:o}}]}", "Type", "Parallel",
                       "End", 1, "ResultSelector", tpl, "Branches", "StartAt",
                       "P", "States", "P", tpl_pass());
        break;
    default:
        st = json_pack("{s:s,s:s,s:b,s:O}", "Type", "Pass", "QueryLanguage",
                       "JSONata", "End", 1, "Output", tpl);
        break;
    }
    json_decref(tpl);
    return st;
}

static void run_graph(sfn_graph *g)
{
    sfn_expr_env env;
    unsigned long long seed;
    fuzz_env_init(&env, &seed);
    /* the machine has at most a few states: a bound on transitions keeps a
     * surprising graph from running long */
    sfn_run_opts opts = {.machine_name = "m", .exec_name = "e",
                         .max_transitions = 1000};
    sfn_run_result res;
    (void)sfn_run_memory(g, env.input, &opts, &res);
    sfn_run_result_free(&res);
}

int fuzz_template_one(const uint8_t *data, size_t size)
{
    json_error_t je;
    json_t *tpl = sfn_json_loadb((const char *)data, size, JSON_DECODE_ANY,
                                 &je);
    if (!tpl)
        return 0;
    json_t *def = json_pack("{s:s,s:{s:o*}}", "StartAt", "S", "States", "S",
                            tpl_state((int)(size % TPL_PLACES), tpl));
    if (!def)
        return 0;
    sfn_diags d;
    sfn_diags_init(&d);
    sfn_graph *g = NULL;
    sfn_asl_opts opts = {.warnings = false};
    if (sfn_asl_compile(def, &opts, &d, &g) == SFN_OK)
        run_graph(g);
    sfn_graph_unref(g);
    sfn_diags_free(&d);
    json_decref(def);
    return 0;
}

#ifndef FUZZ_NO_ENTRY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_template_one(data, size);
}
#endif

/* fuzz_env.h: the fixed evaluation environment the expression fuzz targets
 * evaluate against: an input document, a context object, two workflow
 * variables and a deterministic random source.  Built once per process. */
#ifndef SFN_FUZZ_ENV_H
#define SFN_FUZZ_ENV_H

#include <string.h>

#include "sfn_jsonpath.h"

static const char fuzz_input_text[] =
    "{\"a\":{\"b\":[1,2,{\"c\":\"x\"}],\"d\":null},\"s\":\"hello world\","
    "\"n\":42,\"f\":1.5,\"t\":true,\"arr\":[3,1,2,3],\"empty\":{},"
    "\"items\":[{\"id\":1,\"price\":9.5,\"tags\":[\"a\"]},"
    "{\"id\":2,\"price\":20,\"tags\":[]}],\"k e y\":{\"x'y\":\"q\"},"
    "\"json\":\"{\\\"p\\\":[1,2]}\",\"b64\":\"aGVsbG8=\"}";

static const char fuzz_context_text[] =
    "{\"Execution\":{\"Id\":\"arn:aws:states:us-east-1:123456789012:"
    "execution:m:e\",\"Input\":{\"a\":1},\"Name\":\"e\",\"StartTime\":"
    "\"2024-01-01T00:00:00.000Z\",\"RedriveCount\":0},"
    "\"State\":{\"Name\":\"S\",\"EnteredTime\":\"2024-01-01T00:00:01.000Z\","
    "\"RetryCount\":0},\"StateMachine\":{\"Id\":\"arn:m\",\"Name\":\"m\"},"
    "\"Task\":{\"Token\":\"tok\"},\"Map\":{\"Item\":{\"Index\":1,"
    "\"Value\":{\"v\":[1,2]}}}}";

static json_t *fuzz_input, *fuzz_context, *fuzz_var_x, *fuzz_var_list;

static json_t *fuzz_lookup_var(void *ud, const char *name)
{
    (void)ud;
    if (!strcmp(name, "x"))
        return fuzz_var_x;
    if (!strcmp(name, "list"))
        return fuzz_var_list;
    return NULL;
}

static unsigned long long fuzz_rand64(void *ud)
{
    unsigned long long *s = ud;
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Fills env; the documents live for the whole process. */
static void fuzz_env_init(sfn_expr_env *env, unsigned long long *seed)
{
    if (!fuzz_input) {
        fuzz_input = json_loads(fuzz_input_text, 0, NULL);
        fuzz_context = json_loads(fuzz_context_text, 0, NULL);
        fuzz_var_x = json_pack("{s:i,s:[s,s]}", "n", 7, "l", "p", "q");
        fuzz_var_list = json_pack("[i,i,i]", 1, 2, 3);
    }
    *seed = 0x9E3779B97F4A7C15ull;
    env->input = fuzz_input;
    env->context = fuzz_context;
    env->lookup_var = fuzz_lookup_var;
    env->ud = seed;
    env->rand64 = fuzz_rand64;
}

#endif

/* fuzz_jsonpath.c: libFuzzer target for JSONPath.  The input is a path
 * text; it is compiled with every combination of the four compile flags,
 * and each compiled path is queried, evaluated against a fixed document
 * and, for ResultPath-style paths, used to write a value. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_env.h"
#include "sfn_jsonpath.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void exercise(const sfn_jsonpath *p, unsigned flags,
                     const sfn_expr_env *env)
{
    (void)sfn_jsonpath_text(p);
    (void)sfn_jsonpath_root(p);
    (void)sfn_jsonpath_variable(p);
    (void)sfn_jsonpath_is_definite(p);
    (void)sfn_jsonpath_is_root(p);
    json_t *out = NULL;
    sfn_error err;
    if (sfn_jsonpath_eval(p, env, &out, &err) == SFN_OK)
        json_decref(out);
    if (flags & SFN_JP_RESULT) {
        json_t *value = json_string("v"), *doc = NULL;
        if (sfn_jsonpath_set(p, env->input, value, &doc, &err) == SFN_OK)
            json_decref(doc);
        json_decref(value);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    sfn_expr_env env;
    unsigned long long seed;
    fuzz_env_init(&env, &seed);
    for (unsigned flags = 0; flags < 16; flags++) {
        sfn_jsonpath *p = NULL;
        sfn_error err;
        if (sfn_jsonpath_compile(text, flags, &p, &err) != SFN_OK)
            continue;
        exercise(p, flags, &env);
        sfn_jsonpath_free(p);
    }
    free(text);
    return 0;
}

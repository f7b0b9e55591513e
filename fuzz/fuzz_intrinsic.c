/* fuzz_intrinsic.c: libFuzzer target for intrinsic functions.  The input is
 * a call text (`States.Format('{}', $.a)` ...); a call that compiles is
 * walked for its paths and evaluated against a fixed environment with a
 * deterministic random source. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_env.h"
#include "sfn_intrinsic.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void count_path(const sfn_jsonpath *p, void *ud)
{
    (void)sfn_jsonpath_text(p);
    (*(size_t *)ud)++;
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
    (void)sfn_intrinsic_is_call(text);
    sfn_intrinsic *fn = NULL;
    sfn_error err;
    if (sfn_intrinsic_compile(text, &fn, &err) == SFN_OK) {
        size_t paths = 0;
        sfn_intrinsic_foreach_path(fn, count_path, &paths);
        json_t *out = NULL;
        if (sfn_intrinsic_eval(fn, &env, &out, &err) == SFN_OK)
            json_decref(out);
        sfn_intrinsic_free(fn);
    }
    free(text);
    return 0;
}

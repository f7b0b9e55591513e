/* fuzz_asl_compile.c: libFuzzer target for the ASL compiler.  The input
 * bytes are a definition text; whatever it is, compiling must not crash,
 * leak or read outside the buffer.  A definition that compiles is also
 * rendered (DOT and Mermaid) and its diagnostics turned into JSON, so those
 * paths see the same inputs. */
#include <stdint.h>
#include <stdlib.h>

#include "sfn_asl.h"
#include "sfn_asl_render.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void render_all(const sfn_graph *g)
{
    for (int f = SFN_RENDER_DOT; f <= SFN_RENDER_MERMAID; f++) {
        char *text = NULL;
        sfn_error err;
        if (sfn_asl_render(g, (sfn_render_fmt)f, &text, NULL, &err) == SFN_OK)
            free(text);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sfn_diags d;
    sfn_diags_init(&d);
    sfn_graph *g = NULL;
    /* both option sets matter; the size parity picks one per input so a
     * run covers both without compiling every input twice */
    sfn_asl_opts opts = {.warnings = true, .strict_asl = (size & 1) != 0};
    if (sfn_asl_compile_text((const char *)data, size, &opts, &d, &g) ==
        SFN_OK)
        render_all(g);
    json_t *j = sfn_diags_to_json(&d, 1);
    json_decref(j);
    sfn_graph_unref(g);
    sfn_diags_free(&d);
    return 0;
}

/* jsonata_pending.c: the JSONata evaluator is not part of this build yet:
 * compile-time preparation is a no-op and evaluation reports that. */
#include "jsonata_ast.h"

sfn_rc sfn__jsonata_prepare(sfn_jsonata *e, sfn_error *err)
{
    (void)e;
    (void)err;
    return SFN_OK;
}

void sfn__jsonata_release(sfn_jsonata *e) { (void)e; }

sfn_rc sfn_jsonata_eval(const sfn_jsonata *e, json_t *input, json_t *bindings,
                        const sfn_jsonata_opts *opts, json_t **out,
                        sfn_error *err)
{
    (void)e;
    (void)input;
    (void)bindings;
    (void)opts;
    (void)out;
    return sfn_error_set(err, SFN_EUNSUPPORTED, "U0000", -1,
                         "JSONata evaluation is not available in this build");
}

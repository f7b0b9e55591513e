/* asl_lower_internal.h: what the two files of `stepd lower` share: the
 * context (diagnostics, names and variables in use) and the rewriting of a
 * compensation's payload from its {"input","result","error"} input to the
 * workflow variables the lowered definition keeps them in.  Not part of the
 * public contract (see sfn_asl_lower.h). */
#ifndef ASL_LOWER_INTERNAL_H
#define ASL_LOWER_INTERNAL_H

#include <stdbool.h>

#include "sfn_asl.h"

#define LOWER_CODE "CANNOT_LOWER"

typedef struct lower_ctx {
    sfn_diags *diags;
    const sfn_graph *g;
    json_t *names;   /* every state name in use -> true                    */
    json_t *vars;    /* every workflow variable name in use -> true         */
    bool bad;        /* a CANNOT_LOWER diagnostic was added                 */
    bool oom;
} lower_ctx;

/* What a rewritten payload reads (bits). */
enum { LOWER_USES_INPUT = 1, LOWER_USES_RESULT = 2, LOWER_USES_ERROR = 4 };

/* The variables holding one step's compensation input. */
typedef struct lower_vars {
    const char *input, *result, *error;
} lower_vars;

void lower_diag(lower_ctx *lx, const char *ptr, const char *field,
                const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* A name not yet in `set`, built from base: base itself when free, else
 * base + sep + "2", "3"..., cut so the result has at most `max` characters
 * (UTF-8 aware); the name is added to the set.  Returns a malloc'd copy
 * (caller frees), NULL on ENOMEM (lx->oom set). */
char *lower_unique(lower_ctx *lx, json_t *set, const char *base, size_t max,
                   const char *sep);

/* The undo payload of a JSONPath compensation: `params` (NULL = absent, the
 * whole {"input","result","error"} object) with `$.input`, `$.result` and
 * `$.error` turned into the variables of v.  New reference, or NULL with a
 * diagnostic at ptr when a path cannot be rewritten.  *uses gets the bits
 * of what it reads. */
json_t *lower_rewrite_jsonpath(lower_ctx *lx, const json_t *params,
                               const char *ptr, const lower_vars *v,
                               unsigned *uses);

/* The same for a JSONata compensation's Arguments (NULL = absent):
 * `$states.input` in every {% %} expression becomes the object built from
 * the variables.  New reference; NULL with a diagnostic on failure. */
json_t *lower_rewrite_jsonata(lower_ctx *lx, const json_t *args,
                              const lower_vars *v, unsigned *uses);

/* Names the first thing in v (any JSON, a Task's InputPath / Parameters /
 * Arguments) whose value depends on the state evaluating it ($$.State,
 * $$.Task, a random or clock function), or NULL when there is none. */
const char *lower_state_dependent(const json_t *v, sfn_ql ql);

#endif

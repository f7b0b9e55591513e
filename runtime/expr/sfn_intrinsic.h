/* sfn_intrinsic.h: ASL intrinsic functions (`States.Format(...)` and the
 * other 17).  A call string is compiled once into a call tree (arguments:
 * literals, JSONPath paths, nested calls) with every static check done
 * (known function, arity, literal argument types, nesting <= 10), then
 * evaluated many times.  Pure: no I/O beyond the env's random source.
 *
 * Ownership: compiled calls owned by the caller (sfn_intrinsic_free); json_t
 * arguments borrowed; results new references. */
#ifndef SFN_INTRINSIC_H
#define SFN_INTRINSIC_H

#include <jansson.h>
#include <stdbool.h>

#include "sfn_err.h"
#include "sfn_jsonpath.h"

#define SFN_INTRINSIC_DEPTH_MAX 10

typedef struct sfn_intrinsic sfn_intrinsic;

/* True when text looks like an intrinsic call (starts with "States." after
 * optional whitespace); used to choose between path and intrinsic. */
bool sfn_intrinsic_is_call(const char *text);

/* Parses and statically checks `text`.  Failures: SFN_ESYNTAX (bad syntax,
 * unknown function, wrong arity or literal argument type, nesting too deep),
 * with err->cause naming the function/argument and err->offset the byte. */
sfn_rc sfn_intrinsic_compile(const char *text, sfn_intrinsic **out,
                             sfn_error *err);
void sfn_intrinsic_free(sfn_intrinsic *fn);

/* Evaluates the call.  Errors: a path argument that does not resolve gives
 * SFN_ENOTFOUND with err->name "States.Runtime"; a bad argument value at run
 * time gives SFN_ERUNTIME with err->name "States.IntrinsicFailure". */
sfn_rc sfn_intrinsic_eval(const sfn_intrinsic *fn, const sfn_expr_env *env,
                          json_t **out, sfn_error *err);

/* Calls `cb` for each JSONPath argument (nested calls included), so callers
 * can learn which variables / context fields a call references. */
void sfn_intrinsic_foreach_path(const sfn_intrinsic *fn,
                                void (*cb)(const sfn_jsonpath *p, void *ud),
                                void *ud);

#endif

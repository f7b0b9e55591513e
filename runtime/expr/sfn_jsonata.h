/* sfn_jsonata.h: the JSONata query language (version 2.0.6 as AWS Step
 * Functions pins it).  This header is the module's whole contract.  Today:
 * compile (lexer + parser into an immutable AST with every syntax error
 * reported); evaluation arrives with the JSONata issue.  No ASL knowledge.
 *
 * Ownership: compiled expressions owned by the caller (sfn_jsonata_free). */
#ifndef SFN_JSONATA_H
#define SFN_JSONATA_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sfn_err.h"

typedef struct sfn_jsonata sfn_jsonata;

/* Parses `len` bytes of `text`.  On a syntax error returns SFN_ESYNTAX with
 * err->name the JSONata error code ("S0201", ...), err->cause a message and
 * err->offset the byte where it was found.  *out untouched on failure.
 * Also: SFN_ELIMIT for text over 1 MiB, or (err->name "U1001") nesting
 * deeper than 1000 levels; SFN_EINVAL for NULL text (with len > 0) or out;
 * SFN_ENOMEM.  err may be NULL.  The JSONata 2.1 operators ?? and ?: are
 * rejected (S0211), as in Step Functions. */
sfn_rc sfn_jsonata_compile(const char *text, size_t len, sfn_jsonata **out,
                           sfn_error *err);
void sfn_jsonata_free(sfn_jsonata *e);

/* Compile flags. */
enum {
    /* Accept JSONata 2.1's `??` (coalescing: the left side when it is
     * defined, else the right) and `?:` (default: the left side when it is
     * truthy, else the right).  Off for ASL: Step Functions runs 2.0.6 and
     * rejects them. */
    SFN_JSONATA_V2_1 = 1u << 0
};

/* sfn_jsonata_compile with flags. */
sfn_rc sfn_jsonata_compile_ex(const char *text, size_t len, unsigned flags,
                              sfn_jsonata **out, sfn_error *err);

/* Names (without `$`) of the free variables the expression reads, i.e.
 * `$x` references not bound inside it by `:=`, lambda parameters or
 * function-name calls of built-ins.  Borrowed strings, valid while e is.
 * Unique, in first-reference order; `$` and `$$` are never listed, nor are
 * `@$x` / `#$x` path bindings.  A `$f(...)` call (or `~> $f`) of a built-in
 * name is not a variable; a bare `$string` is (it may be a user variable).
 * Used for variable-reference checks and DescribeStateMachine's
 * variableReferences. */
size_t sfn_jsonata_var_count(const sfn_jsonata *e);
const char *sfn_jsonata_var(const sfn_jsonata *e, size_t i);

/* ---- evaluation -------------------------------------------------------- */

/* Evaluation settings.  All optional: a zeroed struct is valid. */
typedef struct sfn_jsonata_opts {
    /* Step Functions' additions ($partition, $range, $hash, $random,
     * $uuid, $parse) are available and $eval is not, as on AWS. */
    bool aws_functions;
    int depth_max;        /* evaluation depth; 0 = 500                      */
    int64_t time_max_ms;  /* wall-clock budget; 0 = 10,000 ms               */
    int64_t now_ms;       /* $now()/$millis() value; 0 = real time, taken
                             once per evaluation as JSONata does           */
    /* random source for $random/$uuid/$shuffle; NULL = OpenSSL RAND */
    unsigned long long (*rand64)(void *ud);
    void *rand_ud;
} sfn_jsonata_opts;

/* Evaluates e against `input` (borrowed; NULL means "no input": `$` is
 * undefined, which is not the same as JSON null).  `bindings` (borrowed, an
 * object or NULL) binds variables: {"x": 1} makes `$x` 1.
 * On success returns SFN_OK and *out = the result (new reference), or
 * *out = NULL when the result is undefined.  On failure returns
 * SFN_ERUNTIME (or SFN_ELIMIT for the depth/time limits, SFN_ENOMEM) with
 * err->name the JSONata error code ("T2001", "D3001", "U1001" for depth,
 * "U1002" for time) and err->cause its message; err->offset the position in
 * the expression where known.  Thread-safe: e is not modified. */
sfn_rc sfn_jsonata_eval(const sfn_jsonata *e, json_t *input,
                        json_t *bindings, const sfn_jsonata_opts *opts,
                        json_t **out, sfn_error *err);

#endif

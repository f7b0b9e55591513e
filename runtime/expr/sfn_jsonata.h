/* sfn_jsonata.h: the JSONata query language (version 2.0.6 as AWS Step
 * Functions pins it).  This header is the module's whole contract.  Today:
 * compile (lexer + parser into an immutable AST with every syntax error
 * reported); evaluation arrives with the JSONata issue.  No ASL knowledge.
 *
 * Ownership: compiled expressions owned by the caller (sfn_jsonata_free). */
#ifndef SFN_JSONATA_H
#define SFN_JSONATA_H

#include <stddef.h>

#include "sfn_err.h"

typedef struct sfn_jsonata sfn_jsonata;

/* Parses `len` bytes of `text`.  On a syntax error returns SFN_ESYNTAX with
 * err->name the JSONata error code ("S0201", ...), err->cause a message and
 * err->offset the byte where it was found.  *out untouched on failure. */
sfn_rc sfn_jsonata_compile(const char *text, size_t len, sfn_jsonata **out,
                           sfn_error *err);
void sfn_jsonata_free(sfn_jsonata *e);

/* Names (without `$`) of the free variables the expression reads, i.e.
 * `$x` references not bound inside it by `:=`, lambda parameters or
 * function-name calls of built-ins.  Borrowed strings, valid while e is.
 * Used for variable-reference checks and DescribeStateMachine's
 * variableReferences. */
size_t sfn_jsonata_var_count(const sfn_jsonata *e);
const char *sfn_jsonata_var(const sfn_jsonata *e, size_t i);

#endif

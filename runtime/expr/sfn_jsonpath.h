/* sfn_jsonpath.h: JSONPath as ASL uses it (Paths, Reference Paths, ResultPath,
 * `$$` context paths and `$var` variable paths).  Compile once into an
 * immutable program, evaluate many times.  Pure: no I/O, no ASL knowledge
 * beyond the path flavours below, no global state.
 *
 * Ownership: compiled paths are owned by the caller (sfn_jsonpath_free);
 * json_t arguments are borrowed; json_t results are new references. */
#ifndef SFN_JSONPATH_H
#define SFN_JSONPATH_H

#include <jansson.h>
#include <stdbool.h>

#include "sfn_err.h"

typedef struct sfn_jsonpath sfn_jsonpath;

/* What a path is rooted at. */
typedef enum {
    SFN_JP_ROOT_INPUT = 0, /* `$...`   the document being processed      */
    SFN_JP_ROOT_CONTEXT,   /* `$$...`  the context object                  */
    SFN_JP_ROOT_VARIABLE   /* `$name...` a workflow variable               */
} sfn_jp_root;

/* Compile flags: which flavour of path the field accepts.  With none of the
 * REFERENCE/RESULT flags, any Path (wildcards, slices, unions, deep scan,
 * filters, length()) is accepted. */
enum {
    SFN_JP_ALLOW_CONTEXT = 1u << 0,  /* `$$` roots accepted                  */
    SFN_JP_ALLOW_VARIABLE = 1u << 1, /* `$name` roots accepted               */
    SFN_JP_REFERENCE = 1u << 2,      /* Reference Path: one node only       */
    SFN_JP_RESULT = 1u << 3          /* ResultPath: `$` + member/index chain
                                        that can be created; implies
                                        REFERENCE, forbids context/vars     */
};

/* Everything a path can be evaluated against.  All members borrowed; any may
 * be NULL (a path rooted there then fails with SFN_ENOTFOUND).
 * lookup_var returns a borrowed reference or NULL when unset. */
typedef struct sfn_expr_env {
    json_t *input;
    json_t *context;
    json_t *(*lookup_var)(void *ud, const char *name);
    void *ud;
    /* Random source for intrinsics (UUID, MathRandom without seed); NULL
     * means a cryptographically strong default. */
    unsigned long long (*rand64)(void *ud);
} sfn_expr_env;

/* Parses `text`.  On failure returns SFN_ESYNTAX (or SFN_ENOMEM) and sets
 * err->cause to a message naming the problem and err->offset to the byte
 * where it was found.  *out untouched on failure.
 *
 * Grammar (Jayway's, as AWS uses it): root `$`, `$$` or `$name`
 * ([A-Za-z_][A-Za-z0-9_]*); steps `.name`, `['name']`/`["name"]` (escapes
 * \' \" \\ \/ \b \f \n \r \t \uXXXX), `[n]`, `[-n]`, `[a,b]`
 * (indexes or quoted names, not mixed), `[start:end:step]` (Python
 * rules), `[*]`, `.*`, `..name`/`..*`/`..[...]`, `[?(expr)]`, and a final
 * `.length()`.  Filters: `@`/`$` paths, == != < <= > >=, && || ! and
 * parentheses, number/string/true/false/null literals, `[?(@.k)]` tests
 * existence.  Field-rule violations (flags) are also SFN_ESYNTAX, with the
 * offset of the offending step. */
sfn_rc sfn_jsonpath_compile(const char *text, unsigned flags,
                            sfn_jsonpath **out, sfn_error *err);
void sfn_jsonpath_free(sfn_jsonpath *p);

const char *sfn_jsonpath_text(const sfn_jsonpath *p); /* as compiled     */
sfn_jp_root sfn_jsonpath_root(const sfn_jsonpath *p);
/* Variable name for SFN_JP_ROOT_VARIABLE paths (without `$`), else NULL. */
const char *sfn_jsonpath_variable(const sfn_jsonpath *p);
/* True when the path can select at most one node (no wildcard, slice,
 * union, deep scan or filter). */
bool sfn_jsonpath_is_definite(const sfn_jsonpath *p);
/* True when the path is just its root (`$`, `$$`, `$name`). */
bool sfn_jsonpath_is_root(const sfn_jsonpath *p);

/* Evaluates against the root that the path names in env.
 * Definite path: *out = the selected node (new reference); no node is
 * SFN_ENOTFOUND with err->name "States.Runtime" and a cause naming the path.
 * Indefinite path: *out = array of the matches in document order (new);
 * [] when nothing matches (Jayway).  Deep scans list a node's matches before
 * its descendants'.  A filter tests each element of an array and each member
 * value of an object.  `length()` gives an array's size or a string's length
 * in code points (SFN_ETYPE, "States.Runtime", for anything else); after a
 * path starting with `$..` it gives one number, the count of the matches'
 * children, as Jayway rewrites `$..x.length()` to length($..x.*).
 * `$` inside a filter is the root the path is evaluated against.  An unset
 * variable or a NULL root in env is SFN_ENOTFOUND, "States.Runtime". */
sfn_rc sfn_jsonpath_eval(const sfn_jsonpath *p, const sfn_expr_env *env,
                         json_t **out, sfn_error *err);

/* ResultPath write: returns in *out a new document that is `doc` (borrowed,
 * not modified) with `value` (borrowed) placed at the path, creating missing
 * intermediate objects.  `$` returns value itself (new reference).  Fails with
 * SFN_ETYPE, err->name "States.ResultPathMatchFailure", when a node on the
 * way is not an object (or an index is out of range).
 * doc is deep-copied; value is shared (referenced, not copied), so neither
 * the result nor value may be mutated afterwards.  A path that is not `$`
 * plus member/index steps (compile with SFN_JP_RESULT) is SFN_EINVAL. */
sfn_rc sfn_jsonpath_set(const sfn_jsonpath *p, json_t *doc, json_t *value,
                        json_t **out, sfn_error *err);

#endif

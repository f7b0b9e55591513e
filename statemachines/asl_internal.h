/* asl_internal.h: what the files of the ASL compiler share: the compile
 * context (diagnostics sink, options, machine-wide name table), diagnostic
 * helpers and the per-concern entry points (states, Choice, templates,
 * variables, graph teardown).  Not part of the public contract. */
#ifndef ASL_INTERNAL_H
#define ASL_INTERNAL_H

#include <stdbool.h>

#include "sfn_asl.h"

/* Nesting bound for recursive walks over user JSON (templates, Choice
 * rules, blocks), equal to jansson's own parser depth so text input never
 * reaches it; only programmatically built definitions can. */
#define ASL_DEPTH_MAX 2048

/* Diagnostic codes (docs/diagnostics.md lists them all). */
#define ASL_SCHEMA "SCHEMA_VALIDATION_FAILED"
#define ASL_MISSING_TARGET "MISSING_TRANSITION_TARGET"
#define ASL_INVALID_JSON "INVALID_JSON_DESCRIPTION"
#define ASL_TOO_LARGE "DEFINITION_TOO_LARGE"
#define ASL_BAD_NAME "INVALID_STATE_NAME"
#define ASL_DUP_NAME "DUPLICATE_STATE_NAME"
#define ASL_UNREACHABLE "UNREACHABLE_STATE"
#define ASL_NO_TERMINAL "NO_TERMINAL_STATE"
#define ASL_ALL_NOT_ALONE "STATES_ALL_NOT_ALONE"
#define ASL_ALL_NOT_LAST "STATES_ALL_NOT_LAST"
#define ASL_BAD_PATH "INVALID_PATH"
#define ASL_BAD_INTRINSIC "INVALID_INTRINSIC"
#define ASL_BAD_JSONATA "INVALID_JSONATA"
#define ASL_DUP_KEY "DUPLICATE_TEMPLATE_KEY"
#define ASL_BAD_VAR "INVALID_VARIABLE_NAME"
#define ASL_VAR_SCOPE "VARIABLE_SCOPE_CONFLICT"
#define ASL_BAD_RESOURCE "INVALID_RESOURCE"
#define ASL_EXTENSION "STEPD_EXTENSION"
#define ASL_W_NO_DEFAULT "CHOICE_WITHOUT_DEFAULT"
#define ASL_W_NO_MAXCONC "MAP_WITHOUT_MAX_CONCURRENCY"
#define ASL_W_NO_RETRY "RETRIER_NEVER_RETRIES"
#define ASL_W_NO_TIMEOUT "TASK_WITHOUT_TIMEOUT"

typedef struct asl_ctx {
    sfn_diags *diags;
    const sfn_asl_opts *opts;
    sfn_graph *g;
    json_t *all_names; /* every state name machine-wide -> its pointer */
    bool oom;          /* an allocation failed: result is SFN_ENOMEM */
    int depth;         /* current nesting of blocks */
    size_t bad_edges;  /* transitions of the current block that could not
                          be resolved: reachability and terminal checks
                          would only repeat those problems */
} asl_ctx;

/* ---- diagnostics (asl_compile.c) ---- */
/* Error at base + "/" + field (field may be NULL for base itself). */
void asl_err(asl_ctx *c, const char *code, const char *base,
             const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
void asl_warn(asl_ctx *c, const char *code, const char *base,
              const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* base + "/" + token (malloc'd); on allocation failure marks c->oom and
 * returns a static "" so callers need no extra branch. */
char *asl_ptr(asl_ctx *c, const char *base, const char *token);
char *asl_ptr_index(asl_ctx *c, const char *base, size_t index);
void asl_ptr_free(char *p);
/* strdup that marks c->oom on failure (returns NULL then). */
char *asl_strdup(asl_ctx *c, const char *s);

/* Reports an unsupported member as AWS words it; the returned bool says
 * whether the key was acceptable. */
bool asl_check_known(asl_ctx *c, const json_t *obj, const char *ptr,
                     const char *const *allowed);
/* "These fields are required: [A, B]" for the absent ones; false if any. */
bool asl_check_required(asl_ctx *c, const json_t *obj, const char *ptr,
                        const char *const *required);
const char *asl_json_type_name(const json_t *v);
/* Compact JSON text of v for messages, truncated to fit buf. */
const char *asl_show(const json_t *v, char *buf, size_t size);
/* Number of UTF-8 characters (code points) in s[0..len). */
size_t asl_utf8_chars(const char *s, size_t len);

/* Compiles one States block (top level, branch or processor). */
sfn_rc asl_block_compile(asl_ctx *c, const json_t *obj, const char *ptr,
                         sfn_block *parent, const sfn_state *owner,
                         bool is_processor, sfn_block **out);

/* ---- states (asl_states.c, asl_map.c) ---- */
/* Fills st (already zeroed, name/pointer/raw set) from its JSON; resolves
 * transitions through `names` (name -> integer index of block b). */
void asl_state_compile(asl_ctx *c, sfn_block *b, const json_t *names,
                       sfn_state *st);
/* Resolves a transition target; -1 and a diagnostic when absent. */
int asl_resolve(asl_ctx *c, const json_t *names, const json_t *target,
                const char *base, const char *field);
void asl_map_compile(asl_ctx *c, sfn_block *b, sfn_state *st);
/* A Task's Resource checks (known integrations, Express patterns). */
void asl_task_resource(asl_ctx *c, const sfn_state *st, const char *r);
/* Retry / Catch shared by Task, Parallel, Map. */
void asl_retry_catch_compile(asl_ctx *c, const json_t *names, sfn_state *st);
/* Retry alone (a Compensation's, whose raw is the Compensation object). */
void asl_retry_compile(asl_ctx *c, sfn_state *st);

/* ---- stepd extensions (asl_compensation.c, docs/compensation.md) ---- */
/* In strict mode reports field of obj (at ptr) as a stepd extension and
 * returns true; otherwise returns false and the caller compiles it. */
bool asl_extension_rejected(asl_ctx *c, const char *ptr, const char *field);
/* Task "Compensation" and "PointOfNoReturn" (st already compiled). */
void asl_compensation_compile(asl_ctx *c, sfn_state *st);
/* Top-level "CompensationPolicy" into c->g. */
void asl_compensation_policy(asl_ctx *c, const json_t *def);
bool asl_is_jsonata_string(const json_t *v);
/* Static integer field (number) or JSONata "{% %}" string in JSONata
 * states; checks [min, max]. */
void asl_dyn_int(asl_ctx *c, const sfn_state *st, const char *field,
                 long long min, long long max, sfn_dyn_int *out);
/* The *Path variant: reference path into out->path. */
void asl_dyn_int_path(asl_ctx *c, const sfn_state *st, const char *field,
                      sfn_dyn_int *out);

/* ---- Choice (asl_choice.c) ---- */
void asl_choice_compile(asl_ctx *c, const json_t *names, sfn_state *st);
/* RFC 3339 with uppercase T and Z or a numeric offset. */
bool asl_timestamp_valid(const char *s);

/* ---- paths and templates (asl_template.c) ---- */
enum { ASL_PATH_ANY, ASL_PATH_REFERENCE, ASL_PATH_RESULT };
/* Compiles a JSONPath string field; diagnostic on failure (NULL). */
sfn_jsonpath *asl_path(asl_ctx *c, const char *text, int flavour,
                       const char *ptr, const char *field);
/* Path field that may also be null: sets *is_null.  Non-string/non-null
 * values get a type diagnostic. */
sfn_jsonpath *asl_path_or_null(asl_ctx *c, const json_t *v, int flavour,
                               const char *ptr, const char *field,
                               bool *is_null);
/* ErrorPath / CausePath: a reference path or an intrinsic call. */
void asl_path_or_intrinsic(asl_ctx *c, const json_t *v, const char *ptr,
                           const char *field, sfn_dyn_str *out);
/* JSONPath payload template at ptr (the value's own pointer). */
sfn_tpl *asl_tpl_jsonpath(asl_ctx *c, const json_t *v, const char *ptr);
/* JSONata template: "{% %}" strings anywhere, the rest literal. */
sfn_tpl *asl_tpl_jsonata(asl_ctx *c, const json_t *v, const char *ptr);
/* By language. */
sfn_tpl *asl_tpl(asl_ctx *c, sfn_ql ql, const json_t *v, const char *ptr);
/* A "{% %}" string compiled; NULL with a diagnostic on a syntax error. */
sfn_jsonata *asl_jsonata(asl_ctx *c, const char *text, const char *ptr);
void asl_tpl_free(sfn_tpl *t);

/* ---- variables (asl_vars.c) ---- */
/* Checks the keys of an Assign object at ptr and compiles it. */
sfn_tpl *asl_assign_compile(asl_ctx *c, sfn_ql ql, const json_t *v,
                            const char *ptr);
/* Machine-wide scope rules (7.6) over the compiled graph. */
void asl_vars_check_scopes(asl_ctx *c, const sfn_block *root);

/* ---- teardown (asl_graph.c) ---- */
void asl_block_free(sfn_block *b);
/* Everything a state owns (not the state itself); compensation included. */
void asl_state_free(sfn_state *st);
void asl_rule_free(sfn_rule *r);

#endif

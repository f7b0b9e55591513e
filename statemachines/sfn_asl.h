/* sfn_asl.h: the Amazon States Language compiler.  Parses a definition,
 * validates it (collecting every diagnostic, each with a JSON pointer) and
 * compiles it into an immutable graph: states resolved to indices, every
 * path, payload template, intrinsic call, JSONata expression and Choice rule
 * pre-compiled, so a definition that compiles cannot fail later for a syntax
 * reason.  No I/O.
 *
 * Threading: a compiled sfn_graph is read-only and may be shared between
 * threads; sfn_graph_ref/unref are atomic.
 * Ownership: see each function. */
#ifndef SFN_ASL_H
#define SFN_ASL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "sfn_diag.h"
#include "sfn_intrinsic.h"
#include "sfn_jsonata.h"
#include "sfn_jsonpath.h"

#define SFN_ASL_DEFINITION_MAX (1024 * 1024) /* characters, as AWS */
#define SFN_ASL_NAME_MAX 80

typedef enum { SFN_QL_JSONPATH = 0, SFN_QL_JSONATA = 1 } sfn_ql;

typedef enum {
    SFN_ST_PASS,
    SFN_ST_TASK,
    SFN_ST_CHOICE,
    SFN_ST_WAIT,
    SFN_ST_SUCCEED,
    SFN_ST_FAIL,
    SFN_ST_PARALLEL,
    SFN_ST_MAP
} sfn_state_type;

const char *sfn_state_type_name(sfn_state_type t); /* "Pass", "Task", ... */

/* A compiled value whose parts may be dynamic:
 *  - JSONPath payload template: objects whose keys end in ".$" hold a path,
 *    a `$$` path, a `$var` path or an intrinsic call;
 *  - JSONata template: any string that is exactly "{% expr %}";
 *  - otherwise a literal.
 * Evaluation belongs to the engine (runtime/). */
typedef enum {
    SFN_TPL_LITERAL,   /* json literal                                      */
    SFN_TPL_OBJECT,    /* object with at least one dynamic member           */
    SFN_TPL_ARRAY,     /* array with at least one dynamic element           */
    SFN_TPL_PATH,      /* ".$" value that is a path                         */
    SFN_TPL_INTRINSIC, /* ".$" value that is an intrinsic call              */
    SFN_TPL_JSONATA    /* "{% ... %}" string                                */
} sfn_tpl_kind;

typedef struct sfn_tpl sfn_tpl;
struct sfn_tpl {
    sfn_tpl_kind kind;
    json_t *literal;          /* LITERAL: the value (owned)                 */
    size_t count;             /* OBJECT / ARRAY: number of members          */
    char **keys;              /* OBJECT: output keys (".$" stripped)        */
    sfn_tpl **items;          /* OBJECT / ARRAY: member templates           */
    sfn_jsonpath *path;       /* PATH                                       */
    sfn_intrinsic *intrinsic; /* INTRINSIC                                  */
    sfn_jsonata *jsonata;     /* JSONATA                                    */
};

/* An integer field that may be static or dynamic (TimeoutSeconds /
 * TimeoutSecondsPath / JSONata "{% %}"). */
typedef struct sfn_dyn_int {
    bool set;
    long long value;      /* when static                                    */
    sfn_jsonpath *path;   /* JSONPath *Path variant, else NULL              */
    sfn_jsonata *jsonata; /* JSONata expression, else NULL                  */
} sfn_dyn_int;

/* Same for string-valued fields (Fail Error/Cause, Wait Timestamp). */
typedef struct sfn_dyn_str {
    bool set;
    const char *value;         /* static value (borrowed from definition)   */
    sfn_jsonpath *path;        /* ErrorPath / CausePath / TimestampPath     */
    sfn_intrinsic *intrinsic;  /* ErrorPath / CausePath may be intrinsics   */
    sfn_jsonata *jsonata;
} sfn_dyn_str;

typedef struct sfn_retrier {
    const char **errors; /* borrowed strings; n_errors >= 1                 */
    size_t n_errors;
    long long interval_s; /* default 1                                      */
    long long max_attempts; /* default 3                                    */
    double backoff_rate;    /* default 2.0                                  */
    long long max_delay_s;  /* 0 = none                                     */
    bool jitter_full;
} sfn_retrier;

typedef struct sfn_catcher {
    const char **errors;
    size_t n_errors;
    int next;                  /* state index in the same block            */
    bool result_path_null;     /* "ResultPath": null                        */
    sfn_jsonpath *result_path; /* NULL = `$`                                */
    sfn_tpl *output;           /* JSONata Output, or NULL                   */
    sfn_tpl *assign;           /* Assign, or NULL                           */
    bool compensate;           /* stepd extension "Compensate": true        */
} sfn_catcher;

typedef enum {
    SFN_RULE_AND,
    SFN_RULE_OR,
    SFN_RULE_NOT,
    SFN_RULE_COMPARE,  /* JSONPath Variable + operator                     */
    SFN_RULE_CONDITION /* JSONata Condition                                */
} sfn_rule_kind;

typedef enum {
    SFN_OP_STRING_EQ, SFN_OP_STRING_LT, SFN_OP_STRING_GT,
    SFN_OP_STRING_LE, SFN_OP_STRING_GE, SFN_OP_STRING_MATCHES,
    SFN_OP_NUMERIC_EQ, SFN_OP_NUMERIC_LT, SFN_OP_NUMERIC_GT,
    SFN_OP_NUMERIC_LE, SFN_OP_NUMERIC_GE,
    SFN_OP_BOOLEAN_EQ,
    SFN_OP_TIMESTAMP_EQ, SFN_OP_TIMESTAMP_LT, SFN_OP_TIMESTAMP_GT,
    SFN_OP_TIMESTAMP_LE, SFN_OP_TIMESTAMP_GE,
    SFN_OP_IS_NULL, SFN_OP_IS_PRESENT, SFN_OP_IS_NUMERIC, SFN_OP_IS_STRING,
    SFN_OP_IS_BOOLEAN, SFN_OP_IS_TIMESTAMP
} sfn_choice_op;

typedef struct sfn_rule sfn_rule;
struct sfn_rule {
    sfn_rule_kind kind;
    sfn_rule **children; /* AND / OR: n_children >= 1; NOT: exactly 1      */
    size_t n_children;
    sfn_choice_op op;        /* COMPARE                                     */
    sfn_jsonpath *variable;  /* COMPARE                                     */
    json_t *operand;         /* COMPARE with a literal (borrowed)           */
    sfn_jsonpath *operand_path; /* COMPARE with a ...Path operator          */
    sfn_jsonata *condition;  /* CONDITION                                   */
    bool condition_literal;  /* CONDITION given as a JSON boolean            */
    bool condition_value;
    /* top-level rules only: */
    int next;
    sfn_tpl *assign; /* JSONata rule Assign / Output, or NULL               */
    sfn_tpl *output;
};

typedef struct sfn_block sfn_block;
typedef struct sfn_state sfn_state;
typedef struct sfn_compensation sfn_compensation;

struct sfn_state {
    const char *name;     /* borrowed from the definition                   */
    char *pointer;        /* JSON pointer of the state ("/States/X")        */
    sfn_state_type type;
    sfn_ql ql;            /* effective query language                        */
    int next;             /* index in the block, -1 when terminal/none      */
    bool end;             /* "End": true, or Succeed/Fail                    */
    const json_t *raw;    /* the state's JSON (borrowed from the graph)      */

    /* JSONPath I/O; NULL path = default `$`, *_null = JSON null given */
    sfn_jsonpath *input_path, *output_path, *result_path;
    bool input_path_null, output_path_null, result_path_null;
    sfn_tpl *parameters;      /* Parameters (Pass/Task/Parallel; Map legacy) */
    sfn_tpl *result_selector;
    json_t *result;           /* Pass Result (borrowed)                      */
    /* JSONata I/O */
    sfn_tpl *arguments, *output;
    sfn_tpl *assign; /* both languages                                       */

    /* Task */
    const char *resource;
    sfn_dyn_int timeout_s, heartbeat_s;
    sfn_tpl *credentials;
    /* Task, Parallel, Map */
    sfn_retrier *retriers;
    size_t n_retriers;
    sfn_catcher *catchers;
    size_t n_catchers;

    /* Choice */
    sfn_rule **choices;
    size_t n_choices;
    int default_next; /* -1 when absent                                     */

    /* Wait */
    sfn_dyn_int seconds;
    sfn_dyn_str timestamp;

    /* Fail */
    sfn_dyn_str error, cause;

    /* Parallel */
    sfn_block **branches;
    size_t n_branches;

    /* Map */
    sfn_block *processor;       /* ItemProcessor or Iterator                  */
    bool distributed;           /* ProcessorConfig.Mode == DISTRIBUTED        */
    sfn_jsonpath *items_path;   /* NULL = `$`                                 */
    sfn_tpl *items;             /* JSONata Items                              */
    sfn_tpl *item_selector;     /* ItemSelector (or legacy Parameters)        */
    sfn_dyn_int max_concurrency;
    sfn_dyn_int tolerated_failure_count;
    sfn_dyn_int tolerated_failure_percentage; /* value in percent           */
    double tolerated_failure_percentage_static;
    const json_t *item_batcher; /* borrowed raw ItemBatcher, or NULL          */
    sfn_dyn_int max_items_per_batch, max_input_bytes_per_batch;
    sfn_tpl *batch_input;
    const json_t *item_reader, *result_writer; /* borrowed raw, or NULL     */
    const char *label;

    /* stepd extension (docs/compensation.md), Task only */
    sfn_compensation *compensation; /* NULL when none                        */
    bool point_of_no_return;
};

/* A Task's undo: compiled as a Task state of its own (type SFN_ST_TASK,
 * name "<State>/Compensation", pointer "<state pointer>/Compensation",
 * resource, parameters or arguments, retriers, timeout_s; next -1, no
 * catchers), so the engine dispatches it like any Task. */
struct sfn_compensation {
    sfn_state task;
    bool has_retry;          /* its own Retry was given                     */
    bool on_unknown_outcome; /* "OnUnknownOutcome": true                    */
};

typedef enum {
    SFN_COMP_REVERSE,  /* one at a time, reverse completion order (default) */
    SFN_COMP_PARALLEL
} sfn_comp_order;

struct sfn_block {
    sfn_state *states;
    size_t n_states;
    int start;          /* index of StartAt                                 */
    char *pointer;      /* "" for the top level, "/States/P/Branches/0" ... */
    sfn_block *parent;  /* NULL at top level                                */
    const sfn_state *owner; /* the Parallel / Map state, NULL at top level  */
    json_t *index;      /* state name -> integer index (owned); lookups by
                           name are O(1) through sfn_block_find            */
};

typedef struct sfn_graph sfn_graph;
struct sfn_graph {
    sfn_block *root;
    json_t *definition;  /* the parsed definition (owned); strings above
                            borrow from it                                  */
    sfn_ql ql;           /* top-level QueryLanguage                         */
    long long timeout_s; /* 0 = none                                        */
    const char *comment;
    size_t n_states_total;
    /* stepd extension CompensationPolicy (docs/compensation.md) */
    sfn_comp_order comp_order;
    long long comp_retry_for_s;  /* default 3600                            */
    bool comp_allow_redrive;     /* AllowRedriveAfterCompensation           */
    bool uses_compensation;      /* some Task declares a Compensation       */
    int refcount;        /* atomic; use sfn_graph_ref/unref                 */
};

/* Options for validation. */
typedef struct sfn_asl_opts {
    bool strict_asl;    /* reject stepd extensions (later issues)           */
    bool warnings;      /* also collect WARNING diagnostics                 */
    bool express;       /* EXPRESS machine: rejects the .sync and
                           .waitForTaskToken integration patterns, which
                           AWS refuses for Express workflows               */
} sfn_asl_opts;

/* Parses `len` bytes of JSON text and compiles it.  On success returns
 * SFN_OK and *out a graph with refcount 1 (caller owns).  On failure returns
 * SFN_EINVAL (or SFN_ENOMEM) with every problem in `diags` (which must be
 * initialised by the caller; diagnostics are appended).  Warnings may be
 * appended on success too.  Text that is not JSON yields one diagnostic
 * INVALID_JSON_DESCRIPTION naming line and column. */
sfn_rc sfn_asl_compile_text(const char *text, size_t len,
                            const sfn_asl_opts *opts, sfn_diags *diags,
                            sfn_graph **out);

/* Same from a parsed definition (borrowed; the graph takes its own ref). */
sfn_rc sfn_asl_compile(json_t *definition, const sfn_asl_opts *opts,
                       sfn_diags *diags, sfn_graph **out);

sfn_graph *sfn_graph_ref(sfn_graph *g);   /* returns g                      */
void sfn_graph_unref(sfn_graph *g);        /* frees at zero; NULL ok         */

/* The workflow variables each state reads ({"StateName": ["x", "y"]}, only
 * states that read some; names unique per state in first-seen order), as
 * DescribeStateMachine's variableReferences.  New reference. */
json_t *sfn_asl_variable_references(const sfn_graph *g);

/* Finds a state by name in a block; NULL when absent. */
const sfn_state *sfn_block_find(const sfn_block *b, const char *name);

#endif

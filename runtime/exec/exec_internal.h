/* exec_internal.h: what the executor's files share: the evaluation
 * environment of a state, data-flow helpers and event emission. */
#ifndef SFN_EXEC_INTERNAL_H
#define SFN_EXEC_INTERNAL_H

#include "sfn_exec.h"
#include "sfn_json.h"

/* Everything an expression in the current state can read.  `context` is
 * built on first use (owned); `map_index`/`map_value` are set while an
 * ItemSelector is evaluated.  JSONata mode: `ja_bindings` (owned) holds the
 * variables and `$states` the state's expressions see (exec_ja_begin);
 * `ja_where` names the field of the last failed JSONata evaluation, empty
 * when the last error did not come from one; `now_ms` is the step's time
 * ($now(); 0 = wall clock). */
typedef struct exec_env {
    sfn_execution *x;
    sfn_strand *s;
    const sfn_state *st;
    json_t *context;
    long map_index;
    json_t *map_value; /* borrowed */
    sfn_expr_env expr;
    json_t *ja_bindings;
    char ja_where[128];
    int64_t now_ms;
} exec_env;

void exec_env_init(exec_env *e, sfn_execution *x, sfn_strand *s,
                   json_t *input);
void exec_env_done(exec_env *e);
/* Points `$` at a different document (borrowed). */
void exec_env_set_input(exec_env *e, json_t *input);
/* The context object (`$$`, `$states.context`), built on first use;
 * borrowed, NULL on ENOMEM. */
json_t *exec_env_context(exec_env *e);

/* Template evaluation (Parameters, ResultSelector, ItemSelector, Assign):
 * new reference, NULL with err filled on failure. */
json_t *exec_tpl_eval(exec_env *e, const sfn_tpl *t, sfn_error *err);

/* InputPath / OutputPath: `$` when path is NULL, {} when is_null. */
json_t *exec_apply_path(exec_env *e, const sfn_jsonpath *p, bool is_null,
                        json_t *doc, sfn_error *err);
/* ResultPath: merges result into raw input; new reference. */
json_t *exec_apply_result_path(const sfn_jsonpath *p, bool is_null,
                               json_t *raw_input, json_t *result,
                               sfn_error *err);

/* Evaluates an Assign template against `doc` with the pre-state variable
 * snapshot and returns the object of new values (new reference). */
json_t *exec_assign_eval(exec_env *e, const sfn_tpl *assign, json_t *doc,
                         sfn_error *err);
/* Stores assigned values into the strand's scope. */
void exec_assign_apply(sfn_strand *s, json_t *values);

/* Map: the units iterated (items, or ItemBatcher batches) and one item's
 * ItemSelector input.  New references; NULL with err on failure. */
json_t *exec_map_units(exec_env *e, const sfn_state *st, json_t *eff,
                       sfn_error *err);
json_t *exec_map_item_input(exec_env *e, const sfn_state *st, json_t *eff,
                            json_t *items, size_t i, sfn_error *err);

/* Choice: index of the matching rule, -1 none; <-2 on error (err set). */
int exec_choice_select(exec_env *e, const sfn_state *st, json_t *input,
                       sfn_error *err);

/* RFC 3339 timestamp (uppercase T, Z or offset) to epoch ms. */
bool exec_parse_timestamp(const char *s, int64_t *ms);
/* Epoch ms -> "2019-03-26T20:14:13.192Z" into buf (>= 32 bytes). */
void exec_format_timestamp(int64_t ms, char *buf, size_t size);

/* Appends an event for strand s (prev = s->prev_event; s->prev_event
 * becomes the new id).  details: stolen.  Returns the event id. */
int64_t exec_emit(sfn_execution *x, sfn_strand *s, sfn_event_type t,
                  int64_t now_ms, json_t *details);
/* JSON text string of a value (new reference). */
json_t *exec_json_text(json_t *v);

/* ---- exec_jsonata.c: JSONata-mode expressions --------------------------
 * Every JSONata evaluation sees the bindings set by exec_ja_begin: the
 * visible workflow variables (the pre-state snapshot: assignments apply
 * when the state exits) and `states` = {input, context, result?,
 * errorOutput?}.  Failures fill err with States.QueryEvaluationError and
 * AWS's cause (without the state prefix, see exec_flow.h) and set
 * e->ja_where to the failing field ("Output/result"). */

/* (Re)binds $states for the next evaluations.  input, result and
 * error_output borrowed (result / error_output may be NULL).  false on
 * ENOMEM. */
bool exec_ja_begin(exec_env *e, json_t *input, json_t *result,
                   json_t *error_output);
/* Evaluates a JSONata template (literal, object/array with "{% %}" leaves,
 * or one expression).  field: the state field ("Output", "Assign",
 * "Items", ...) whose JSON in the definition is `raw` (borrowed, used for
 * the expression text in messages; may be NULL).  An undefined result
 * anywhere is an error.  New reference, NULL with err on failure. */
json_t *exec_ja_tpl(exec_env *e, const sfn_tpl *t, const json_t *raw,
                    const char *field, sfn_error *err);
/* One expression (Condition, Seconds, Error, ...): new reference, NULL
 * with err when it fails or is undefined.  raw as above. */
json_t *exec_ja_expr(exec_env *e, const sfn_jsonata *j, const json_t *raw,
                     const char *field, sfn_error *err);
/* Fills err with AWS's wrong-result-type wording for `field` ("Expected
 * '<want>', but was '<type>' for value: <json>").  raw may be NULL. */
void exec_ja_type_error(exec_env *e, const json_t *raw, const char *field,
                        const char *want, json_t *got, sfn_error *err);
/* JSON type name as AWS writes it: "object", "array", "string", ... */
const char *exec_ja_type_name(json_t *v);
/* Map `Items` (default $states.input) as an array; the error as AWS
 * words it otherwise.  New reference. */
json_t *exec_ja_items(exec_env *e, const sfn_state *st, json_t *input,
                      sfn_error *err);
/* Deterministic random numbers for an execution (retry jitter, $random,
 * $uuid): splitmix64 over x->rng. */
uint64_t exec_next_rand(sfn_execution *x);

/* ---- exec_core.c: strands and transitions ---- */
void exec_push_ready(sfn_execution *x, sfn_strand *s);
sfn_strand *exec_strand_new(sfn_execution *x, sfn_strand *parent,
                            const sfn_block *block, uint32_t index,
                            json_t *input);
void exec_strand_free(sfn_strand *s); /* NULL ok */
/* Sets quiet/isolated from the parent (a Distributed Map's children run as
 * child executions: their events and variables are their own). */
void exec_strand_scope(sfn_strand *s);
sfn_effect *exec_effect(sfn_execution *x, sfn_effect_kind kind,
                        sfn_strand *s);
/* {"<key>": text, "<key>Details": {"truncated": false}}: new reference. */
json_t *exec_data_details(const char *key, json_t *value);
/* Emits the Exited event and moves to `next` (-1: the strand ends with the
 * output).  output_new stolen; assigned (borrowed, may be NULL) is applied
 * to the variables after the event. */
void exec_exit_state(sfn_execution *x, sfn_strand *s, json_t *output_new,
                     json_t *assigned, int next, int64_t now);
void exec_finish(sfn_execution *x, sfn_exec_status st, json_t *output,
                 const char *error, const char *cause, int64_t now);
void exec_strand_succeed(sfn_execution *x, sfn_strand *s,
                         json_t *output_new, int64_t now);
void exec_strand_fail(sfn_execution *x, sfn_strand *s, const char *error,
                      const char *cause, int64_t now);

/* ---- exec_states.c: the work of each state type ---- */
void exec_state_work(sfn_execution *x, sfn_strand *s, int64_t now);
/* Bytes of v's compact JSON text. */
size_t exec_json_size(json_t *v);
/* The state's work produced `result` (borrowed): ResultSelector,
 * ResultPath, OutputPath / Output, Assign, then the transition. */
void exec_finish_work(sfn_execution *x, sfn_strand *s, json_t *result,
                      int64_t now);
/* An error raised by the state's work: Retry, then Catch, else the strand
 * fails. */
void exec_state_error(sfn_execution *x, sfn_strand *s, const char *error,
                      const char *cause, int64_t now);
/* A data-flow error (States.Runtime ends the execution). */
void exec_flow_error(sfn_execution *x, sfn_strand *s, exec_env *e,
                     const sfn_error *err, int64_t now);
/* JSONata $states before the work has a result; false (and the execution
 * failed) on ENOMEM. */
bool exec_ja_begin_input(sfn_execution *x, sfn_strand *s, exec_env *e,
                         int64_t now);

/* ---- exec_comp.c: compensation (docs/compensation.md) ---- */
void exec_comp_free(sfn_execution *x);
void exec_comp_redrive(sfn_execution *x);
/* A final compensation runs: normal strands do not advance. */
bool exec_comp_frozen(const sfn_execution *x);
/* Recording compensable steps (no-ops for Tasks without Compensation). */
void exec_comp_task_started(sfn_execution *x, sfn_strand *s, json_t *params);
void exec_comp_task_succeeded(sfn_execution *x, sfn_strand *s,
                              json_t *result);
void exec_comp_task_failed(sfn_execution *x, sfn_strand *s,
                           const char *error);
/* exec_finish asks first: true when a compensation run started instead
 * (it finishes the execution when it ends). */
bool exec_comp_intercept_finish(sfn_execution *x, sfn_exec_status status,
                                const char *error, const char *cause,
                                int64_t now);
/* Ends unfinished runs (the execution ends anyway: StopExecution). */
void exec_comp_abandon(sfn_execution *x, int64_t now);
/* A Catch with Compensate: true when a run started; the strand waits in
 * SFN_PH_COMPENSATING and exec_catch_resume continues it. */
bool exec_comp_catch(sfn_execution *x, sfn_strand *s, int catcher,
                     const char *error, const char *cause, int64_t now);
sfn_rc exec_comp_task_done(sfn_execution *x, uint32_t id, uint32_t attempt,
                           json_t *result, const char *error,
                           const char *cause, int64_t now);
sfn_rc exec_comp_timer(sfn_execution *x, uint32_t id, int64_t now);
void exec_comp_rearm(sfn_execution *x);
/* exec_states.c: takes catcher `i` of the strand's state for (error,
 * cause), as after a match. */
void exec_catch_resume(sfn_execution *x, sfn_strand *s, int i,
                       const char *error, const char *cause, int64_t now);
bool exec_error_matches(const char *err, const char **eq, size_t n);

/* ---- exec_task.c: Task states (requests, callbacks, activities) ---- */
void exec_task_work(sfn_execution *x, sfn_strand *s, exec_env *e,
                    int64_t now);
/* A timer of a strand in SFN_PH_TASK: heartbeat or TimeoutSeconds. */
void exec_task_timer(sfn_execution *x, sfn_strand *s, int64_t now);
/* Records the end of the strand's task token (closed tokens are drained
 * by the engine into the store); status is an SFN_TOKEN_* value. */
void exec_task_close_token(sfn_execution *x, sfn_strand *s, int status);
/* A Map iteration's first step: emits MapIterationStarted. */
void exec_iteration_begin(sfn_execution *x, sfn_strand *s, int64_t now);
void exec_timer_fired(sfn_execution *x, sfn_strand *s, int64_t now);
void exec_task_result(sfn_execution *x, sfn_strand *s, json_t *result,
                      const char *error, const char *cause, int64_t now);
void exec_child_done(sfn_execution *x, sfn_strand *parent,
                     sfn_strand *child, int64_t now);
/* Emits the *StateAborted / MapIterationAborted events of a strand that is
 * inside a state, and marks it done. */
void exec_strand_abort(sfn_execution *x, sfn_strand *s, int64_t now);

#endif

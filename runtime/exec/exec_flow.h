/* exec_flow.h: helpers shared by the executor's state and data-flow files
 * (exec_states.c, exec_dataflow.c, exec_choice.c) on top of exec_internal.h:
 * AWS's wording of run-time errors in a named field. */
#ifndef SFN_EXEC_FLOW_H
#define SFN_EXEC_FLOW_H

#include "exec_internal.h"

/* Fills err with States.Runtime worded as AWS words a path that selects
 * nothing in a named field: "The JSONPath '<p>' specified for the field
 * '<field>' could not be found in the input '<doc as JSON text>'".
 * doc borrowed, may be NULL. */
void exec_field_not_found(sfn_error *err, const sfn_jsonpath *p,
                          const char *field, json_t *doc);

/* ---- exec_fields.c: fields that may read the input ----------------------
 * Each returns false with err filled (States.Runtime worded as AWS words
 * it) when the value is missing or unusable.  `field` names the field in
 * messages ("SecondsPath", "MaxConcurrencyPath", ...); doc (borrowed) is
 * what a *Path is evaluated against.  A JSONata expression (d->jsonata) is
 * evaluated with e's bindings and reported under the field's JSONata name
 * ("Seconds"): States.QueryEvaluationError, e->ja_where set. */

/* A non-negative whole number of seconds: Wait Seconds(Path), Task
 * TimeoutSeconds(Path). */
bool exec_dyn_seconds(exec_env *e, const sfn_dyn_int *d, const char *field,
                      json_t *doc, long long *out, sfn_error *err);
/* A count >= 0 (MaxConcurrency, ToleratedFailureCount): an integer or a
 * string holding one. */
bool exec_dyn_count(exec_env *e, const sfn_dyn_int *d, const char *field,
                    json_t *doc, long long *out, sfn_error *err);
/* ToleratedFailurePercentage: a number from 0 to 100. */
bool exec_dyn_percent(exec_env *e, const sfn_dyn_int *d, double static_value,
                      const char *field, json_t *doc, double *out,
                      sfn_error *err);
/* Fail Error/ErrorPath, Cause/CausePath: *out malloc'd, NULL when unset;
 * paths read e's current input. */
bool exec_dyn_string(exec_env *e, const sfn_dyn_str *d, const char *field,
                     char **out, sfn_error *err);
/* Wait Timestamp/TimestampPath as epoch ms. */
bool exec_dyn_timestamp(exec_env *e, const sfn_dyn_str *d, json_t *doc,
                        int64_t *out, sfn_error *err);

#endif

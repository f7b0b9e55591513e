/* sfn_builtin.h: task resources built into stepd, so Retry, Catch and
 * timeouts can be exercised without a network:
 *   arn:stepd:task:echo   returns its input
 *   arn:stepd:task:fail   fails with the input's "Error" and "Cause"
 *                          (defaults "stepd.Failed" / no cause)
 *   arn:stepd:task:sleep  never answers by itself (for TimeoutSeconds)
 * Any other resource fails with States.TaskFailed naming the resource
 * until a binding for it exists. */
#ifndef SFN_BUILTIN_H
#define SFN_BUILTIN_H

#include <jansson.h>
#include <stdbool.h>

#include "sfn_tasks.h"

/* Whether resource (with or without a .waitForTaskToken suffix) is one. */
bool sfn_builtin_is(const char *resource);

/* Runs a built-in resource on `payload` (borrowed). */
void sfn_builtin_invoke(const char *resource, json_t *payload,
                        sfn_task_outcome *out);

#endif

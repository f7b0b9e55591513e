/* sfn_builtin.c: the built-in test resources (see sfn_builtin.h). */
#include "sfn_builtin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *str_member(json_t *o, const char *k)
{
    json_t *v = json_is_object(o) ? json_object_get(o, k) : NULL;
    return json_is_string(v) ? strdup(json_string_value(v)) : NULL;
}

void sfn_builtin_invoke(const char *resource, json_t *payload,
                        sfn_task_outcome *out)
{
    memset(out, 0, sizeof *out);
    if (!strcmp(resource, "arn:stepd:task:echo")) {
        out->result = json_incref(payload);
    } else if (!strcmp(resource, "arn:stepd:task:fail")) {
        out->error = str_member(payload, "Error");
        if (!out->error)
            out->error = strdup("stepd.Failed");
        out->cause = str_member(payload, "Cause");
    } else if (!strncmp(resource, "arn:stepd:task:sleep", 20)) {
        out->pending = true;
    } else {
        char buf[512];
        snprintf(buf, sizeof buf,
                 "No binding for resource '%s': stepd has no handler for it",
                 resource);
        out->error = strdup("States.TaskFailed");
        out->cause = strdup(buf);
    }
}

bool sfn_builtin_is(const char *resource)
{
    return !strncmp(resource, "arn:stepd:task:", 15);
}

/* task_outcome.c: the outcome of a task request (see sfn_tasks.h). */
#include <stdlib.h>
#include <string.h>

#include "sfn_tasks.h"

void sfn_task_outcome_free(sfn_task_outcome *o)
{
    json_decref(o->result);
    free(o->error);
    free(o->cause);
    memset(o, 0, sizeof *o);
}

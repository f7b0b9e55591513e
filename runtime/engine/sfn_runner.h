/* sfn_runner.h: runs one execution to completion in memory, on simulated
 * time (a Wait of an hour takes no time).  The same executor as the durable
 * engine, minus the store: used by the conformance runner, unit tests and
 * TestState-style tools. */
#ifndef SFN_RUNNER_H
#define SFN_RUNNER_H

#include "sfn_exec.h"

typedef struct sfn_run_opts {
    const char *machine_name;  /* default "stepd"                           */
    const char *exec_name;     /* default "run"                             */
    int64_t start_ms;          /* simulated start; 0 = 2024-01-01T00:00:00Z */
    sfn_exec_limits limits;    /* zero = AWS defaults                        */
    int64_t max_transitions;   /* safety net; 0 = 10,000,000                 */
    bool express;              /* run as an EXPRESS execution              */
    bool stop_when_blocked;    /* StopExecution (no error/cause) as soon as
                                  the execution waits on a timer, as a
                                  client stopping a waiting execution      */
} sfn_run_opts;

typedef struct sfn_run_result {
    sfn_exec_status status;
    json_t *output;            /* new reference when SUCCEEDED             */
    char *error, *cause;
    sfn_event *events;         /* the whole history, owned                  */
    size_t n_events;
} sfn_run_result;

/* graph and input borrowed.  Returns SFN_OK when the execution ended (in
 * any status), SFN_ELIMIT when max_transitions was hit. */
sfn_rc sfn_run_memory(sfn_graph *graph, json_t *input,
                      const sfn_run_opts *opts, sfn_run_result *out);
void sfn_run_result_free(sfn_run_result *r);

#endif

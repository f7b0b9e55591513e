/* sfn_engine.h: the durable engine.  Drives many executions with the
 * executor and makes every transition durable before its effects happen:
 * each round runs the ready executions, writes all their new history
 * events and changed snapshots in ONE store transaction (group commit),
 * then performs the effects (task dispatch, timers) and acknowledges the
 * executions started since the last round.  A waiting execution costs a row
 * and, while its wake-up is far, no memory: only near-due timers are held.
 *
 * Threading: an engine is driven by one thread (sfn_engine_poll).  Other
 * threads may call sfn_engine_submit_* which queue work under a mutex and
 * wake the engine; their callbacks run on the engine thread.
 * Ownership: see each function. */
#ifndef SFN_ENGINE_H
#define SFN_ENGINE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "sfn_asl.h"
#include "sfn_clock.h"
#include "sfn_exec.h"
#include "sfn_store.h"

typedef struct sfn_engine sfn_engine;

/* Loads the compiled graph of (machine, revision): new reference, or NULL
 * with err filled.  Used for recovery and for starts by name. */
typedef sfn_graph *(*sfn_graph_loader)(void *ud, const char *machine,
                                       int64_t revision, sfn_error *err);

/* Observer of every committed event (live progress in `stepd run`). */
typedef void (*sfn_event_observer)(void *ud, const sfn_execution *x,
                                   const sfn_event *ev);

typedef struct sfn_engine_opts {
    sfn_store *store;          /* required, borrowed                         */
    sfn_clock *clock;          /* NULL = real clock                          */
    bool simulated_time;       /* idle: jump a fake clock to the next timer  */
    sfn_exec_limits limits;    /* zero = AWS defaults                        */
    const char *region;        /* default "us-east-1"                        */
    const char *account;       /* default "123456789012"                     */
    sfn_graph_loader load_graph;
    void *load_ud;
    sfn_event_observer observer;
    void *observer_ud;
    int round_budget;          /* transitions per execution per round; 0 =
                                  adaptive (256, more when few are live)    */
    int64_t round_max;         /* transitions per round, all executions;
                                  0 = 8192 (bounds memory and ack latency) */
    int64_t timer_horizon_ms;  /* timers further than this are parked in the
                                  store only; 0 = 60,000                     */
    struct sfn_tasks *tasks;   /* task dispatcher (borrowed); NULL = the
                                  built-in resources only                   */
    /* shared store (sfn_store_shared): the node's lease is renewed every
     * lease_ms / 3 and executions of dead nodes are claimed every
     * lease_ms / 2 (0 = 10,000, as the store's); on_claim (may be NULL)
     * runs on the engine thread after each claim that took executions */
    int64_t lease_ms;
    void (*on_claim)(void *ud, size_t n);
    void *on_claim_ud;
} sfn_engine_opts;

sfn_engine *sfn_engine_new(const sfn_engine_opts *opts, sfn_error *err);
/* Sets opts.on_claim after creation (before the engine thread starts). */
void sfn_engine_set_on_claim(sfn_engine *e, void (*fn)(void *ud, size_t n),
                             void *ud);
void sfn_engine_free(sfn_engine *e); /* NULL ok; drops in-memory state */

/* Loads every RUNNING execution from the store and resumes it from its last
 * committed transition.  *resumed (may be NULL) gets the count. */
sfn_rc sfn_engine_recover(sfn_engine *e, size_t *resumed, sfn_error *err);

/* Starts an execution of `graph` (borrowed; the execution takes a ref) for
 * (machine, revision) with `input` (borrowed).  name NULL = a UUID.  The
 * execution is durable after the next round's commit; *arn_out (malloc'd,
 * may be NULL) gets its ARN. */
sfn_rc sfn_engine_start(sfn_engine *e, const char *machine, int64_t revision,
                        sfn_graph *graph, const char *name, json_t *input,
                        char **arn_out, sfn_error *err);

/* sfn_engine_start under a mock test case (sfn_mock.h); NULL = none. */
sfn_rc sfn_engine_start_case(sfn_engine *e, const char *machine,
                             int64_t revision, sfn_graph *graph,
                             const char *name, json_t *input,
                             const char *test_case, char **arn_out,
                             sfn_error *err);

/* Whether the engine can execute g (JSONata-mode states need the JSONata
 * evaluator); false with err naming why.  sfn_engine_start checks it. */
bool sfn_engine_supports(const sfn_graph *g, sfn_error *err);

/* sfn_engine_start with the ARN chosen by the caller (EXPRESS ARNs carry
 * a UUID); err->name "InvalidExecutionInput" for an input over the limit. */
sfn_rc sfn_engine_start_arn(sfn_engine *e, const char *machine,
                            int64_t revision, sfn_graph *graph,
                            const char *name, const char *arn, json_t *input,
                            bool express, sfn_error *err);

/* One round (see above).  When nothing is ready it waits up to wait_ms for
 * the next timer (or, with simulated_time, jumps the clock to it).  Returns
 * the number of transitions made in *made (may be NULL). */
sfn_rc sfn_engine_poll(sfn_engine *e, int64_t wait_ms, int64_t *made,
                       sfn_error *err);

/* StopExecution on the thread that drives the engine (tests, tools): the
 * execution is loaded if parked; `compensate` runs the compensations
 * first.  SFN_ENOTFOUND when it is not running. */
sfn_rc sfn_engine_stop(sfn_engine *e, const char *arn, const char *error,
                       const char *cause, bool compensate, sfn_error *err);

/* RedriveExecution on the thread that drives the engine (asl.md 9.4 rules;
 * err->name "ExecutionNotRedrivable" / "ExecutionDoesNotExist"). */
sfn_rc sfn_engine_redrive(sfn_engine *e, const char *arn, sfn_error *err);
/* The same from another thread (needs sfn_engine_serve); *redrive_ms gets
 * the redrive time.  Answered after the commit. */
sfn_rc sfn_engine_call_redrive(sfn_engine *e, const char *arn,
                               int64_t *redrive_ms, sfn_error *err);

/* Rounds until no execution is running in memory or parked. */
sfn_rc sfn_engine_run_until_idle(sfn_engine *e, sfn_error *err);

/* Executions known to the engine that are still running. */
size_t sfn_engine_running(const sfn_engine *e);

/* Totals since creation, for benchmarks and /metrics. */
/* Group-commit histograms: bucket k counts commits with at most
 * sfn_engine_hist_bounds(kind)[k] events (or seconds); the last bucket is
 * everything above the last bound. */
#define SFN_ENGINE_HIST 14
typedef enum { SFN_HIST_COMMIT_EVENTS, SFN_HIST_COMMIT_SECONDS } sfn_hist_kind;
const double *sfn_engine_hist_bounds(sfn_hist_kind kind); /* 13 bounds */

typedef struct sfn_engine_stats {
    int64_t transitions, events, commits, started, finished;
    int64_t commit_events[SFN_ENGINE_HIST];   /* not cumulative            */
    int64_t commit_seconds[SFN_ENGINE_HIST];
    double commit_seconds_sum;
    int64_t comp_started, comp_succeeded, comp_failed; /* compensation runs */
    int64_t live;    /* running executions held in memory now            */
    int64_t parked;  /* running executions waiting in the store only now  */
    /* shared store: leases held now, claims, takeovers (claims from a dead
     * node), leases found lost (a commit refused: another node took the
     * execution), lease renewals that failed */
    int64_t lease_held, lease_claims, lease_takeovers, lease_lost;
    int64_t lease_renew_failures;
} sfn_engine_stats;
sfn_engine_stats sfn_engine_get_stats(const sfn_engine *e);

/* ---- calls from other threads -------------------------------------------
 * Each blocks until the engine thread has acted on it and committed the
 * result (so a successful answer is durable), or until it failed.  They
 * need an engine thread running sfn_engine_serve. */

typedef struct sfn_start_call {
    /* in */
    const char *machine;    /* state machine name                          */
    int64_t revision;       /* definition revision                          */
    sfn_graph *graph;       /* compiled revision (borrowed for the call)    */
    const char *name;       /* execution name; NULL = a UUID                */
    json_t *input;          /* borrowed                                     */
    bool express;           /* EXPRESS: ARN ":express:", no name reuse check */
    bool wait_for_end;      /* StartSyncExecution: answer when it ends       */
    const char *test_case;  /* mock test case (ARN#Case); NULL = none        */
    /* out (release with sfn_start_call_done) */
    sfn_error err;          /* on failure: err.name is the API error, e.g.
                               "ExecutionAlreadyExists", "InvalidExecutionInput"*/
    char *arn;
    int64_t start_ms;
    bool existed;           /* same name + same input, still running: the
                               existing execution is returned               */
    sfn_exec_status status; /* wait_for_end: how it ended                   */
    char *output;           /* JSON text when SUCCEEDED                      */
    char *error, *cause;
    int64_t stop_ms;
} sfn_start_call;

sfn_rc sfn_engine_call_start(sfn_engine *e, sfn_start_call *c);
void sfn_start_call_done(sfn_start_call *c);

/* The start without waiting, for threads that must not block (an HTTP
 * event loop): done(ud, c) runs exactly once, on the engine thread (or on
 * the thread freeing the engine, which fails what is pending), when the
 * answer is in, with c->err.rc SFN_OK or the failure as above.  c and
 * what its in-members point to stay valid until then (the graph only
 * until the engine took the call; keeping it is simplest).  done runs
 * without engine locks held and must not block; it must not call back
 * into the engine synchronously.  Returns SFN_OK when queued; on error
 * (out of memory) c->err is filled and done is never called. */
typedef void (*sfn_start_done_fn)(void *ud, sfn_start_call *c);
sfn_rc sfn_engine_call_start_async(sfn_engine *e, sfn_start_call *c,
                                   sfn_start_done_fn done, void *ud);

/* StopExecution: aborts a running execution (error/cause may be NULL).
 * *stop_ms gets the stop time (also for an already closed execution, as
 * AWS answers).  SFN_ENOTFOUND with err->name "ExecutionDoesNotExist". */
sfn_rc sfn_engine_call_stop(sfn_engine *e, const char *arn, const char *error,
                            const char *cause, int64_t *stop_ms,
                            sfn_error *err);

/* SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat for a callback or
 * activity task.  output: the result (borrowed) for SUCCESS.  Errors
 * (err->name): "InvalidToken" (malformed), "TaskDoesNotExist" (unknown
 * token, task or execution already closed), "TaskTimedOut" (the task
 * timed out).  Answers after the resulting transition is committed.
 * On a shared store, this and the stop and redrive calls answer SFN_ELEASE
 * when another node holds the execution's lease (the caller routes the
 * call there: runtime/cluster). */
typedef enum {
    SFN_TASK_SUCCESS,
    SFN_TASK_FAILURE,
    SFN_TASK_HEARTBEAT
} sfn_task_verb;

sfn_rc sfn_engine_call_task(sfn_engine *e, const char *token,
                            sfn_task_verb verb, json_t *output,
                            const char *error, const char *cause,
                            sfn_error *err);

/* GetActivityTask: waits up to timeout_ms for a task of the activity
 * (answered the moment one is scheduled).  On SFN_OK *token and *input
 * (malloc'd JSON text) are set, or both NULL when none came in time.
 * The ActivityStarted event (workerName) is committed before the answer. */
typedef struct sfn_activity_poll {
    const char *activity_arn;   /* in                                       */
    const char *worker;         /* in; may be NULL                          */
    int64_t timeout_ms;         /* in                                       */
    char *token, *input;        /* out; free with sfn_activity_poll_done   */
} sfn_activity_poll;

sfn_rc sfn_engine_call_activity(sfn_engine *e, sfn_activity_poll *p,
                                sfn_error *err);
/* (On a shared store the tasks wait in the store's queue: these polls are
 * refused with SFN_EUNSUPPORTED; runtime/cluster serves GetActivityTask.) */
/* At most this many GetActivityTask calls wait on one activity at a time;
 * the next is refused with "ActivityWorkerLimitExceeded" (AWS's quota). */
#define SFN_ENGINE_POLLERS_MAX 1000
void sfn_activity_poll_done(sfn_activity_poll *p);

/* GetActivityTask without waiting: done(ud, p, rc) runs once, as for
 * sfn_engine_call_start_async; p and err stay valid until then (err is
 * filled when rc is not SFN_OK).  SFN_OK when queued, else err filled and
 * done never called. */
typedef void (*sfn_activity_done_fn)(void *ud, sfn_activity_poll *p,
                                     sfn_rc rc);
sfn_rc sfn_engine_call_activity_async(sfn_engine *e, sfn_activity_poll *p,
                                      sfn_error *err,
                                      sfn_activity_done_fn done, void *ud);

/* Shared store (activity tasks queued in the store, taken by any node):
 * records that the worker `worker` (may be NULL) took the task of
 * `token`: emits ActivityStarted, answered after the commit.
 * SFN_ENOTFOUND when that task is no longer waiting for a worker (it
 * ended, timed out or was started), SFN_ELEASE when another node owns the
 * execution. */
sfn_rc sfn_engine_call_activity_started(sfn_engine *e, const char *token,
                                        const char *worker, sfn_error *err);

/* After the engine thread stopped: answers every call still queued or
 * waiting with ServiceUnavailable, and every later call at once (threads
 * of other modules may still be calling in while they stop). */
void sfn_engine_close_calls(sfn_engine *e);

/* Answers every GetActivityTask waiting now with no task (a server about
 * to stop); later polls wait as usual.  Blocks until the engine took it. */
sfn_rc sfn_engine_call_release_pollers(sfn_engine *e);

/* StopExecution that first runs the compensations of the completed steps
 * when `compensate` (stepd extension, docs/compensation.md); the call is
 * answered once the stop is committed, the compensation then runs and the
 * execution ends ABORTED after it. */
sfn_rc sfn_engine_call_stop_ex(sfn_engine *e, const char *arn,
                               const char *error, const char *cause,
                               bool compensate, int64_t *stop_ms,
                               sfn_error *err);

/* The engine thread: recovers, then runs rounds until *stop becomes true;
 * then answers what is in flight, commits and returns.  Executions still
 * running resume on the next start. */
sfn_rc sfn_engine_serve(sfn_engine *e, volatile int *stop, sfn_error *err);
void sfn_engine_wake(sfn_engine *e);

/* Builds the ARN of an execution (malloc'd). */
char *sfn_engine_exec_arn(const sfn_engine *e, const char *machine,
                          const char *name);
char *sfn_engine_machine_arn(const sfn_engine *e, const char *machine);

#endif

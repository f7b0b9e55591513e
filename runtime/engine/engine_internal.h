/* engine_internal.h: the engine's state, shared by its files
 * (sfn_engine.c: rounds, commit, timers, parking; engine_calls.c: calls
 * from other threads). */
#ifndef SFN_ENGINE_INTERNAL_H
#define SFN_ENGINE_INTERNAL_H

#include <pthread.h>

#include "sfn_engine.h"
#include "sfn_json.h"

#define EXEC_TIMEOUT_STRAND UINT32_MAX

typedef struct timer {
    int64_t wake_ms;
    int64_t exec_id;
    uint32_t strand;
} timer;

struct sfn_engine {
    sfn_engine_opts o;
    sfn_clock *clock;
    char region[64], account[32];
    sfn_execution **live; /* running executions held in memory */
    size_t n_live, cap_live;
    json_t *by_id;        /* "store id" -> index in live (json integer) */
    timer *heap;
    size_t n_heap, cap_heap;
    int64_t next_unpark_ms;
    size_t parked;        /* running executions evicted to the store */
    bool adaptive;        /* round budget grows when few are live */
    size_t cursor;        /* round-robin start in live */
    sfn_engine_stats stats;
    sfn_json_buf jbuf;        /* reused to serialize event details */
    /* calls from other threads (engine_calls.c); lock order: only mu */
    pthread_mutex_t mu;
    pthread_cond_t work;      /* the engine waits here for calls        */
    struct engine_call *inbox;    /* submitted, not yet taken           */
    struct engine_call *waiting;  /* taken, answered after the commit   */
    struct engine_call *until_end;/* StartSync: answered when it ends   */
    struct engine_call *pollers;  /* GetActivityTask waiting for work    */
    bool calls_closed;            /* sfn_engine_close_calls: refuse more */
    /* activity tasks scheduled and not yet handed to a worker (FIFO);
     * engine thread only (engine_tasks.c) */
    struct activity_task *aq_head, *aq_tail;
    size_t aq_len;
    /* shared store (engine_lease.c): lease upkeep on the monotonic clock,
     * whatever clock the executions run on */
    bool shared;
    bool reload;          /* a commit failed on a lost connection: every
                             execution is read again from the store     */
    int64_t next_renew_mono, next_claim_mono, next_reload_mono;
};

/* Snapshot key of execution-level state (mock invocation counts); strand
 * snapshots use keys below 2^32. */
#define ENGINE_SNAP_EXEC ((int64_t)1 << 32)


typedef struct load_ctx {
    sfn_engine *e;
    int64_t now;
    size_t loaded;
    sfn_error *err;
} load_ctx;

sfn_execution *engine_live_find(sfn_engine *e, int64_t id);
/* Loads one running execution from its row (a store list callback; ud is
 * a load_ctx).  Skips executions already live. */
int engine_load_exec(const sfn_exec_rec *r, void *ud);

/* RedriveExecution on the engine thread (sfn_engine.c): the execution is
 * live and runnable when SFN_OK; err->name "ExecutionNotRedrivable" or
 * "ExecutionDoesNotExist" otherwise. */
sfn_rc engine_redrive(sfn_engine *e, const char *arn, int64_t now,
                      sfn_error *err);

/* Arms a timer (sfn_engine.c). */
void engine_timer_push(sfn_engine *e, int64_t wake, int64_t exec_id,
                       uint32_t strand);

/* engine_tasks.c: task dispatch, callbacks, activities */
/* Performs one TASK effect of x (after the commit that recorded it). */
void engine_dispatch_task(sfn_engine *e, sfn_execution *x,
                          const sfn_effect *fx, int64_t now);
/* Makes an execution ready to mint tokens etc. (start and recovery). */
void engine_exec_attach(sfn_engine *e, sfn_execution *x);
/* Store writes of a round for x's tokens (opened and closed). */
sfn_rc engine_write_tokens(sfn_engine *e, sfn_execution *x, sfn_error *err);
/* Gives queued activity tasks to waiting pollers; expires pollers. */
void engine_match_pollers(sfn_engine *e, int64_t now);
void engine_tasks_free(sfn_engine *e);
/* Hands the oldest queued task of `arn` to a worker: fills *token and
 * *input (malloc'd) and emits ActivityStarted; false when none. */
bool engine_activity_take(sfn_engine *e, const char *arn, const char *worker,
                          char **token, char **input, int64_t now);
/* Executes a task-token call on the engine thread; returns SFN_OK when
 * the change is made (answer after the commit), else the error. */
sfn_rc engine_token_call(sfn_engine *e, const char *token, int verb,
                         json_t *output, const char *error,
                         const char *cause, int64_t now, int64_t *exec_id,
                         sfn_error *err);
/* Shared store: the task of `token` was taken by a worker on some node
 * (ActivityStarted); *exec_id gets the execution.  SFN_ENOTFOUND when it
 * no longer waits for a worker. */
sfn_rc engine_activity_started(sfn_engine *e, const char *token,
                               const char *worker, int64_t now,
                               int64_t *exec_id, sfn_error *err);
/* Brings a running execution into memory by store id (NULL if it is not
 * running or cannot be loaded). */
sfn_execution *engine_live_load(sfn_engine *e, int64_t id, int64_t now);

/* engine_lease.c: shared stores */
/* Renews the node lease and claims executions of dead nodes when due. */
void engine_lease_tick(sfn_engine *e, int64_t now);
/* Milliseconds until the next lease work (caps idle waits); INT64_MAX
 * when the store is not shared. */
int64_t engine_lease_due_in(const sfn_engine *e);
/* After a commit refused with SFN_ELEASE: forgets the executions another
 * node took (their waiting calls are failed with SFN_ELEASE) and drops
 * the executions the round created.  Returns how many were dropped. */
size_t engine_lease_lost(sfn_engine *e);
/* After a commit failed with SFN_EIO on a shared store (its outcome is
 * unknown when the connection broke during COMMIT): drops every execution
 * from memory, failing the calls that wait on them, and marks the engine
 * for engine_recover_shared, which reads its executions back from the
 * store (their last committed transitions) once it answers again. */
void engine_reload(sfn_engine *e);
sfn_rc engine_recover_shared(sfn_engine *e, int64_t now);
/* After a failed commit on a shared store: drops the executions the round
 * created whose ARN another node wrote meanwhile (the same name started
 * on two nodes at once); their callers are told to retry, and the retry
 * finds the existing execution. */
void engine_drop_taken_names(sfn_engine *e);
/* Whether an execution may be loaded here (a shared store's lease);
 * fills err (SFN_ELEASE) when not. */
sfn_rc engine_lease_check(sfn_engine *e, int64_t exec_id, const char *arn,
                          sfn_error *err);
/* Removes live[i] without finishing it (sfn_engine.c). */
void engine_live_drop(sfn_engine *e, size_t i);

/* engine_calls.c */
/* Fails waiting calls on execution `exec_id` / `arn` (lease lost). */
void engine_calls_fail_exec(sfn_engine *e, int64_t exec_id, const char *arn);
void engine_calls_init(sfn_engine *e);
void engine_calls_free(sfn_engine *e);
/* Takes submitted calls at the start of a round and acts on them. */
void engine_take_calls(sfn_engine *e, int64_t now);
/* After a round's commit: answers the calls it made durable (or failed). */
void engine_calls_committed(sfn_engine *e, sfn_rc rc, const sfn_error *err);
/* An execution ended (committed): answers StartSync calls waiting on it. */
void engine_calls_finished(sfn_engine *e, const sfn_execution *x);
/* Waits up to ms for a call to arrive. */
void engine_wait(sfn_engine *e, int64_t ms);

#endif

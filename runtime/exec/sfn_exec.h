/* sfn_exec.h: the executor: advances one execution of a compiled graph.
 * No I/O, no threads, no wall clock: time comes in as arguments, random
 * numbers from a seeded generator, and everything the outside world must do
 * (run a task, arm a timer) goes out as an effect.  The engine persists the
 * events and dirty strands of a step before it performs its effects.
 *
 * An execution is a tree of strands: the top-level States block is strand
 * 0; each Parallel branch and each Map iteration runs in a child strand.
 * Strands are advanced depth first (a child runs until it blocks or ends
 * before its next sibling starts), which gives AWS's event order for
 * sequential work and interleaves strands only where they wait.
 *
 * Ownership: an sfn_execution and everything in it belongs to one engine
 * thread.  json_t arguments are borrowed unless a name ends in _new. */
#ifndef SFN_EXEC_H
#define SFN_EXEC_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "sfn_asl.h"
#include "sfn_events.h"

typedef enum {
    SFN_EXEC_RUNNING,
    SFN_EXEC_SUCCEEDED,
    SFN_EXEC_FAILED,
    SFN_EXEC_TIMED_OUT,
    SFN_EXEC_ABORTED
} sfn_exec_status;

const char *sfn_exec_status_name(sfn_exec_status s); /* "RUNNING", ... */

/* Whether this build's executor evaluates JSONata-mode states. */
extern const bool sfn_exec_jsonata_ready;

typedef enum {
    SFN_PH_ENTER,    /* about to enter `state`                             */
    SFN_PH_WORK,     /* entered; (re)start the state's work (retry lands)  */
    SFN_PH_TIMER,    /* parked until wake_ms (Wait, retry back-off)         */
    SFN_PH_TASK,     /* task effect out, awaiting its result               */
    SFN_PH_CHILDREN, /* Parallel/Map awaiting its child strands            */
    SFN_PH_DONE,     /* finished: output or error set                      */
    SFN_PH_COMPENSATING /* a Catch with Compensate: its scope's steps are
                           being undone; then the catcher's path           */
} sfn_phase;

/* Per-execution limits; defaults are AWS's (sfn_exec_limits_default). */
typedef struct sfn_exec_limits {
    int64_t history_events_max; /* 25,000                                  */
    size_t payload_bytes_max;   /* 262,144                                 */
    uint32_t map_concurrency_max; /* iterations of one Map running at once
                                     (MaxConcurrency 0 or above it); 1,000;
                                     0 = unbounded                          */
} sfn_exec_limits;

sfn_exec_limits sfn_exec_limits_default(void);

typedef struct sfn_strand sfn_strand;
struct sfn_strand {
    uint32_t id;
    sfn_strand *parent;          /* NULL for strand 0                      */
    int64_t parent_id;           /* -1 for strand 0 (kept for snapshots)   */
    uint32_t index;              /* branch / item index in the parent      */
    const sfn_block *block;
    int state;                   /* index in block                         */
    sfn_phase phase;
    json_t *input;               /* raw input of the current state (owned) */
    json_t *effective;           /* task input after Parameters (owned)    */
    json_t *items;               /* Map: the items array (owned)           */
    bool iteration_started;      /* Map child: MapIterationStarted emitted */
    int64_t wake_ms;             /* SFN_PH_TIMER                            */
    int64_t entered_event;       /* id of the state's Entered event        */
    int64_t prev_event;          /* last event of this strand              */
    int64_t entered_ms;          /* $$.State.EnteredTime                    */
    uint32_t attempt;            /* task attempt within this visit, from 0 */
    uint32_t retry_total;        /* $$.State.RetryCount                     */
    uint32_t *retry_counts;      /* per retrier of the current state       */
    json_t *vars;                /* this scope's variables (owned object)  */
    /* Parallel / Map children */
    sfn_strand **children;
    uint32_t n_children, next_child, running, done, failed;
    uint32_t max_concurrency;    /* 0 = unbounded                          */
    uint32_t tolerated_count;
    double tolerated_pct;        /* < 0 when not set                        */
    json_t *results;             /* array of child outputs (owned)         */
    /* result of a finished strand */
    json_t *output;
    char *error, *cause;
    bool failed_flag;
    bool dirty;
    bool queued;
    bool persisted;              /* a snapshot row exists in the store      */
    bool quiet;                  /* inside a Distributed Map child: its
                                    events belong to the child execution,
                                    not to this history                    */
    bool isolated;               /* a Distributed Map child: outer
                                    variables are not visible              */
    /* Task state in SFN_PH_TASK */
    char *token;                 /* callback / activity task token (owned) */
    int64_t hb_s;                /* HeartbeatSeconds, 0 = none              */
    int64_t hb_ms;               /* heartbeat deadline, 0 = not running     */
    bool submitted;              /* request accepted (TaskSubmitted) or
                                    activity handed to a worker: nothing is
                                    re-sent on resume, only timers re-armed */
};

typedef enum { SFN_EFFECT_TASK, SFN_EFFECT_TIMER } sfn_effect_kind;

struct sfn_execution;

typedef struct sfn_effect {
    sfn_effect_kind kind;
    uint32_t strand;
    uint32_t attempt;
    int64_t wake_ms;         /* TIMER                                       */
    const sfn_state *state;  /* TASK                                        */
    json_t *payload;         /* TASK: effective input (owned)              */
    int64_t timeout_s;       /* TASK: 0 = none                             */
    uint32_t invocation;     /* TASK: 0-based count of earlier invocations
                                of this state in the execution (mocks)     */
} sfn_effect;

/* Kinds of Task resources: they differ in their history events. */
typedef enum {
    SFN_TASK_KIND_SERVICE,   /* arn:aws:states:::svc:api[.suffix], others  */
    SFN_TASK_KIND_ACTIVITY,  /* arn:aws:states:R:A:activity:NAME           */
    SFN_TASK_KIND_LAMBDA,    /* arn:aws:lambda:R:A:function:NAME (legacy)  */
} sfn_task_kind;

sfn_task_kind sfn_exec_task_kind(const char *resource);
/* Activities and ".waitForTaskToken" resources wait for a callback. */
bool sfn_exec_task_is_callback(const char *resource);

/* Token status codes, as the store keeps them (closed tokens). */
enum { SFN_EXEC_TOKEN_DONE = 1, SFN_EXEC_TOKEN_TIMED_OUT = 2 };

typedef struct sfn_closed_token {
    char *token;   /* owned */
    int status;
} sfn_closed_token;

/* Mints a task token for (x, strand): malloc'd, unguessable.  The engine
 * supplies one; without it tokens come from the execution's generator. */
typedef char *(*sfn_token_minter)(void *ud, const struct sfn_execution *x,
                                  uint32_t strand);

typedef struct sfn_execution {
    /* identity (owned strings) */
    char *arn, *name, *machine_arn, *machine_name, *role_arn;
    sfn_graph *graph;           /* owned reference                          */
    json_t *input;              /* execution input (owned)                  */
    int64_t start_ms, stop_ms, deadline_ms;
    sfn_exec_status status;
    json_t *output;             /* when SUCCEEDED (owned)                   */
    char *error, *cause;        /* when FAILED / TIMED_OUT / ABORTED        */
    int64_t next_event_id;
    uint64_t rng;               /* splitmix64 state (jitter)                */
    sfn_exec_limits limits;
    int64_t store_id;           /* engine bookkeeping: row id, 0 = new      */
    int64_t revision;           /* definition revision it runs on           */
    bool deadline_armed;        /* engine: TimeoutSeconds timer is set      */
    bool fresh;                 /* engine: row not yet committed            */
    bool express;               /* EXPRESS type: ARN ":express:", no redrive */
    char *test_case;            /* mock test case, or NULL (owned)          */
    json_t *invocations;        /* {"state name": n}: Task invocations so
                                   far (mock response selection; owned)     */
    bool state_dirty;           /* engine: persist sfn_exec_state_dump     */
    struct sfn_comp *comp;      /* compensation records and runs (owned;
                                   exec_comp.c), NULL when none yet        */
    int comp_status;            /* SFN_COMP_STATUS_*                        */
    bool stop_compensate;       /* StopExecution asked for compensation     */
    uint32_t redrive_count;     /* $$.Execution.RedriveCount                */
    int64_t redrive_ms;         /* time of the last redrive, 0 = none       */
    bool touched;               /* changed without an event (heartbeat):
                                   the engine writes its snapshots          */
    sfn_token_minter mint_token;
    void *mint_ud;
    sfn_closed_token *closed;   /* tokens closed since the last drain      */
    size_t n_closed, cap_closed;

    sfn_strand **strands;       /* by id; NULL once freed                   */
    uint32_t n_strands, cap_strands;
    uint32_t *ready;            /* LIFO of strand ids ready to advance      */
    uint32_t n_ready, cap_ready;

    /* output of a step: drained by the engine after each commit */
    sfn_event *events;
    size_t n_events, cap_events;
    sfn_effect *effects;
    size_t n_effects, cap_effects;
} sfn_execution;

/* Compensation (stepd extension, docs/compensation.md).  Compensation
 * steps are dispatched as tasks of pseudo strands numbered from
 * SFN_COMP_STRAND_BASE; sfn_exec_task_done / sfn_exec_timer route them. */
#define SFN_COMP_STRAND_BASE 0x40000000u
enum {
    SFN_COMP_STATUS_NONE = 0,
    SFN_COMP_STATUS_RUNNING = 1,
    SFN_COMP_STATUS_SUCCEEDED = 2,
    SFN_COMP_STATUS_FAILED = 3,
};
const char *sfn_comp_status_name(int status); /* "NONE", "RUNNING", ... */
/* Earliest timer of a running compensation (0 = none). */
int64_t sfn_exec_comp_wake(const sfn_execution *x);
/* Whether a compensation step's request is in flight. */
bool sfn_exec_comp_inflight(const sfn_execution *x);

/* Execution-level durable state (mock invocation counts, compensation
 * records and runs) as JSON text (malloc'd), NULL when there is none; and
 * its inverse, before sfn_exec_resume. */
char *sfn_exec_state_dump(const sfn_execution *x);
sfn_rc sfn_exec_state_load(sfn_execution *x, const char *text,
                           sfn_error *err);

/* Creates an execution (not yet started).  graph: new reference taken.
 * input: borrowed (copied by reference).  Returns NULL on ENOMEM. */
sfn_execution *sfn_exec_new(sfn_graph *graph, const char *arn,
                            const char *name, const char *machine_arn,
                            const char *machine_name, json_t *input,
                            int64_t start_ms, uint64_t seed);
void sfn_exec_free(sfn_execution *x);

/* Emits ExecutionStarted and makes strand 0 ready. */
sfn_rc sfn_exec_start(sfn_execution *x, int64_t now_ms);

/* Advances ready strands until none is ready, the execution ends, or
 * `budget` state transitions were made.  Returns the number of
 * transitions made. */
int sfn_exec_run(sfn_execution *x, int64_t now_ms, int budget);

/* Delivers a task result for `strand` (attempt must match, else ignored:
 * a stale re-delivery after recovery).  ok: result (borrowed); failure:
 * error / cause. */
sfn_rc sfn_exec_task_done(sfn_execution *x, uint32_t strand,
                          uint32_t attempt, json_t *result, const char *error,
                          const char *cause, int64_t now_ms);

/* The request of a callback task was accepted (.waitForTaskToken):
 * TaskSubmitted with the service's answer (borrowed, may be NULL); the
 * heartbeat clock starts.  Stale attempt: ignored. */
sfn_rc sfn_exec_task_submitted(sfn_execution *x, uint32_t strand,
                               uint32_t attempt, json_t *response,
                               int64_t now_ms);
/* An activity task was handed to a worker: ActivityStarted{workerName};
 * the heartbeat clock starts. */
sfn_rc sfn_exec_task_started(sfn_execution *x, uint32_t strand,
                             uint32_t attempt, const char *worker,
                             int64_t now_ms);
/* SendTaskHeartbeat: restarts the heartbeat clock (no event).  A TIMER
 * effect for the new deadline goes out when a heartbeat is set. */
sfn_rc sfn_exec_task_heartbeat(sfn_execution *x, uint32_t strand,
                               uint32_t attempt, int64_t now_ms);
/* The strand's open token, or NULL (borrowed). */
const char *sfn_exec_task_token(const sfn_execution *x, uint32_t strand);

/* A timer armed by an effect has fired. */
sfn_rc sfn_exec_timer(sfn_execution *x, uint32_t strand, int64_t now_ms);

/* StopExecution: aborts every running state and ends ABORTED. */
sfn_rc sfn_exec_stop(sfn_execution *x, const char *error, const char *cause,
                     int64_t now_ms);
/* The same, first running the compensations of the completed steps when
 * `compensate` (stepd extension). */
sfn_rc sfn_exec_stop_ex(sfn_execution *x, const char *error,
                        const char *cause, bool compensate, int64_t now_ms);

/* Execution-level TimeoutSeconds elapsed. */
sfn_rc sfn_exec_timeout(sfn_execution *x, int64_t now_ms);

/* ---- snapshots (exec_snapshot.c) ---------------------------------------
 * A strand's durable state as JSON text (malloc'd; NULL on ENOMEM), and the
 * inverse: restores strands into an execution created with sfn_exec_new
 * (not started).  After every strand is restored, sfn_exec_resume re-links
 * children, rebuilds the ready stack and re-emits the effects a crash may
 * have lost (timers, task dispatches: at least once). */
char *sfn_exec_strand_dump(const sfn_strand *s);
sfn_rc sfn_exec_strand_load(sfn_execution *x, uint32_t id, const char *text,
                            sfn_error *err);
sfn_rc sfn_exec_resume(sfn_execution *x, int64_t now_ms, sfn_error *err);
/* RedriveExecution, instead of sfn_exec_resume, on an execution restored
 * from the snapshots of its end (FAILED, TIMED_OUT or ABORTED): every
 * strand that did not succeed runs again from the state where it stopped,
 * succeeded Parallel branches and Map iterations are kept, retry counters
 * start again; ExecutionRedriven is emitted and the execution runs. */
sfn_rc sfn_exec_redrive(sfn_execution *x, int64_t now_ms, sfn_error *err);
/* Frees finished strands other than strand 0 (their output already went
 * to the parent) and clears their slots.  Calls `gone` for each freed strand
 * that had a snapshot row, so the engine can delete it. */
void sfn_exec_collect(sfn_execution *x,
                      void (*gone)(void *ud, uint32_t strand), void *ud);

/* Events and effects produced since the last drain.  The engine takes
 * ownership of them (free each event's details / effect's payload) and
 * resets the counts with sfn_exec_drain. */
void sfn_exec_drain(sfn_execution *x);
/* Frees x->closed (the engine has written them). */
void sfn_exec_drain_closed(sfn_execution *x);

#endif

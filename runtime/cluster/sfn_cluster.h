/* sfn_cluster.h: a node among several sharing one PostgreSQL store.  Any
 * node accepts any call: a call on an execution another node holds
 * (SendTask*, StopExecution, the ActivityStarted of a task a worker took
 * here) travels as a message row announced with NOTIFY, is acted on by the
 * owner's engine and answered after its commit.  GetActivityTask takes
 * tasks from the store's shared queue, woken by NOTIFY, never by polling.
 *
 * Threads: a listener (its own connection, LISTEN), a message server
 * (acts on messages for this node through the engine; never waits on
 * another node, so two nodes cannot wait on each other) and an activity
 * thread (hands queued tasks to waiting GetActivityTask calls).
 * The routed calls are made from API threads with their own store handle
 * (`st`, used for reads and to post messages). */
#ifndef SFN_CLUSTER_H
#define SFN_CLUSTER_H

#include <jansson.h>
#include <stdint.h>

#include "sfn_engine.h"
#include "sfn_store.h"

typedef struct sfn_cluster sfn_cluster;

typedef struct sfn_cluster_opts {
    const char *db_spec;     /* the PostgreSQL URL (each thread connects) */
    sfn_engine *engine;      /* this node's engine (borrowed)             */
    const char *node_id;     /* this node (sfn_store_node_id of the
                                engine's connection)                      */
    int64_t call_timeout_ms; /* how long a routed call waits for the
                                owner's answer; 0 = 60,000                */
} sfn_cluster_opts;

/* Connects and starts the threads.  NULL with err filled on failure. */
sfn_cluster *sfn_cluster_start(const sfn_cluster_opts *o, sfn_error *err);
/* Answers what waits (GetActivityTask empty, routed calls
 * ServiceUnavailable), stops the threads, frees.  NULL ok. */
void sfn_cluster_free(sfn_cluster *c);

/* The engine claimed executions of a dead node (sfn_engine_opts.on_claim):
 * messages sent to that node for them are served now. */
void sfn_cluster_claimed(void *cluster, size_t n);

/* The engine calls of the same names, routed to the execution's owner.
 * Same errors; an owner that does not answer within call_timeout_ms gives
 * "ServiceUnavailable". */
sfn_rc sfn_cluster_call_task(sfn_cluster *c, sfn_store *st, const char *token,
                             sfn_task_verb verb, json_t *output,
                             const char *error, const char *cause,
                             sfn_error *err);
sfn_rc sfn_cluster_call_stop(sfn_cluster *c, sfn_store *st, const char *arn,
                             const char *error, const char *cause,
                             bool compensate, int64_t *stop_ms,
                             sfn_error *err);

/* GetActivityTask across nodes (the shapes of sfn_engine_call_activity and
 * _async; ActivityWorkerLimitExceeded past SFN_ENGINE_POLLERS_MAX waiting
 * on one activity on this node). */
sfn_rc sfn_cluster_call_activity(sfn_cluster *c, sfn_activity_poll *p,
                                 sfn_error *err);
sfn_rc sfn_cluster_call_activity_async(sfn_cluster *c, sfn_activity_poll *p,
                                       sfn_error *err,
                                       sfn_activity_done_fn done, void *ud);
/* The server is stopping: answers every waiting GetActivityTask with no
 * task and ends routed calls still waiting for an answer
 * (ServiceUnavailable). */
void sfn_cluster_release_pollers(sfn_cluster *c);

typedef struct sfn_cluster_stats {
    int64_t msgs_sent;      /* calls routed to another node               */
    int64_t msgs_served;    /* calls of other nodes acted on here          */
    int64_t activity_tasks; /* queued tasks handed to workers here         */
} sfn_cluster_stats;
sfn_cluster_stats sfn_cluster_get_stats(sfn_cluster *c);

#endif

/* cluster_internal.h: what the cluster's files share: the node's state,
 * its three threads and the message kinds routed between nodes. */
#ifndef SFN_CLUSTER_INTERNAL_H
#define SFN_CLUSTER_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>

#include "sfn_cluster.h"

/* Message kinds (sfn_store_msg.kind); bodies are JSON. */
enum {
    CLUSTER_MSG_TASK = 1,        /* {token, verb, output?, error?, cause?} */
    CLUSTER_MSG_STOP = 2,        /* {arn, error?, cause?, compensate}      */
    CLUSTER_MSG_ACT_STARTED = 3, /* {token, worker?}                       */
};

/* A GetActivityTask waiting on this node. */
typedef struct cluster_poller {
    struct cluster_poller *next;
    sfn_activity_poll *p;
    sfn_error *err;
    int64_t deadline;        /* monotonic ms                              */
    bool async;
    sfn_activity_done_fn done;
    void *ud;
    bool finished;           /* sync: answered                            */
    sfn_rc rc;
    pthread_cond_t cv;       /* sync: the caller waits here               */
} cluster_poller;

struct sfn_cluster {
    sfn_cluster_opts o;
    char *spec, *node;
    sfn_engine *engine;
    pthread_mutex_t mu;       /* everything below                          */
    pthread_cond_t msg_cv, answer_cv, act_cv;
    uint64_t msg_seq, answer_seq, act_seq;
    bool stop;
    bool draining;            /* the server stops: routed calls give up   */
    int threads;              /* bits: listener 1, server 2, activity 4    */
    pthread_t listener, server, activity;
    sfn_store *ls, *ss, *as;  /* each thread's own connection              */
    cluster_poller *pollers;  /* FIFO                                       */
    sfn_cluster_stats stats;
};

int64_t cluster_mono_ms(void);
void cluster_wait_ms(pthread_cond_t *cv, pthread_mutex_t *mu, int64_t ms);
/* The node to route a call on execution id to; NULL = act here. */
char *cluster_owner(sfn_cluster *c, sfn_store *st, int64_t id);
/* Posts a call to `node` through st and waits for the answer (rc, with
 * err filled from the owner's answer when not SFN_OK). */
sfn_rc cluster_remote(sfn_cluster *c, sfn_store *st, const char *node,
                      int64_t exec_id, int kind, json_t *body,
                      int64_t *stop_ms, sfn_error *err);

/* One call on one execution: where it runs (the execution's id, 0 = act
 * here because it is unknown or ended and the engine answers why), how it
 * runs here, and the message that carries it to another node. */
typedef struct route_ops {
    int kind;
    int64_t (*locate)(sfn_store *st, const void *in);
    sfn_rc (*local)(sfn_cluster *c, const void *in, int64_t *stop_ms,
                    sfn_error *err);
    json_t *(*body)(const void *in);
} route_ops;

/* Acts on the call here or routes it to the execution's owner, looking up
 * the owner again while a lease moves (a few times, short pauses). */
sfn_rc cluster_route(sfn_cluster *c, sfn_store *st, const route_ops *ops,
                     const void *in, int64_t *stop_ms, sfn_error *err);

/* cluster_activity.c */
void *cluster_activity_main(void *ud);
/* Answers every waiting poller empty (shutdown). */
void cluster_release_all(sfn_cluster *c);

#endif

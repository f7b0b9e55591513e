/* service_internal.h: what the service's files share: the service struct,
 * the per-action handler signature, request-member readers that fail with
 * AWS's ValidationException wording, ARNs, names, timestamps and paging
 * tokens. */
#ifndef SFN_SERVICE_INTERNAL_H
#define SFN_SERVICE_INTERNAL_H

#include <pthread.h>

#include "sfn_service.h"

struct sfn_service {
    char *db_path;
    sfn_store_opts store_opts;
    char region[64], account[32];
    sfn_exec_limits limits;
    int64_t max_open;
    struct sfn_tasks *tasks;  /* borrowed; NULL = no mock test cases      */
    sfn_store *engine_store;  /* the engine thread's connection           */
    sfn_engine *engine;
    struct sfn_cluster *cluster; /* shared store: routes calls between
                                    nodes; NULL for SQLite                 */
    char *node_id;            /* shared store: this node's id             */
    pthread_t thread;
    bool thread_started;
    volatile int stop;
    /* store connections for calling threads: one per call in flight */
    pthread_mutex_t pool_mu;
    sfn_store **pool;
    size_t n_pool, cap_pool;
    /* compiled graphs by "revision:name", values hold one reference each */
    pthread_mutex_t cache_mu;
    json_t *cache;
    /* counters kept by the engine thread's event observer */
    pthread_mutex_t stats_mu;
    sfn_service_stats stats;
};

/* One action: request borrowed, store a connection owned by this call.
 * Returns the response (new reference) or NULL with err->name the AWS
 * error type. */
typedef json_t *(*svc_action_fn)(sfn_service *svc, sfn_store *st,
                                 json_t *req, sfn_error *err);

/* Engine calls on one execution, routed to the node holding it when the
 * store is shared (runtime/cluster), else made on this node's engine. */
sfn_rc svc_call_stop(sfn_service *svc, sfn_store *st, const char *arn,
                     const char *error, const char *cause, bool compensate,
                     int64_t *stop_ms, sfn_error *err);
sfn_rc svc_call_task(sfn_service *svc, sfn_store *st, const char *token,
                     sfn_task_verb verb, json_t *output, const char *error,
                     const char *cause, sfn_error *err);
sfn_rc svc_call_activity(sfn_service *svc, sfn_activity_poll *p,
                         sfn_error *err);
sfn_rc svc_call_activity_async(sfn_service *svc, sfn_activity_poll *p,
                               sfn_error *err, sfn_activity_done_fn done,
                               void *ud);

/* Fails with an AWS error type and message; returns NULL. */
json_t *svc_fail(sfn_error *err, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* An internal failure (store, memory): keeps err's cause, sets the type. */
json_t *svc_internal(sfn_error *err);

/* ---- request members ---------------------------------------------------
 * Each returns false with a ValidationException in err when the member has
 * the wrong type or breaks its constraint; absent optional members leave
 * *out at its default. */
bool svc_str(json_t *req, const char *key, bool required, size_t max_len,
             const char **out, sfn_error *err);
bool svc_bool(json_t *req, const char *key, bool *out, sfn_error *err);
/* An integer member in [lo, hi]. */
bool svc_int(json_t *req, const char *key, int64_t lo, int64_t hi,
             int64_t *out, sfn_error *err);
/* maxResults: 0..max, 0 or absent = dflt. */
bool svc_max_results(json_t *req, int64_t max, int64_t dflt, int64_t *out,
                     sfn_error *err);
/* One of `allowed` (NULL-terminated). */
bool svc_enum(json_t *req, const char *key, const char *const *allowed,
              const char **out, sfn_error *err);

/* AWS resource name rules (asl.md 9.3). */
bool svc_valid_name(const char *name);

/* ---- ARNs --------------------------------------------------------------- */
typedef enum {
    SVC_ARN_MACHINE,
    SVC_ARN_VERSION,
    SVC_ARN_ALIAS,
    SVC_ARN_EXECUTION,
    SVC_ARN_EXPRESS,
    SVC_ARN_ACTIVITY
} svc_arn_kind;

typedef struct svc_arn {
    svc_arn_kind kind;
    char name[256];      /* state machine (or activity) name              */
    char qualifier[256]; /* version number, alias, execution name        */
    int64_t version;     /* SVC_ARN_VERSION                               */
} svc_arn;

/* Parses an ARN of this service's region and account.  InvalidArn
 * ("Invalid Arn: '...'") when malformed or of another kind than allowed
 * (a mask of 1 << svc_arn_kind). */
bool svc_parse_arn(const sfn_service *svc, const char *arn, unsigned allowed,
                   svc_arn *out, sfn_error *err);
#define SVC_ALLOW(k) (1u << (k))

char *svc_machine_arn(const sfn_service *svc, const char *name);
char *svc_version_arn(const sfn_service *svc, const char *name, int64_t v);
char *svc_alias_arn(const sfn_service *svc, const char *name,
                    const char *alias);
char *svc_activity_arn(const sfn_service *svc, const char *name);

/* Epoch seconds with a millisecond fraction (new reference). */
json_t *svc_date(int64_t ms);
int64_t svc_now_ms(void);
/* A random UUID v4 into buf (>= 37 bytes). */
void svc_uuid(char *buf);

/* Paging tokens: opaque text holding a JSON object; NULL on ENOMEM.
 * svc_token_read returns a new reference or NULL with InvalidToken. */
char *svc_token_make(json_t *state);
json_t *svc_token_read(const char *token, sfn_error *err);

/* Sets a member only when v is not NULL (v stolen). */
void svc_set(json_t *obj, const char *key, json_t *v);
/* A JSON text member parsed (new reference) or NULL. */
json_t *svc_parse_text(const char *text);

/* ---- service plumbing (service.c) -------------------------------------- */
/* The compiled graph of (machine, revision): new reference, or NULL with
 * err filled. */
sfn_graph *svc_graph(sfn_service *svc, sfn_store *st, const char *machine,
                     int64_t revision, sfn_error *err);
/* Forgets the compiled graphs of a machine (deleted). */
void svc_graph_forget(sfn_service *svc, const char *machine);
int64_t svc_open_executions(sfn_service *svc);

/* Compiles a definition for an action; InvalidDefinition with AWS's message
 * on failure.  *graph_out (may be NULL) gets the graph. */
bool svc_compile(const char *definition, bool express, sfn_graph **graph_out,
                 sfn_error *err);

/* ---- actions ------------------------------------------------------------ */
#define SVC_ACTIONS(XX)                                                    \
    XX(CreateStateMachine)                                                 \
    XX(DescribeStateMachine)                                               \
    XX(UpdateStateMachine)                                                 \
    XX(DeleteStateMachine)                                                 \
    XX(ListStateMachines)                                                  \
    XX(ValidateStateMachineDefinition)                                     \
    XX(StartExecution)                                                     \
    XX(StartSyncExecution)                                                 \
    XX(DescribeExecution)                                                  \
    XX(DescribeStateMachineForExecution)                                   \
    XX(ListExecutions)                                                     \
    XX(StopExecution)                                                      \
    XX(RedriveExecution)                                                   \
    XX(GetExecutionHistory)                                                \
    XX(TagResource)                                                        \
    XX(UntagResource)                                                      \
    XX(ListTagsForResource)                                                \
    XX(PublishStateMachineVersion)                                         \
    XX(ListStateMachineVersions)                                           \
    XX(DeleteStateMachineVersion)                                          \
    XX(CreateStateMachineAlias)                                            \
    XX(DescribeStateMachineAlias)                                          \
    XX(UpdateStateMachineAlias)                                            \
    XX(DeleteStateMachineAlias)                                            \
    XX(ListStateMachineAliases)                                            \
    XX(TestState)                                                          \
    XX(SendTaskSuccess)                                                    \
    XX(SendTaskFailure)                                                    \
    XX(SendTaskHeartbeat)                                                  \
    XX(CreateActivity)                                                     \
    XX(DescribeActivity)                                                   \
    XX(ListActivities)                                                     \
    XX(DeleteActivity)                                                     \
    XX(GetActivityTask)

#define SVC__DECL(name)                                                    \
    json_t *svc_##name(sfn_service *svc, sfn_store *st, json_t *req,        \
                       sfn_error *err);
SVC_ACTIONS(SVC__DECL)
#undef SVC__DECL

/* Shared by the machine and version files. */
json_t *svc_publish(sfn_service *svc, sfn_store *st, const char *name,
                    const char *description, sfn_error *err);
/* Tags from a CreateStateMachine / TagResource "tags" member. */
bool svc_tags_put(sfn_store *st, const char *resource, json_t *tags,
                  sfn_error *err);

#endif

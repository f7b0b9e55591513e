/* service_async.h: what the service's files share for actions answered
 * later (sfn_service_call_async, deferral scopes): the job header each
 * such action embeds, the actions' entries and the service plumbing the
 * asynchronous code needs. */
#ifndef SFN_SERVICE_ASYNC_H
#define SFN_SERVICE_ASYNC_H

#include "service_internal.h"

/* The first member of an action's job. */
struct sfn_service_async {
    sfn_service *svc;
    sfn_service_done_fn done;
    void *ud;
    /* On the collecting thread, after done: the response (new reference)
     * or NULL with err; st is a store connection for this call.  Frees the
     * job. */
    json_t *(*finish)(sfn_service_async *a, sfn_store *st, sfn_error *err);
    /* Drops the answer unread and frees the job. */
    void (*discard)(sfn_service_async *a);
};

/* StartExecution (sync false) or StartSyncExecution (true): true when
 * handed to the engine (done follows); false when it finished here, with
 * *out NULL and err filled.  req: a reference is kept by the job. */
bool svc_start_async(sfn_service *svc, sfn_store *st, json_t *req, bool sync,
                     sfn_service_done_fn done, void *ud, json_t **out,
                     sfn_error *err);

/* The store-connection pool of service.c. */
sfn_store *svc_store_take(sfn_service *svc, sfn_error *err);
void svc_store_give(sfn_service *svc, sfn_store *st);

/* sfn_service_call without the deferral-scope hook. */
json_t *svc_call_now(sfn_service *svc, const char *action, json_t *request,
                     sfn_error *err);

/* sfn_service_call's hook: true when the calling thread's deferral scope
 * answered the call (*out, or NULL with err). */
bool svc_scope_call(sfn_service *svc, const char *action, json_t *request,
                    json_t **out, sfn_error *err);

#endif

/* engine_lease.c: the engine's side of a store shared by several nodes:
 * renewing this node's lease, claiming the executions of nodes whose lease
 * expired, and recovering when a commit is refused because another node
 * took an execution (its epoch moved on: the fencing token). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine_internal.h"

/* Lease work runs on the monotonic clock: the executions may run on a fake
 * or jumping clock, the lease must not. */
static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* At most this many executions per claim, so one round never loads a dead
 * node's whole backlog; the next claim follows at once when it was full. */
#define CLAIM_BATCH 256

void engine_lease_tick(sfn_engine *e, int64_t now)
{
    if (!e->shared)
        return;
    int64_t t = mono_ms();
    sfn_error err;
    if (t >= e->next_renew_mono) {
        if (sfn_store_renew_lease(e->o.store, &err) != SFN_OK) {
            e->stats.lease_renew_failures++;
            fprintf(stderr, "stepd: cannot renew the node lease: %s\n",
                    err.cause);
        }
        e->next_renew_mono = t + e->o.lease_ms / 3;
    }
    if (t < e->next_claim_mono)
        return;
    load_ctx lc = {e, now, 0, &err};
    size_t n = 0;
    if (sfn_store_claim(e->o.store, CLAIM_BATCH, engine_load_exec, &lc, &n,
                        &err) != SFN_OK)
        fprintf(stderr, "stepd: cannot claim executions: %s\n", err.cause);
    e->next_claim_mono = n >= CLAIM_BATCH ? t : t + e->o.lease_ms / 2;
    if (n && e->o.on_claim)
        e->o.on_claim(e->o.on_claim_ud, n);
}

int64_t engine_lease_due_in(const sfn_engine *e)
{
    if (!e->shared)
        return INT64_MAX;
    int64_t t = mono_ms();
    int64_t next = e->next_renew_mono < e->next_claim_mono
                       ? e->next_renew_mono
                       : e->next_claim_mono;
    return next > t ? next - t : 0;
}

sfn_rc engine_lease_check(sfn_engine *e, int64_t exec_id, const char *arn,
                          sfn_error *err)
{
    if (!e->shared || engine_live_find(e, exec_id) ||
        sfn_store_owns(e->o.store, exec_id))
        return SFN_OK;
    return sfn_error_set(err, SFN_ELEASE, "ServiceUnavailable", -1,
                         "execution %s is held by another node",
                         arn ? arn : "");
}

/* Drops (failing the calls waiting on them) the live executions `drop`
 * picks; how many. */
static size_t drop_if(sfn_engine *e,
                      bool (*drop)(sfn_engine *e, const sfn_execution *x,
                                   void *ud),
                      void *ud)
{
    size_t n = 0;
    for (size_t i = e->n_live; i-- > 0;) {
        sfn_execution *x = e->live[i];
        if (!drop(e, x, ud))
            continue;
        engine_calls_fail_exec(e, x->store_id, x->arn);
        engine_live_drop(e, i);
        n++;
    }
    return n;
}

typedef struct lost_ctx {
    int64_t *ids;
    size_t n;
} lost_ctx;

static void on_lost(void *ud, int64_t id)
{
    lost_ctx *l = ud;
    l->ids[l->n++] = id;
}

static int cmp_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Lost, or created in this round (a start may clash with a row another
 * node wrote meanwhile: its caller is told to retry). */
static bool is_lost(sfn_engine *e, const sfn_execution *x, void *ud)
{
    (void)e;
    const lost_ctx *l = ud;
    return !x->store_id ||
           bsearch(&x->store_id, l->ids, l->n, sizeof *l->ids, cmp_id);
}

size_t engine_lease_lost(sfn_engine *e)
{
    int64_t *ids = malloc((e->n_live + 1) * sizeof *ids);
    lost_ctx l = {malloc((e->n_live + 1) * sizeof *ids), 0};
    if (!ids || !l.ids) {
        free(ids);
        free(l.ids);
        return 0;
    }
    size_t n = 0;
    for (size_t i = 0; i < e->n_live; i++)
        if (e->live[i]->store_id)
            ids[n++] = e->live[i]->store_id;
    sfn_error err;
    if (sfn_store_check_leases(e->o.store, ids, n, on_lost, &l, &err) !=
        SFN_OK)
        fprintf(stderr, "stepd: cannot check leases: %s\n", err.cause);
    qsort(l.ids, l.n, sizeof *l.ids, cmp_id);
    size_t dropped = drop_if(e, is_lost, &l);
    free(ids);
    free(l.ids);
    return dropped;
}

/* Created in this round under a name another node wrote meanwhile. */
static bool name_taken(sfn_engine *e, const sfn_execution *x, void *ud)
{
    (void)ud;
    sfn_exec_rec r = {0};
    sfn_error err;
    if (x->store_id ||
        sfn_store_get_execution(e->o.store, x->arn, &r, &err) != SFN_OK)
        return false;
    sfn_exec_rec_free(&r);
    return true;
}

void engine_drop_taken_names(sfn_engine *e)
{
    drop_if(e, name_taken, NULL);
}

static bool any(sfn_engine *e, const sfn_execution *x, void *ud)
{
    (void)e;
    (void)x;
    (void)ud;
    return true;
}

void engine_reload(sfn_engine *e)
{
    drop_if(e, any, NULL);
    e->n_heap = 0; /* timers come back with their executions */
    e->parked = 0;
    e->reload = true;
}

sfn_rc engine_recover_shared(sfn_engine *e, int64_t now)
{
    /* at most one attempt per lease tick while the store is away */
    if (mono_ms() < e->next_reload_mono)
        return SFN_EIO;
    e->next_reload_mono = mono_ms() + 500;
    sfn_error err;
    load_ctx lc = {e, now, 0, &err};
    sfn_rc rc = sfn_store_list_running(e->o.store, engine_load_exec, &lc,
                                       &err);
    if (rc != SFN_OK) {
        fprintf(stderr, "stepd: cannot read executions back: %s\n",
                err.cause);
        return rc;
    }
    e->reload = false;
    fprintf(stderr, "stepd: %zu executions read back from the store after a "
                    "failed commit\n",
            lc.loaded);
    return SFN_OK;
}

void sfn_engine_set_on_claim(sfn_engine *e, void (*fn)(void *ud, size_t n),
                             void *ud)
{
    e->o.on_claim = fn;
    e->o.on_claim_ud = ud;
}

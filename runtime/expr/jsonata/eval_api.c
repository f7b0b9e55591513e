/* eval_api.c: sfn_jsonata_eval, the evaluator's public entry: sets up the
 * per-evaluation context (arena, limits, clock, root bindings), catches the
 * errors the evaluator unwinds with, and converts the result to JSON. */
#include "jsonata_eval.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

struct jeval_list {
    sfn_jsonata *e;
    jeval_list *next;
};

void sfn__jn_keep_eval(jctx *c, sfn_jsonata *e)
{
    jeval_list *l = malloc(sizeof *l);
    if (!l) {
        sfn_jsonata_free(e);
        sfn__jn_throw_rc(c, SFN_ENOMEM, NULL, -1, "out of memory");
    }
    l->e = e;
    l->next = c->evals;
    c->evals = l;
}

void sfn__jn_keep_json(jctx *c, json_t *j)
{
    if (c->nowned == c->capowned) {
        size_t ncap = c->capowned ? c->capowned * 2 : 8;
        json_t **nv = realloc(c->owned, ncap * sizeof *nv);
        if (!nv) {
            json_decref(j);
            sfn__jn_throw_rc(c, SFN_ENOMEM, NULL, -1, "out of memory");
        }
        c->owned = nv;
        c->capowned = ncap;
    }
    c->owned[c->nowned++] = j;
}

static void cleanup(jctx *c)
{
    sfn__jn_regex_cleanup(c);
    while (c->evals) {
        jeval_list *next = c->evals->next;
        sfn_jsonata_free(c->evals->e);
        free(c->evals);
        c->evals = next;
    }
    for (size_t i = 0; i < c->nowned; i++)
        json_decref(c->owned[i]);
    free(c->owned);
    sfn__jsonata_arena_free(&c->arena);
}

static int64_t realtime_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void setup(jctx *c, const sfn_jsonata_opts *opts)
{
    sfn_jsonata_opts zero = {0};
    if (!opts)
        opts = &zero;
    c->aws = opts->aws_functions;
    c->depth_max = opts->depth_max > 0 ? opts->depth_max : 500;
    int64_t budget = opts->time_max_ms > 0 ? opts->time_max_ms : 10000;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    c->deadline_ns = (uint64_t)ts.tv_sec * 1000000000u +
                     (uint64_t)ts.tv_nsec + (uint64_t)budget * 1000000u;
    c->now_ms = (double)(opts->now_ms ? opts->now_ms : realtime_ms());
    c->rand64 = opts->rand64;
    c->rand_ud = opts->rand_ud;
    c->stack_base = (uintptr_t)__builtin_frame_address(0);
}

static jframe *root_frame(jctx *c, json_t *input, json_t *bindings)
{
    jframe *f = sfn__jn_frame(c, NULL);
    sfn__jn_bind(c, f, "$", input ? sfn__jn_from_json(input) : jv_undef());
    const char *k;
    json_t *v;
    json_object_foreach(bindings, k, v)
        sfn__jn_bind(c, f, k, sfn__jn_from_json(v));
    return f;
}

/* JSON has no Infinity or NaN: such a result is error D1001. */
static void check_finite(jctx *c, jv v)
{
    if (v.k == JV_NUM) {
        sfn__jn_check_number(c, v.u.n, -1);
    } else if (v.k == JV_ARR) {
        for (size_t i = 0; i < v.u.a->n; i++)
            check_finite(c, v.u.a->v[i]);
    } else if (v.k == JV_OBJ) {
        for (size_t i = 0; i < v.u.o->n; i++)
            check_finite(c, v.u.o->vs[i]);
    }
}

/* The evaluation proper; separate from sfn_jsonata_eval so that nothing
 * setjmp must preserve is modified after it. */
static sfn_rc run(const sfn_jsonata *e, json_t *input, json_t *bindings,
                  const sfn_jsonata_opts *opts, json_t **out,
                  sfn_error *err)
{
    jctx c = {0};
    jmp_buf jb;
    c.jb = &jb;
    c.err = err;
    setup(&c, opts);
    if (setjmp(jb)) {
        cleanup(&c);
        return err->rc ? err->rc : SFN_ERUNTIME;
    }
    c.root = root_frame(&c, input, bindings);
    jv in = input ? sfn__jn_from_json(input) : jv_undef();
    if (in.k == JV_JARR) {
        in = sfn__jn_seq1(&c, in);
        in.u.a->flags |= JA_OUTER;
    }
    jv r = sfn__jn_eval(&c, sfn__jsonata_root(e), in, c.root);
    if (jv_has(r, JA_OUTER) && r.u.a->n)
        r = r.u.a->v[0];
    check_finite(&c, r);
    bool oom = false;
    json_t *j = sfn__jn_to_json(r, &oom);
    cleanup(&c);
    if (oom) {
        json_decref(j);
        return sfn_error_set(err, SFN_ENOMEM, NULL, -1, "out of memory");
    }
    *out = j;
    return SFN_OK;
}

sfn_rc sfn_jsonata_eval(const sfn_jsonata *e, json_t *input,
                        json_t *bindings, const sfn_jsonata_opts *opts,
                        json_t **out, sfn_error *err)
{
    sfn_error local;
    if (!err)
        err = &local;
    if (!e || !out)
        return sfn_error_set(err, SFN_EINVAL, NULL, -1,
                             "sfn_jsonata_eval: %s is NULL",
                             e ? "out" : "expression");
    if (bindings && !json_is_object(bindings))
        return sfn_error_set(err, SFN_EINVAL, NULL, -1,
                             "sfn_jsonata_eval: bindings must be a JSON "
                             "object");
    return run(e, input, bindings, opts, out, err);
}

/* eval.c: the JSONata tree-walking evaluator's core: dispatch per node kind
 * with sequence normalisation, paths and steps (plain and tuple streams for
 * @ # %), predicates, wildcards, descendants, object constructors and
 * group-by, sorting.  Mirrors jsonata-js 2.0.6's evaluate() so results and
 * error codes agree; operators and calls live in eval_ops.c / eval_call.c. */
#include "jsonata_eval.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* C stack the evaluator may use below its entry point; a deeper
 * evaluation fails with U1001 rather than crashing. */
#define STACK_BYTES_MAX ((uintptr_t)6 << 20)

/* ==== Frames ==== */

jframe *sfn__jn_frame(jctx *c, jframe *parent)
{
    jframe *f = sfn__jn_alloc(c, sizeof *f);
    f->parent = parent;
    return f;
}

void sfn__jn_bind(jctx *c, jframe *f, const char *name, jv v)
{
    jbind *b = sfn__jn_alloc(c, sizeof *b);
    b->name = name;
    b->v = v;
    b->next = f->head;
    f->head = b;
}

static void bind_label(jctx *c, jbind **head, int label, jv v)
{
    jbind *b = sfn__jn_alloc(c, sizeof *b);
    b->label = label;
    b->v = v;
    b->next = *head;
    *head = b;
}

static void bind_name(jctx *c, jbind **head, const char *name, jv v)
{
    jbind *b = sfn__jn_alloc(c, sizeof *b);
    b->name = name;
    b->v = v;
    b->next = *head;
    *head = b;
}

bool sfn__jn_lookup(jframe *f, const char *name, jv *out)
{
    for (; f; f = f->parent)
        for (jbind *b = f->head; b; b = b->next)
            if (b->name && (b->name == name || strcmp(b->name, name) == 0)) {
                *out = b->v;
                return true;
            }
    *out = jv_undef();
    return false;
}

static jv lookup_label(jframe *f, int label)
{
    for (; f; f = f->parent)
        for (jbind *b = f->head; b; b = b->next)
            if (!b->name && b->label == label)
                return b->v;
    return jv_undef();
}

static jframe *tuple_frame(jctx *c, jframe *env, jv tuple)
{
    jframe *f = sfn__jn_frame(c, env);
    if (tuple.k == JV_TUPLE)
        f->head = tuple.u.t->b;
    return f;
}

static jv tuple_new(jctx *c, jv at, jbind *b)
{
    jtuple *t = sfn__jn_alloc(c, sizeof *t);
    t->at = at;
    t->b = b;
    jv v = {0};
    v.k = JV_TUPLE;
    v.u.t = t;
    return v;
}

static jv tuple_at(jv t)
{
    return t.k == JV_TUPLE ? t.u.t->at : t;
}

/* ==== Limits ==== */

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void sfn__jn_tick(jctx *c, long pos)
{
    if ((++c->tick & 1023) == 0 && now_ns() > c->deadline_ns)
        sfn__jn_throw_rc(c, SFN_ELIMIT, "U1002", pos,
                         "Expression evaluation timeout: Check for infinite "
                         "loop");
}

static void enter(jctx *c, const sfn_jn_node *n)
{
    uintptr_t here = (uintptr_t)__builtin_frame_address(0);
    if (++c->depth > c->depth_max ||
        (c->stack_base > here && c->stack_base - here > STACK_BYTES_MAX))
        sfn__jn_throw_rc(c, SFN_ELIMIT, "U1001", n->pos,
                         "Stack overflow error: Check for non-terminating "
                         "recursive function.  Consider rewriting as "
                         "tail-recursive.");
    sfn__jn_tick(c, n->pos);
}

/* ==== Names, wildcards, descendants ==== */

/* jsonata-js fn.lookup: field of an object, mapped over arrays. */
static void lookup_into(jctx *c, jv input, const char *k, size_t kl,
                        jarr *out)
{
    size_t n = sfn__jn_alen(input);
    for (size_t i = 0; i < n; i++) {
        jv e = sfn__jn_aget(input, i);
        jv r;
        if (jv_is_array(e)) {
            jarr *sub = sfn__jn_arr_new(c, 0, JA_SEQ);
            lookup_into(c, e, k, kl, sub);
            r = jv_arr(sub);
        } else {
            sfn__jn_get(e, k, kl, &r);
        }
        if (jv_is_array(r)) {
            size_t m = sfn__jn_alen(r);
            for (size_t j = 0; j < m; j++)
                sfn__jn_arr_push(c, out, sfn__jn_aget(r, j));
        } else if (!jv_is_undef(r)) {
            sfn__jn_arr_push(c, out, r);
        }
    }
}

jv sfn__jn_field(jctx *c, jv input, const char *k, size_t kl)
{
    if (jv_is_array(input)) {
        jarr *out = sfn__jn_arr_new(c, 0, JA_SEQ);
        lookup_into(c, input, k, kl, out);
        return jv_arr(out);
    }
    jv r;
    sfn__jn_get(input, k, kl, &r);
    return r;
}

static void flatten_into(jctx *c, jv v, jarr *out)
{
    if (jv_is_array(v)) {
        size_t n = sfn__jn_alen(v);
        for (size_t i = 0; i < n; i++)
            flatten_into(c, sfn__jn_aget(v, i), out);
    } else {
        sfn__jn_arr_push(c, out, v);
    }
}

static jv wildcard(jctx *c, jv input)
{
    jarr *out = sfn__jn_arr_new(c, 0, JA_SEQ);
    if (jv_has(input, JA_OUTER) && input.u.a->n)
        input = input.u.a->v[0];
    if (jv_is_obj(input)) {
        jiter it;
        const char *k;
        size_t kl;
        jv v;
        sfn__jn_iter_init(&it, input);
        while (sfn__jn_iter_next(&it, &k, &kl, &v)) {
            if (jv_is_array(v))
                flatten_into(c, v, out);
            else
                sfn__jn_arr_push(c, out, v);
        }
    } else if (jv_is_array(input)) {
        /* Object.keys of an array: its elements, arrays flattened */
        size_t n = sfn__jn_alen(input);
        for (size_t i = 0; i < n; i++) {
            jv v = sfn__jn_aget(input, i);
            if (jv_is_array(v))
                flatten_into(c, v, out);
            else
                sfn__jn_arr_push(c, out, v);
        }
    }
    return jv_arr(out);
}

static void descend(jctx *c, jv v, jarr *out, int depth)
{
    if (depth > SFN_JSONATA_DEPTH_MAX * 4)
        sfn__jn_throw_rc(c, SFN_ELIMIT, "U1001", -1,
                         "Input nested too deeply for **");
    if (jv_is_array(v)) {
        size_t n = sfn__jn_alen(v);
        for (size_t i = 0; i < n; i++)
            descend(c, sfn__jn_aget(v, i), out, depth + 1);
        return;
    }
    sfn__jn_arr_push(c, out, v);
    if (jv_is_obj(v)) {
        jiter it;
        const char *k;
        size_t kl;
        jv e;
        sfn__jn_iter_init(&it, v);
        while (sfn__jn_iter_next(&it, &k, &kl, &e))
            descend(c, e, out, depth + 1);
    }
}

static jv descendants(jctx *c, jv input)
{
    if (jv_is_undef(input))
        return input;
    jarr *out = sfn__jn_arr_new(c, 0, JA_SEQ);
    descend(c, input, out, 0);
    return out->n == 1 ? out->v[0] : jv_arr(out);
}

/* ==== Predicates ==== */

static long index_of(double d, size_t n)
{
    double i = floor(d);
    if (i < 0)
        i += (double)n;
    return i < 0 || i >= (double)n ? -1 : (long)i;
}

static jv filter(jctx *c, const sfn_jn_node *pred, jv input, jframe *env)
{
    bool tuples = jv_has(input, JA_TUPLES);
    jarr *res = sfn__jn_arr_new(c, 0, JA_SEQ | (tuples ? JA_TUPLES : 0));
    if (!jv_is_array(input))
        input = sfn__jn_seq1(c, input);
    size_t n = sfn__jn_alen(input);
    if (pred->kind == SFN_JN_NUMBER) {
        long i = index_of(pred->num, n);
        if (i >= 0) {
            jv item = sfn__jn_aget(input, (size_t)i);
            if (jv_is_array(item))
                return item;
            sfn__jn_arr_push(c, res, item);
        }
        return jv_arr(res);
    }
    for (size_t i = 0; i < n; i++) {
        jv item = sfn__jn_aget(input, i);
        jv ctx = item;
        jframe *e = env;
        if (tuples) {
            ctx = tuple_at(item);
            e = tuple_frame(c, env, item);
        }
        jv r = sfn__jn_eval(c, pred, ctx, e);
        if (r.k == JV_NUM)
            r = sfn__jn_seq1(c, r);
        if (sfn__jn_is_array_of(r, JV_NUM)) {
            size_t m = sfn__jn_alen(r);
            for (size_t j = 0; j < m; j++)
                if (index_of(sfn__jn_aget(r, j).u.n, n) == (long)i)
                    sfn__jn_arr_push(c, res, item);
        } else if (sfn__jn_truthy(r)) {
            sfn__jn_arr_push(c, res, item);
        }
    }
    return jv_arr(res);
}

/* ==== Sorting ==== */

typedef struct sort_item {
    jv v;
    jv *keys;
} sort_item;

typedef struct sorter {
    jctx *c;
    const sfn_jn_node *sort;
} sorter;

/* jsonata-js's comparator: true when a must come after b. */
static bool after(sorter *s, const sort_item *a, const sort_item *b)
{
    const sfn_jn_list *terms = &s->sort->items;
    int comp = 0;
    for (size_t t = 0; comp == 0 && t < terms->n; t++) {
        jv aa = a->keys[t], bb = b->keys[t];
        if (jv_is_undef(aa)) {
            comp = jv_is_undef(bb) ? 0 : 1;
            continue;
        }
        if (jv_is_undef(bb)) {
            comp = -1;
            continue;
        }
        bool aok = aa.k == JV_STR || aa.k == JV_NUM;
        bool bok = bb.k == JV_STR || bb.k == JV_NUM;
        if (!aok || !bok)
            sfn__jn_throw(s->c, "T2008", s->sort->pos,
                          "The expressions within an order-by clause must "
                          "evaluate to numeric or string values: %s",
                          sfn__jn_describe(s->c, aok ? bb : aa));
        if (aa.k != bb.k)
            sfn__jn_throw(s->c, "T2007", s->sort->pos,
                          "Type mismatch within order-by clause. All values "
                          "must be of the same type: %s and %s",
                          sfn__jn_describe(s->c, aa),
                          sfn__jn_describe(s->c, bb));
        if (aa.k == JV_NUM) {
            comp = aa.u.n == bb.u.n ? 0 : aa.u.n < bb.u.n ? -1 : 1;
        } else {
            size_t m = aa.len < bb.len ? aa.len : bb.len;
            int r = memcmp(aa.u.s, bb.u.s, m);
            comp = r ? (r < 0 ? -1 : 1)
                     : aa.len == bb.len ? 0 : aa.len < bb.len ? -1 : 1;
        }
        if (terms->v[t]->descending)
            comp = -comp;
    }
    return comp == 1;
}

static void merge_sort(sorter *s, sort_item *v, sort_item *tmp, size_t n)
{
    if (n <= 1)
        return;
    size_t mid = n / 2;
    merge_sort(s, v, tmp, mid);
    merge_sort(s, v + mid, tmp, n - mid);
    size_t i = 0, j = mid, k = 0;
    while (i < mid && j < n)
        tmp[k++] = after(s, &v[i], &v[j]) ? v[j++] : v[i++];
    while (i < mid)
        tmp[k++] = v[i++];
    while (j < n)
        tmp[k++] = v[j++];
    memcpy(v, tmp, n * sizeof *v);
}

static jv sort_expr(jctx *c, const sfn_jn_node *sort, jv input, jframe *env)
{
    size_t n = sfn__jn_alen(input);
    if (n <= 1)
        return input;
    bool tuples = jv_has(input, JA_TUPLES);
    size_t nt = sort->items.n;
    sort_item *items = sfn__jn_alloc(c, 2 * n * sizeof *items);
    for (size_t i = 0; i < n; i++) {
        jv item = sfn__jn_aget(input, i);
        jv ctx = tuples ? tuple_at(item) : item;
        jframe *e = tuples ? tuple_frame(c, env, item) : env;
        items[i].v = item;
        items[i].keys = sfn__jn_alloc(c, nt * sizeof(jv));
        for (size_t t = 0; t < nt; t++)
            items[i].keys[t] = sfn__jn_eval(c, sort->items.v[t]->expr, ctx, e);
    }
    sorter s = {c, sort};
    merge_sort(&s, items, items + n, n);
    jarr *out = sfn__jn_arr_new(c, n, tuples ? JA_SEQ | JA_TUPLES : 0);
    for (size_t i = 0; i < n; i++)
        out->v[out->n++] = items[i].v;
    return jv_arr(out);
}

/* ==== Steps and paths ==== */

static jv stages(jctx *c, const sfn_jn_list *st, jv r, jframe *env)
{
    for (size_t s = 0; s < st->n; s++) {
        const sfn_jn_node *stage = st->v[s];
        if (stage->kind == SFN_JN_FILTER) {
            r = filter(c, stage->expr, r, env);
        } else if (stage->kind == SFN_JN_INDEX) {
            size_t n = sfn__jn_alen(r);
            for (size_t i = 0; i < n; i++) {
                jv t = sfn__jn_aget(r, i);
                if (t.k == JV_TUPLE)
                    bind_name(c, &t.u.t->b, stage->str, jv_num((double)i));
            }
        }
    }
    return r;
}

static jv eval_step(jctx *c, const sfn_jn_node *step, jv input, jframe *env,
                    bool last)
{
    if (step->kind == SFN_JN_SORT) {
        jv r = sort_expr(c, step, input, env);
        return step->stages.n ? stages(c, &step->stages, r, env) : r;
    }
    size_t n = sfn__jn_alen(input);
    jarr *res = sfn__jn_arr_new(c, n, JA_SEQ);
    bool flat = true;
    for (size_t i = 0; i < n; i++) {
        jv r = sfn__jn_eval(c, step, sfn__jn_aget(input, i), env);
        for (size_t s = 0; s < step->stages.n; s++)
            r = filter(c, step->stages.v[s]->expr, r, env);
        if (jv_is_undef(r))
            continue;
        if (jv_is_array(r) && !jv_has(r, JA_CONS))
            flat = false;
        sfn__jn_arr_push(c, res, r);
    }
    if (last && res->n == 1 && jv_is_array(res->v[0]) &&
        !jv_is_seq(res->v[0]))
        return res->v[0];
    if (flat)
        return jv_arr(res);
    jarr *out = sfn__jn_arr_new(c, res->n, JA_SEQ);
    for (size_t i = 0; i < res->n; i++) {
        jv r = res->v[i];
        if (!jv_is_array(r) || jv_has(r, JA_CONS)) {
            sfn__jn_arr_push(c, out, r);
        } else {
            size_t m = sfn__jn_alen(r);
            for (size_t j = 0; j < m; j++)
                sfn__jn_arr_push(c, out, sfn__jn_aget(r, j));
        }
    }
    return jv_arr(out);
}

static jv tuple_sort_step(jctx *c, const sfn_jn_node *step, jv input,
                          jv tb, jframe *env)
{
    jv r;
    if (!jv_is_undef(tb)) {
        r = sort_expr(c, step, tb, env);
    } else {
        jv sorted = sort_expr(c, step, input, env);
        size_t n = sfn__jn_alen(sorted);
        jarr *out = sfn__jn_arr_new(c, n, JA_SEQ | JA_TUPLES);
        for (size_t i = 0; i < n; i++) {
            jbind *b = NULL;
            if (step->index)
                bind_name(c, &b, step->index, jv_num((double)i));
            out->v[out->n++] = tuple_new(c, sfn__jn_aget(sorted, i), b);
        }
        r = jv_arr(out);
    }
    return step->stages.n ? stages(c, &step->stages, r, env) : r;
}

static jbind *merge_binds(jctx *c, jbind *base, jbind *add)
{
    /* Object.assign(tuple, res[bb]): add's entries win. */
    jbind *stack[64];
    size_t n = 0;
    for (jbind *b = add; b; b = b->next) {
        if (n == sizeof stack / sizeof stack[0])
            break;
        stack[n++] = b;
    }
    while (n--) {
        jbind *nb = sfn__jn_alloc(c, sizeof *nb);
        *nb = *stack[n];
        nb->next = base;
        base = nb;
    }
    return base;
}

static jv eval_tuple_step(jctx *c, const sfn_jn_node *step, jv input, jv tb,
                          jframe *env)
{
    if (step->kind == SFN_JN_SORT)
        return tuple_sort_step(c, step, input, tb, env);
    if (jv_is_undef(tb)) {
        size_t n = sfn__jn_alen(input);
        jarr *t = sfn__jn_arr_new(c, n, JA_SEQ | JA_TUPLES);
        for (size_t i = 0; i < n; i++)
            t->v[t->n++] = tuple_new(c, sfn__jn_aget(input, i), NULL);
        tb = jv_arr(t);
    }
    jarr *out = sfn__jn_arr_new(c, 0, JA_SEQ | JA_TUPLES);
    size_t n = sfn__jn_alen(tb);
    for (size_t e = 0; e < n; e++) {
        jv t = sfn__jn_aget(tb, e);
        jtuple *tt = t.u.t;
        jv r = sfn__jn_eval(c, step, tt->at, tuple_frame(c, env, t));
        if (jv_is_undef(r))
            continue;
        bool rt = jv_has(r, JA_TUPLES);
        size_t m = jv_is_array(r) ? sfn__jn_alen(r) : 1;
        for (size_t bb = 0; bb < m; bb++) {
            jv item = jv_is_array(r) ? sfn__jn_aget(r, bb) : r;
            jbind *b = tt->b;
            jv at;
            if (rt) {
                b = merge_binds(c, b, item.u.t->b);
                at = item.u.t->at;
            } else {
                if (step->focus) {
                    bind_name(c, &b, step->focus, item);
                    at = tt->at;
                } else {
                    at = item;
                }
                if (step->index)
                    bind_name(c, &b, step->index, jv_num((double)bb));
                if (step->ancestor)
                    bind_label(c, &b, step->ancestor->label, tt->at);
            }
            sfn__jn_arr_push(c, out, tuple_new(c, at, b));
        }
    }
    jv res = jv_arr(out);
    return step->stages.n ? stages(c, &step->stages, res, env) : res;
}

static jv group(jctx *c, const sfn_jn_pairs *p, jv input, jframe *env,
                long pos);

static jv eval_path(jctx *c, const sfn_jn_node *path, jv input, jframe *env)
{
    const sfn_jn_list *steps = &path->items;
    jv inseq;
    if (jv_is_array(input) && steps->v[0]->kind != SFN_JN_VARIABLE)
        inseq = input;
    else
        inseq = sfn__jn_seq1(c, input);
    jv rs = jv_undef(), tb = jv_undef();
    bool tuple = false;
    for (size_t i = 0; i < steps->n; i++) {
        const sfn_jn_node *step = steps->v[i];
        if (step->tuple)
            tuple = true;
        if (i == 0 && step->consarray)
            rs = sfn__jn_eval(c, step, inseq, env);
        else if (tuple)
            tb = eval_tuple_step(c, step, inseq, tb, env);
        else
            rs = eval_step(c, step, inseq, env, i == steps->n - 1);
        if (!tuple && (jv_is_undef(rs) ||
                       (jv_is_array(rs) && sfn__jn_alen(rs) == 0)))
            break;
        if (!step->focus)
            inseq = rs;
    }
    if (tuple) {
        if (path->tuple) {
            rs = tb;
        } else {
            size_t n = sfn__jn_alen(tb);
            jarr *out = sfn__jn_arr_new(c, n, JA_SEQ);
            for (size_t i = 0; i < n; i++)
                out->v[out->n++] = tuple_at(sfn__jn_aget(tb, i));
            rs = jv_arr(out);
        }
    }
    if (path->keep_singleton_array) {
        if (jv_has(rs, JA_CONS) && !jv_is_seq(rs))
            rs = sfn__jn_seq1(c, rs);
        if (rs.k == JV_ARR)
            rs.u.a->flags |= JA_KEEP;
    }
    if (path->group)
        rs = group(c, path->group, tuple ? tb : rs, env, path->group->pos);
    return rs;
}

/* ==== Object constructors and group-by ==== */

typedef struct grp {
    jv data;
    size_t expr;
    bool owned; /* data is an array this group made and may grow */
} grp;

/* fn.append(g->data, item) without copying what was gathered so far. */
static void grp_add(jctx *c, grp *g, jv item)
{
    if (!g->owned) {
        jarr *a = sfn__jn_arr_new(c, 4, 0);
        if (jv_is_array(g->data)) {
            size_t n = sfn__jn_alen(g->data);
            for (size_t i = 0; i < n; i++)
                sfn__jn_arr_push(c, a, sfn__jn_aget(g->data, i));
        } else {
            sfn__jn_arr_push(c, a, g->data);
        }
        g->data = jv_arr(a);
        g->owned = true;
    }
    if (jv_is_array(item)) {
        size_t n = sfn__jn_alen(item);
        for (size_t i = 0; i < n; i++)
            sfn__jn_arr_push(c, g->data.u.a, sfn__jn_aget(item, i));
    } else if (!jv_is_undef(item)) {
        sfn__jn_arr_push(c, g->data.u.a, item);
    }
}

/* Key under which reduce_tuples collects a binding: its name, or for an
 * ancestor label "\x01<label>". */
static const char *bind_key(jctx *c, const jbind *b, size_t *kl)
{
    if (b->name) {
        *kl = strlen(b->name);
        return b->name;
    }
    char tmp[24];
    int n = snprintf(tmp, sizeof tmp, "\x01%d", b->label);
    *kl = (size_t)n;
    return sfn__jn_strdup(c, tmp, (size_t)n);
}

/* jsonata-js reduceTupleStream: one tuple whose every binding is the
 * append of that binding across the group; returns its '@'. */
static jv reduce_tuples(jctx *c, jv data, jframe *env, jframe **out_env)
{
    if (!jv_is_array(data)) {
        *out_env = tuple_frame(c, env, data);
        return tuple_at(data);
    }
    size_t n = sfn__jn_alen(data);
    jv at = jv_undef();
    jobj *names = sfn__jn_obj_new(c, 0);
    for (size_t i = 0; i < n; i++) {
        jv t = sfn__jn_aget(data, i);
        at = i ? sfn__jn_append(c, at, tuple_at(t)) : tuple_at(t);
        if (t.k != JV_TUPLE)
            continue;
        /* A tuple holds one value per name: its newest binding. */
        jobj *seen = sfn__jn_obj_new(c, 0);
        for (jbind *b = t.u.t->b; b; b = b->next) {
            size_t kl;
            const char *k = bind_key(c, b, &kl);
            jv prev;
            if (sfn__jn_get(jv_obj(seen), k, kl, &prev))
                continue;
            sfn__jn_obj_set(c, seen, k, kl, jv_bool(true));
            sfn__jn_get(jv_obj(names), k, kl, &prev);
            sfn__jn_obj_set(c, names, k, kl,
                            i ? sfn__jn_append(c, prev, b->v) : b->v);
        }
    }
    jframe *f = sfn__jn_frame(c, env);
    for (size_t i = 0; i < names->n; i++) {
        if (names->ks[i][0] == '\x01')
            bind_label(c, &f->head, atoi(names->ks[i] + 1), names->vs[i]);
        else
            sfn__jn_bind(c, f, names->ks[i], names->vs[i]);
    }
    *out_env = f;
    return at;
}

static jv group(jctx *c, const sfn_jn_pairs *p, jv input, jframe *env,
                long pos)
{
    bool reduce = jv_has(input, JA_TUPLES);
    if (!jv_is_array(input))
        input = sfn__jn_seq1(c, input);
    size_t n = sfn__jn_alen(input);
    jobj *keys = sfn__jn_obj_new(c, 0);
    grp *groups = NULL;
    size_t ng = 0, capg = 0;
    for (size_t i = 0; i < (n ? n : 1); i++) {
        jv item = n ? sfn__jn_aget(input, i) : jv_undef();
        jframe *e = reduce ? tuple_frame(c, env, item) : env;
        jv ctx = reduce ? tuple_at(item) : item;
        for (size_t pi = 0; pi < p->keys.n; pi++) {
            jv key = sfn__jn_eval(c, p->keys.v[pi], ctx, e);
            if (jv_is_undef(key))
                continue;
            if (key.k != JV_STR)
                sfn__jn_throw(c, "T1003", pos,
                              "Key in object structure must evaluate to a "
                              "string; got: %s",
                              sfn__jn_describe(c, key));
            jv at;
            if (sfn__jn_get(jv_obj(keys), key.u.s, key.len, &at)) {
                grp *g = &groups[(size_t)at.u.n];
                if (g->expr != pi)
                    sfn__jn_throw(c, "D1009", pos,
                                  "Multiple key definitions evaluate to "
                                  "same key: %.*s",
                                  (int)key.len, key.u.s);
                if (jv_is_undef(g->data))
                    g->data = item;
                else
                    grp_add(c, g, item);
                continue;
            }
            if (ng == capg) {
                size_t ncap = capg ? capg * 2 : 8;
                grp *ngs = sfn__jn_alloc(c, ncap * sizeof *ngs);
                if (ng)
                    memcpy(ngs, groups, ng * sizeof *ngs);
                groups = ngs;
                capg = ncap;
            }
            groups[ng] = (grp){item, pi, false};
            sfn__jn_obj_set(c, keys, key.u.s, key.len, jv_num((double)ng));
            ng++;
        }
    }
    jobj *out = sfn__jn_obj_new(c, ng);
    for (size_t g = 0; g < ng; g++) {
        jv ctx = groups[g].data;
        jframe *e = env;
        if (reduce)
            ctx = reduce_tuples(c, groups[g].data, env, &e);
        jv v = sfn__jn_eval(c, p->values.v[groups[g].expr], ctx, e);
        if (!jv_is_undef(v))
            sfn__jn_obj_set(c, out, keys->ks[g], keys->kl[g], v);
    }
    return jv_obj(out);
}

/* ==== Other expressions ==== */

static jv array_cons(jctx *c, const sfn_jn_node *n, jv input, jframe *env)
{
    jarr *out = sfn__jn_arr_new(c, n->items.n, n->consarray ? JA_CONS : 0);
    for (size_t i = 0; i < n->items.n; i++) {
        const sfn_jn_node *item = n->items.v[i];
        jv v = sfn__jn_eval(c, item, input, env);
        if (jv_is_undef(v))
            continue;
        if (item->kind == SFN_JN_ARRAY || !jv_is_array(v)) {
            sfn__jn_arr_push(c, out, v);
        } else {
            size_t m = sfn__jn_alen(v);
            for (size_t j = 0; j < m; j++)
                sfn__jn_arr_push(c, out, sfn__jn_aget(v, j));
        }
    }
    return jv_arr(out);
}

static jv block(jctx *c, const sfn_jn_node *n, jv input, jframe *env)
{
    jframe *f = sfn__jn_frame(c, env);
    jv r = jv_undef();
    for (size_t i = 0; i < n->items.n; i++)
        r = sfn__jn_eval(c, n->items.v[i], input, f);
    return r;
}

static jv variable(jctx *c, const sfn_jn_node *n, jv input, jframe *env)
{
    if (n->str[0] == '\0')
        return jv_has(input, JA_OUTER) && input.u.a->n ? input.u.a->v[0]
                                                       : input;
    jv v;
    if (sfn__jn_lookup(env, n->str, &v))
        return v;
    return sfn__jn_builtin(c, n->str);
}

static jv negate(jctx *c, const sfn_jn_node *n, jv input, jframe *env)
{
    jv v = sfn__jn_eval(c, n->expr, input, env);
    if (jv_is_undef(v))
        return v;
    if (v.k != JV_NUM)
        sfn__jn_throw(c, "D1002", n->pos,
                      "Cannot negate a non-numeric value: %s",
                      sfn__jn_describe(c, v));
    sfn__jn_check_number(c, v.u.n, n->pos);
    return jv_num(-v.u.n);
}

static jv condition(jctx *c, const sfn_jn_node *n, jv input, jframe *env)
{
    jv cond = sfn__jn_eval(c, n->cond, input, env);
    if (sfn__jn_truthy(cond))
        return sfn__jn_eval(c, n->then_, input, env);
    if (n->else_)
        return sfn__jn_eval(c, n->else_, input, env);
    return jv_undef();
}

static jv regex_value(jctx *c, const sfn_jn_node *n)
{
    jfn *f = sfn__jn_alloc(c, sizeof *f);
    f->kind = JF_REGEX;
    f->node = n;
    return jv_fn(f);
}

static jv dispatch(jctx *c, const sfn_jn_node *n, jv input, jframe *env)
{
    switch (n->kind) {
    case SFN_JN_PATH:
        return eval_path(c, n, input, env);
    case SFN_JN_BINARY:
        return sfn__jn_eval_binary(c, n, input, env);
    case SFN_JN_NEGATE:
        return negate(c, n, input, env);
    case SFN_JN_ARRAY:
        return array_cons(c, n, input, env);
    case SFN_JN_OBJECT:
        return group(c, n->pairs, input, env, n->pos);
    case SFN_JN_NAME:
        return sfn__jn_field(c, input, n->str, n->len);
    case SFN_JN_STRING:
        return jv_str(n->str, n->len);
    case SFN_JN_NUMBER:
        return jv_num(n->num);
    case SFN_JN_VALUE:
        return n->value == SFN_JV_NULL ? jv_null()
                                       : jv_bool(n->value == SFN_JV_TRUE);
    case SFN_JN_WILDCARD:
        return wildcard(c, input);
    case SFN_JN_DESCENDANT:
        return descendants(c, input);
    case SFN_JN_PARENT:
        return lookup_label(env, n->slot->label);
    case SFN_JN_CONDITION:
        return condition(c, n, input, env);
    case SFN_JN_BLOCK:
        return block(c, n, input, env);
    case SFN_JN_BIND: {
        jv v = sfn__jn_eval(c, n->rhs, input, env);
        sfn__jn_bind(c, env, n->lhs->str, v);
        return v;
    }
    case SFN_JN_REGEX:
        return regex_value(c, n);
    case SFN_JN_FUNCTION:
        return sfn__jn_eval_call(c, n, input, env, NULL);
    case SFN_JN_VARIABLE:
        return variable(c, n, input, env);
    case SFN_JN_LAMBDA:
        return sfn__jn_eval_lambda(c, n, input, env);
    case SFN_JN_PARTIAL:
        return sfn__jn_eval_partial(c, n, input, env);
    case SFN_JN_APPLY:
        return sfn__jn_eval_apply(c, n, input, env);
    case SFN_JN_TRANSFORM:
        return sfn__jn_eval_transform(c, n, input, env);
    case SFN_JN_SORT:
        return sort_expr(c, n, jv_is_array(input) ? input
                                                  : sfn__jn_seq1(c, input),
                         env);
    default:
        sfn__jn_throw(c, "S0206", n->pos, "Unknown expression type: %s",
                      sfn__jsonata_kind_name(n->kind));
    }
}

jv sfn__jn_eval(jctx *c, const sfn_jn_node *n, jv input, jframe *env)
{
    enter(c, n);
    jv r = dispatch(c, n, input, env);
    for (size_t i = 0; i < n->predicate.n; i++)
        r = filter(c, n->predicate.v[i]->expr, r, env);
    if (n->kind != SFN_JN_PATH && n->group)
        r = group(c, n->group, r, env, n->group->pos);
    c->depth--;
    if (r.k == JV_ARR && (r.u.a->flags & JA_SEQ) &&
        !(r.u.a->flags & JA_TUPLES)) {
        if (n->keep_array)
            r.u.a->flags |= JA_KEEP;
        if (r.u.a->n == 0)
            return jv_undef();
        if (r.u.a->n == 1 && !(r.u.a->flags & JA_KEEP))
            return r.u.a->v[0];
    }
    return r;
}

/* eval_call.c: everything about functions in the JSONata evaluator: calls
 * (with the trampoline that runs tail calls in a loop), lambdas and
 * closures, partial application, ~> chaining and composition, signature
 * validation (T0410-T0412), the transform operator and the built-in table. */
#include "jsonata_eval.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* ==== Built-in table ==== */

static const jbuiltin *const tables[] = {
    sfn__jn_fn_string, sfn__jn_fn_numeric, sfn__jn_fn_array,
    sfn__jn_fn_object, sfn__jn_fn_regex,   sfn__jn_fn_misc,
};

typedef struct bi_entry {
    const jbuiltin *bi;
    sfn_jn_signature *sig;
    jfn fn; /* the function value, shared by every evaluation */
} bi_entry;

static bi_entry *entries;
static size_t nentries;
static sfn_jn_arena bi_arena;
static pthread_once_t bi_once = PTHREAD_ONCE_INIT;

/* Parses the built-ins' signatures once per process; they are constant
 * text, so a failure here is a bug in the table and leaves that built-in
 * unchecked rather than failing evaluations. */
static void bi_init(void)
{
    size_t n = 0;
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++)
        for (const jbuiltin *b = tables[t]; b->name; b++)
            n++;
    entries = calloc(n, sizeof *entries);
    if (!entries)
        return;
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++) {
        for (const jbuiltin *b = tables[t]; b->name; b++) {
            bi_entry *e = &entries[nentries++];
            e->bi = b;
            if (b->sig)
                sfn__jsonata_signature_parse(&bi_arena, b->sig, -1, &e->sig,
                                             NULL);
            e->fn.kind = JF_BUILTIN;
            e->fn.bi = b;
            e->fn.sig = e->sig;
        }
    }
}

jv sfn__jn_builtin(jctx *c, const char *name)
{
    pthread_once(&bi_once, bi_init);
    /* Later entries (Step Functions' overrides) win over earlier ones. */
    for (size_t i = nentries; i-- > 0;) {
        const jbuiltin *b = entries[i].bi;
        if (strcmp(b->name, name) != 0)
            continue;
        if ((b->avail == JB_AWS && !c->aws) ||
            (b->avail == JB_NOAWS && c->aws))
            continue;
        return jv_fn(&entries[i].fn);
    }
    return jv_undef();
}

/* ==== Signatures ==== */

static const char *allowed(const sfn_jn_sigparam *p)
{
    switch (p->type) {
    case 's':
        return "sm";
    case 'n':
        return "nm";
    case 'b':
        return "bm";
    case 'l':
        return "lm";
    case 'o':
        return "om";
    case 'a':
    case 'x':
        return "asnblfom";
    case 'f':
        return "f";
    case 'j':
        return "asnblom";
    default:
        return NULL; /* '(' : choice + m */
    }
}

static bool accepts(const sfn_jn_sigparam *p, char sym)
{
    const char *set = allowed(p);
    if (set)
        return strchr(set, sym) != NULL;
    return sym == 'm' || strchr(p->choice, sym) != NULL;
}

/* Backtracking match of the argument symbols against the parameters, as
 * jsonata-js's signature regex; cnt[i] = symbols taken by parameter i. */
static bool sig_match(const sfn_jn_signature *sig, size_t pi,
                      const char *syms, size_t at, size_t n, size_t *cnt)
{
    if (pi == sig->count)
        return at == n;
    const sfn_jn_sigparam *p = &sig->params[pi];
    size_t max = 0;
    while (at + max < n && accepts(p, syms[at + max]) &&
           (p->one_or_more || max < 1))
        max++;
    size_t min = (p->optional || p->context) ? 0 : 1;
    for (size_t k = max + 1; k-- > min;) {
        cnt[pi] = k;
        if (sig_match(sig, pi + 1, syms, at + k, n, cnt))
            return true;
        if (k == 0)
            break;
    }
    return false;
}

static const char *array_of(char t)
{
    switch (t) {
    case 's':
        return "strings";
    case 'n':
        return "numbers";
    case 'b':
        return "booleans";
    case 'o':
        return "objects";
    case 'f':
        return "functions";
    default:
        return "values";
    }
}

static void sig_error(jctx *c, const sfn_jn_signature *sig, jcall *call,
                      const char *syms)
{
    /* jsonata-js: find the first parameter whose prefix stops matching. */
    size_t good = 0;
    size_t n = strlen(syms);
    for (size_t pi = 0; pi < sig->count; pi++) {
        const sfn_jn_sigparam *p = &sig->params[pi];
        size_t k = 0;
        while (good + k < n && accepts(p, syms[good + k]) &&
               (p->one_or_more || k < 1))
            k++;
        if (k == 0 && !(p->optional || p->context))
            break;
        good += k;
    }
    sfn__jn_throw(c, "T0410", call->pos,
                  "Argument %zu of function \"%s\" does not match function "
                  "signature",
                  good + 1, call->name ? call->name : "");
}

static jv check_array_arg(jctx *c, const sfn_jn_sigparam *p, jv arg, char sym,
                          const char *match, size_t index, jcall *call)
{
    if (sym == 'm')
        return jv_undef();
    bool ok = true;
    if (p->subtype) {
        if (sym != 'a' && strcmp(match, p->subtype) != 0) {
            ok = false;
        } else if (sym == 'a' && arg.k == JV_JARR &&
                   json_array_size(arg.u.j) > 0) {
            /* an input array: check the JSON values in place */
            size_t n = json_array_size(arg.u.j);
            char t = sfn__jn_json_symbol(json_array_get(arg.u.j, 0));
            ok = t == p->subtype[0];
            for (size_t i = 1; ok && i < n; i++)
                ok = sfn__jn_json_symbol(json_array_get(arg.u.j, i)) == t;
        } else if (sym == 'a' && sfn__jn_alen(arg) > 0) {
            char t = sfn__jn_symbol(sfn__jn_aget(arg, 0));
            size_t n = sfn__jn_alen(arg);
            ok = t == p->subtype[0];
            for (size_t i = 1; ok && i < n; i++)
                ok = sfn__jn_symbol(sfn__jn_aget(arg, i)) == t;
        }
    }
    if (!ok)
        sfn__jn_throw(c, "T0412", call->pos,
                      "Argument %zu of function \"%s\" must be an array of "
                      "%s",
                      index, call->name ? call->name : "",
                      array_of(p->subtype[0]));
    if (sym == 'a')
        return arg;
    jarr *one = sfn__jn_arr_new(c, 1, 0);
    one->v[one->n++] = arg;
    return jv_arr(one);
}

/* Validates call->args against sig, replacing them with the validated
 * list (context inserted for `-`, singletons wrapped for `a`). */
static void validate(jctx *c, const sfn_jn_signature *sig, jcall *call)
{
    char syms_buf[64];
    char *syms = call->n < sizeof syms_buf
                     ? syms_buf
                     : sfn__jn_alloc(c, call->n + 1);
    for (size_t i = 0; i < call->n; i++)
        syms[i] = sfn__jn_symbol(call->args[i]);
    syms[call->n] = '\0';
    size_t cnt_buf[16];
    size_t *cnt = sig->count <= 16 ? cnt_buf
                                   : sfn__jn_alloc(c, sig->count * sizeof *cnt);
    if (!sig_match(sig, 0, syms, 0, call->n, cnt))
        sig_error(c, sig, call, syms);
    jv *out = sfn__jn_alloc(c, (call->n + sig->count + 1) * sizeof *out);
    size_t no = 0, ai = 0;
    for (size_t pi = 0; pi < sig->count; pi++) {
        const sfn_jn_sigparam *p = &sig->params[pi];
        if (cnt[pi] == 0) {
            if (p->context) {
                char t = sfn__jn_symbol(call->input);
                if (!accepts(p, t))
                    sfn__jn_throw(c, "T0411", call->pos,
                                  "Context value is not a compatible type "
                                  "with argument %zu of function \"%s\"",
                                  ai + 1, call->name ? call->name : "");
                out[no++] = call->input;
            } else {
                out[no++] = ai < call->n ? call->args[ai] : jv_undef();
                ai++;
            }
            continue;
        }
        char match[64];
        size_t ml = cnt[pi] < sizeof match ? cnt[pi] : sizeof match - 1;
        memcpy(match, syms + ai, ml);
        match[ml] = '\0';
        for (size_t k = 0; k < cnt[pi]; k++, ai++) {
            jv arg = call->args[ai];
            if (p->type == 'a')
                arg = check_array_arg(c, p, arg, syms[ai], match, ai + 1,
                                      call);
            out[no++] = arg;
        }
    }
    call->args = out;
    call->n = no;
}

/* ==== Application ==== */

static jv apply_inner(jctx *c, jv proc, jcall *call);

static jv apply_lambda(jctx *c, jfn *f, jcall *call)
{
    jframe *env = sfn__jn_frame(c, f->env);
    for (size_t i = 0; i < f->nparams; i++)
        sfn__jn_bind(c, env, f->params[i]->str,
                     i < call->n ? call->args[i] : jv_undef());
    return sfn__jn_eval(c, f->node->body, f->input, env);
}

static jv apply_partial(jctx *c, jfn *f, jcall *call)
{
    jv *args = sfn__jn_alloc(c, (f->nargs + 1) * sizeof *args);
    size_t next = 0;
    for (size_t i = 0; i < f->nargs; i++)
        args[i] = f->holes[i] ? (next < call->n ? call->args[next++]
                                                : jv_undef())
                              : f->args[i];
    jcall inner = *call;
    inner.args = args;
    inner.n = f->nargs;
    return apply_inner(c, jv_fn(f->f), &inner);
}

static jv apply_compose(jctx *c, jfn *f, jcall *call)
{
    jv x = sfn__jn_apply(c, jv_fn(f->f), call->args, call->n, jv_undef(),
                         call->env, call->pos, call->name);
    return sfn__jn_apply(c, jv_fn(f->g), &x, 1, jv_undef(), call->env,
                         call->pos, call->name);
}

static jv transform_apply(jctx *c, jfn *f, jcall *call);

static jv apply_inner(jctx *c, jv proc, jcall *call)
{
    if (proc.k != JV_FN)
        sfn__jn_throw(c, "T1006", call->pos,
                      "Attempted to invoke a non-function%s%s",
                      call->name ? ": " : "", call->name ? call->name : "");
    jfn *f = proc.u.f;
    if (f->sig)
        validate(c, f->sig, call);
    switch (f->kind) {
    case JF_BUILTIN: {
        jcall inner = *call;
        inner.name = f->bi->name;
        return f->bi->fn(c, &inner);
    }
    case JF_LAMBDA:
        return apply_lambda(c, f, call);
    case JF_PARTIAL:
        return apply_partial(c, f, call);
    case JF_COMPOSE:
        return apply_compose(c, f, call);
    case JF_TRANSFORM:
        return transform_apply(c, f, call);
    case JF_REGEX:
    case JF_REGEX_NEXT:
        return sfn__jn_regex_call(c, f, jarg(call, 0), call->pos);
    }
    return jv_undef();
}

static const char *proc_name(const sfn_jn_node *p)
{
    if (p->kind == SFN_JN_PATH && p->items.n)
        return p->items.v[0]->str;
    return p->kind == SFN_JN_VARIABLE ? p->str : NULL;
}

jv sfn__jn_apply(jctx *c, jv proc, jv *args, size_t n, jv input,
                 jframe *env, long pos, const char *name)
{
    jcall call = {args, n, input, env, pos, name};
    jv r = apply_inner(c, proc, &call);
    /* Trampoline: a lambda body ending in a call returns a thunk, run
     * here so tail recursion does not grow the C stack. */
    while (r.k == JV_FN && r.u.f->kind == JF_LAMBDA && r.u.f->thunk) {
        jfn *t = r.u.f;
        const sfn_jn_node *callnode = t->node->body;
        jv next = sfn__jn_eval(c, callnode->procedure, t->input, t->env);
        size_t na = callnode->items.n;
        jv *a = sfn__jn_alloc(c, (na + 1) * sizeof *a);
        for (size_t i = 0; i < na; i++)
            a[i] = sfn__jn_eval(c, callnode->items.v[i], t->input, t->env);
        jcall nc = {a, na, input, env, callnode->pos,
                    proc_name(callnode->procedure)};
        sfn__jn_tick(c, callnode->pos);
        r = apply_inner(c, next, &nc);
    }
    return r;
}

jv sfn__jn_eval_call(jctx *c, const sfn_jn_node *n, jv input, jframe *env,
                     const jv *applyto)
{
    jv proc = sfn__jn_eval(c, n->procedure, input, env);
    const char *name = proc_name(n->procedure);
    if (jv_is_undef(proc) && n->procedure->kind == SFN_JN_PATH && name) {
        jv probe;
        if (sfn__jn_lookup(env, name, &probe) ||
            !jv_is_undef(sfn__jn_builtin(c, name)))
            sfn__jn_throw(c, "T1005", n->pos,
                          "Attempted to invoke a non-function. Did you mean "
                          "${%s}?",
                          name);
    }
    size_t na = n->items.n + (applyto ? 1 : 0);
    jv *args = sfn__jn_alloc(c, (na + 1) * sizeof *args);
    size_t k = 0;
    if (applyto)
        args[k++] = *applyto;
    for (size_t i = 0; i < n->items.n; i++)
        args[k++] = sfn__jn_eval(c, n->items.v[i], input, env);
    return sfn__jn_apply(c, proc, args, na, input, env, n->pos, name);
}

jv sfn__jn_eval_lambda(jctx *c, const sfn_jn_node *n, jv input, jframe *env)
{
    jfn *f = sfn__jn_alloc(c, sizeof *f);
    f->kind = JF_LAMBDA;
    f->node = n;
    f->params = n->items.v;
    f->nparams = n->items.n;
    f->env = env;
    f->input = input;
    f->sig = n->signature;
    f->thunk = n->thunk;
    return jv_fn(f);
}

jv sfn__jn_eval_partial(jctx *c, const sfn_jn_node *n, jv input, jframe *env)
{
    size_t na = n->items.n;
    jv *args = sfn__jn_alloc(c, (na + 1) * sizeof *args);
    bool *holes = sfn__jn_alloc(c, na + 1);
    for (size_t i = 0; i < na; i++) {
        const sfn_jn_node *a = n->items.v[i];
        holes[i] = a->kind == SFN_JN_PLACEHOLDER;
        if (!holes[i])
            args[i] = sfn__jn_eval(c, a, input, env);
    }
    jv proc = sfn__jn_eval(c, n->procedure, input, env);
    const char *name = proc_name(n->procedure);
    if (jv_is_undef(proc) && n->procedure->kind == SFN_JN_PATH && name) {
        jv probe;
        if (sfn__jn_lookup(env, name, &probe) ||
            !jv_is_undef(sfn__jn_builtin(c, name)))
            sfn__jn_throw(c, "T1007", n->pos,
                          "Attempted to partially apply a non-function. Did "
                          "you mean ${%s}?",
                          name);
    }
    if (proc.k != JV_FN)
        sfn__jn_throw(c, "T1008", n->pos,
                      "Attempted to partially apply a non-function");
    jfn *pf = proc.u.f;
    jfn *f = sfn__jn_alloc(c, sizeof *f);
    if (pf->kind == JF_LAMBDA) {
        /* Bind the given arguments now; the holes become the parameters of
         * a new lambda over the same body (signature dropped, as
         * jsonata-js does). */
        jframe *fenv = sfn__jn_frame(c, pf->env);
        sfn_jn_node **params = sfn__jn_alloc(c, (pf->nparams + 1) *
                                                    sizeof *params);
        size_t np = 0;
        for (size_t i = 0; i < pf->nparams; i++) {
            if (i < na && !holes[i])
                sfn__jn_bind(c, fenv, pf->params[i]->str, args[i]);
            else if (i < na)
                params[np++] = pf->params[i];
            else
                sfn__jn_bind(c, fenv, pf->params[i]->str, jv_undef());
        }
        *f = *pf;
        f->env = fenv;
        f->params = params;
        f->nparams = np;
        f->sig = NULL;
        f->thunk = false;
        return jv_fn(f);
    }
    f->kind = JF_PARTIAL;
    f->f = pf;
    f->args = args;
    f->holes = holes;
    f->nargs = na;
    return jv_fn(f);
}

jv sfn__jn_eval_apply(jctx *c, const sfn_jn_node *n, jv input, jframe *env)
{
    jv l = sfn__jn_eval(c, n->lhs, input, env);
    if (n->rhs->kind == SFN_JN_FUNCTION)
        return sfn__jn_eval_call(c, n->rhs, input, env, &l);
    jv fn = sfn__jn_eval(c, n->rhs, input, env);
    if (fn.k != JV_FN)
        sfn__jn_throw(c, "T2006", n->pos,
                      "The right side of the function application operator "
                      "~> must be a function");
    if (l.k == JV_FN) {
        jfn *f = sfn__jn_alloc(c, sizeof *f);
        f->kind = JF_COMPOSE;
        f->f = l.u.f;
        f->g = fn.u.f;
        return jv_fn(f);
    }
    return sfn__jn_apply(c, fn, &l, 1, jv_undef(), env, n->pos,
                         proc_name(n->rhs));
}

int sfn__jn_arity(jv fv)
{
    if (fv.k != JV_FN)
        return 0;
    jfn *f = fv.u.f;
    switch (f->kind) {
    case JF_BUILTIN:
        return f->bi->arity;
    case JF_LAMBDA:
        return (int)f->nparams;
    case JF_PARTIAL: {
        int holes = 0;
        for (size_t i = 0; i < f->nargs; i++)
            holes += f->holes[i];
        return holes;
    }
    case JF_REGEX:
        return 2;
    default:
        return 1;
    }
}

jv sfn__jn_hof_call(jctx *c, jcall *call, jv f, jv v, jv i, jv arr)
{
    jv args[3] = {v, i, arr};
    int arity = sfn__jn_arity(f);
    size_t n = arity >= 3 ? 3 : arity >= 2 ? 2 : 1;
    return sfn__jn_apply(c, f, args, n, jv_undef(), call->env, call->pos,
                         NULL);
}

/* ==== Transform ==== */

jv sfn__jn_eval_transform(jctx *c, const sfn_jn_node *n, jv input,
                          jframe *env)
{
    (void)input;
    jfn *f = sfn__jn_alloc(c, sizeof *f);
    f->kind = JF_TRANSFORM;
    f->node = n;
    f->env = env;
    return jv_fn(f);
}

static jv transform_apply(jctx *c, jfn *f, jcall *call)
{
    jv obj = jarg(call, 0);
    if (jv_is_undef(obj))
        return obj;
    if (!jv_is_obj(obj) && !jv_is_array(obj))
        sfn__jn_throw(c, "T0410", call->pos,
                      "Argument 1 of function \"transform\" does not match "
                      "function signature");
    const sfn_jn_node *n = f->node;
    jv result = sfn__jn_deep_clone(c, obj);
    jv matches = sfn__jn_eval(c, n->pattern, result, f->env);
    if (jv_is_undef(matches))
        return result;
    if (!jv_is_array(matches))
        matches = sfn__jn_seq1(c, matches);
    size_t nm = sfn__jn_alen(matches);
    for (size_t i = 0; i < nm; i++) {
        jv m = sfn__jn_aget(matches, i);
        jv upd = sfn__jn_eval(c, n->update, m, f->env);
        if (!jv_is_undef(upd)) {
            if (!jv_is_obj(upd))
                sfn__jn_throw(c, "T2011", n->update->pos,
                              "The insert/update clause of the transform "
                              "expression must evaluate to an object: %s",
                              sfn__jn_describe(c, upd));
            if (m.k == JV_OBJ) {
                jiter it;
                const char *k;
                size_t kl;
                jv v;
                sfn__jn_iter_init(&it, upd);
                while (sfn__jn_iter_next(&it, &k, &kl, &v))
                    sfn__jn_obj_set(c, m.u.o, k, kl, v);
            }
        }
        if (!n->del)
            continue;
        jv del = sfn__jn_eval(c, n->del, m, f->env);
        if (jv_is_undef(del))
            continue;
        jv list = jv_is_array(del) ? del : sfn__jn_seq1(c, del);
        if (!sfn__jn_is_array_of(list, JV_STR))
            sfn__jn_throw(c, "T2012", n->del->pos,
                          "The delete clause of the transform expression "
                          "must evaluate to a string or array of strings: "
                          "%s",
                          sfn__jn_describe(c, del));
        if (m.k != JV_OBJ)
            continue;
        size_t nd = sfn__jn_alen(list);
        for (size_t d = 0; d < nd; d++) {
            jv k = sfn__jn_aget(list, d);
            sfn__jn_obj_del(m.u.o, k.u.s, k.len);
        }
    }
    return result;
}

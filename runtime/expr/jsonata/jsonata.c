/* jsonata.c: the public face of the JSONata module: compile (parse +
 * post-parse into an arena-owned AST), free, and the free-variable list
 * (the `$name` references an expression reads from outside).  Evaluation
 * lives elsewhere. */
#include "jsonata_ast.h"

#include <stdlib.h>
#include <string.h>

/* JSONata 2.0.6's built-ins plus the functions Step Functions adds. */
static const char *const builtins[] = {
    "abs", "append", "assert", "average", "base64decode", "base64encode",
    "boolean", "ceil", "clone", "contains", "count", "decodeUrl",
    "decodeUrlComponent", "distinct", "each", "encodeUrl",
    "encodeUrlComponent", "error", "eval", "exists", "filter", "floor",
    "formatBase", "formatInteger", "formatNumber", "fromMillis", "hash",
    "join", "keys", "length", "lookup", "lowercase", "map", "match", "max",
    "merge", "millis", "min", "not", "now", "number", "pad", "parse",
    "parseInteger", "partition", "power", "random", "range", "reduce",
    "replace", "reverse", "round", "shuffle", "sift", "single", "sort",
    "split", "spread", "sqrt", "string", "substring", "substringAfter",
    "substringBefore", "sum", "toMillis", "trim", "type", "uppercase",
    "uuid", "zip",
};

bool sfn__jsonata_is_builtin(const char *name)
{
    for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
        if (strcmp(builtins[i], name) == 0)
            return true;
    return false;
}

/* ==== Free variables ====
 * A scope stack of bound names walked in evaluation order.  Blocks and
 * lambda bodies are frames.  Names a frame binds later (`:=` further on)
 * are entered up front as "ahead": invisible to the frame's own earlier
 * references, which read the outer value, but visible inside lambdas
 * declared in it, since those run later (mutual recursion). */

typedef struct binding {
    const char *name;
    bool ahead;
    int lambda_depth; /* lambda nesting of the frame that binds it */
} binding;

typedef struct walker {
    binding *b;
    size_t nb, capb;
    const char **vars;
    size_t nv, capv;
    int lambda_depth;
    bool oom;
} walker;

static void grow_push(walker *w, void **v, size_t *n, size_t *cap,
                      size_t elem, const void *item)
{
    if (*n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 16;
        void *nv = realloc(*v, ncap * elem);
        if (!nv) {
            w->oom = true;
            return;
        }
        *v = nv;
        *cap = ncap;
    }
    memcpy((char *)*v + *n * elem, item, elem);
    (*n)++;
}

static void bind(walker *w, const char *name, bool ahead)
{
    binding b = {name, ahead, w->lambda_depth};
    grow_push(w, (void **)&w->b, &w->nb, &w->capb, sizeof b, &b);
}

static bool is_bound(const walker *w, const char *name)
{
    for (size_t i = w->nb; i-- > 0;) {
        const binding *b = &w->b[i];
        if (strcmp(b->name, name) == 0 &&
            (!b->ahead || w->lambda_depth > b->lambda_depth))
            return true;
    }
    return false;
}

static void reference(walker *w, const char *name)
{
    if (name[0] == '\0' || strcmp(name, "$") == 0 || is_bound(w, name))
        return;
    for (size_t i = 0; i < w->nv; i++)
        if (strcmp(w->vars[i], name) == 0)
            return;
    grow_push(w, (void **)&w->vars, &w->nv, &w->capv, sizeof name, &name);
}

typedef void (*visit_fn)(walker *w, const sfn_jn_node *n);

static void visit_list(walker *w, const sfn_jn_list *l, visit_fn f)
{
    for (size_t i = 0; i < l->n; i++)
        f(w, l->v[i]);
}

static void visit_pairs(walker *w, const sfn_jn_pairs *p, visit_fn f)
{
    for (size_t i = 0; p && i < p->keys.n; i++) {
        f(w, p->keys.v[i]);
        f(w, p->values.v[i]);
    }
}

/* Every child of n, in evaluation order. */
static void children(walker *w, const sfn_jn_node *n, visit_fn f)
{
    const sfn_jn_node *one[] = {n->lhs,   n->rhs,     n->expr,
                                n->cond,  n->then_,   n->else_,
                                n->procedure};
    for (size_t i = 0; i < sizeof one / sizeof one[0]; i++)
        if (one[i])
            f(w, one[i]);
    visit_list(w, &n->items, f);
    visit_pairs(w, n->pairs, f);
    const sfn_jn_node *two[] = {n->body, n->pattern, n->update, n->del};
    for (size_t i = 0; i < sizeof two / sizeof two[0]; i++)
        if (two[i])
            f(w, two[i]);
    visit_list(w, &n->stages, f);
    visit_list(w, &n->predicate, f);
    visit_pairs(w, n->group, f);
}

/* Enters the names a frame binds directly as "ahead" entries. */
static void prescan(walker *w, const sfn_jn_node *n)
{
    if (n->kind == SFN_JN_BLOCK || (n->kind == SFN_JN_LAMBDA && !n->thunk))
        return;
    if (n->kind == SFN_JN_BIND)
        bind(w, n->lhs->str, true);
    children(w, n, prescan);
}

static void frame(walker *w, const sfn_jn_list *body, visit_fn f)
{
    size_t mark = w->nb;
    visit_list(w, body, prescan);
    visit_list(w, body, f);
    w->nb = mark;
}

static void walk(walker *w, const sfn_jn_node *n);

/* A $name called as a function: built-ins are not variables. */
static void callee(walker *w, const sfn_jn_node *n)
{
    if (n->kind == SFN_JN_VARIABLE && !is_bound(w, n->str) &&
        sfn__jsonata_is_builtin(n->str))
        return;
    walk(w, n);
}

static void walk_step_extras(walker *w, const sfn_jn_node *n)
{
    visit_list(w, &n->stages, walk);
    visit_list(w, &n->predicate, walk);
    visit_pairs(w, n->group, walk);
}

static void walk_path(walker *w, const sfn_jn_node *n)
{
    size_t mark = w->nb;
    /* @$x / #$y are in scope for the whole path (stages, later steps,
     * sort and group-by). */
    for (size_t i = 0; i < n->items.n; i++) {
        const sfn_jn_node *s = n->items.v[i];
        if (s->focus)
            bind(w, s->focus, false);
        if (s->index)
            bind(w, s->index, false);
        for (size_t k = 0; k < s->stages.n; k++)
            if (s->stages.v[k]->kind == SFN_JN_INDEX)
                bind(w, s->stages.v[k]->str, false);
    }
    visit_list(w, &n->items, walk);
    walk_step_extras(w, n);
    w->nb = mark;
}

static void walk_lambda(walker *w, const sfn_jn_node *n)
{
    if (n->thunk) {
        walk(w, n->body);
        return;
    }
    size_t mark = w->nb;
    w->lambda_depth++;
    for (size_t i = 0; i < n->items.n; i++)
        bind(w, n->items.v[i]->str, false);
    prescan(w, n->body);
    walk(w, n->body);
    w->lambda_depth--;
    w->nb = mark;
}

static void walk(walker *w, const sfn_jn_node *n)
{
    switch (n->kind) {
    case SFN_JN_VARIABLE:
        reference(w, n->str);
        walk_step_extras(w, n);
        return;
    case SFN_JN_BIND:
        walk(w, n->rhs);
        bind(w, n->lhs->str, false);
        return;
    case SFN_JN_PATH:
        walk_path(w, n);
        return;
    case SFN_JN_FUNCTION:
    case SFN_JN_PARTIAL:
        callee(w, n->procedure);
        visit_list(w, &n->items, walk);
        walk_step_extras(w, n);
        return;
    case SFN_JN_APPLY:
        walk(w, n->lhs);
        callee(w, n->rhs);
        return;
    case SFN_JN_LAMBDA:
        walk_lambda(w, n);
        walk_step_extras(w, n);
        return;
    case SFN_JN_BLOCK:
        frame(w, &n->items, walk);
        walk_step_extras(w, n);
        return;
    default:
        children(w, n, walk);
        return;
    }
}

static sfn_rc free_variables(sfn_jsonata *e, sfn_error *err)
{
    walker w = {0};
    sfn_jn_list top = {.v = &e->root, .n = 1, .cap = 1};
    frame(&w, &top, walk);
    sfn_rc rc = SFN_OK;
    if (!w.oom && w.nv) {
        e->vars = sfn__jsonata_alloc(&e->arena, w.nv * sizeof *e->vars);
        if (e->vars) {
            memcpy(e->vars, w.vars, w.nv * sizeof *e->vars);
            e->nvars = w.nv;
        }
    }
    if (w.oom || (w.nv && !e->vars))
        rc = sfn_error_set(err, SFN_ENOMEM, NULL, -1, "out of memory");
    free(w.b);
    free(w.vars);
    return rc;
}

/* ==== Public API ==== */

sfn_rc sfn_jsonata_compile(const char *text, size_t len, sfn_jsonata **out,
                           sfn_error *err)
{
    return sfn_jsonata_compile_ex(text, len, 0, out, err);
}

sfn_rc sfn_jsonata_compile_ex(const char *text, size_t len, unsigned flags,
                              sfn_jsonata **out, sfn_error *err)
{
    sfn_error local;
    if (!err)
        err = &local;
    if ((!text && len) || !out)
        return sfn_error_set(err, SFN_EINVAL, NULL, -1,
                             "sfn_jsonata_compile: %s is NULL",
                             out ? "text" : "out");
    if (len > SFN_JSONATA_TEXT_MAX)
        return sfn_error_set(err, SFN_ELIMIT, NULL, -1,
                             "JSONata expression is %zu bytes; the limit is "
                             "%zu",
                             len, SFN_JSONATA_TEXT_MAX);
    sfn_jsonata *e = calloc(1, sizeof *e);
    if (!e)
        return sfn_error_set(err, SFN_ENOMEM, NULL, -1, "out of memory");
    sfn_jn_node *raw = NULL;
    sfn_rc rc = sfn__jsonata_parse(text ? text : "", len,
                                   (flags & SFN_JSONATA_V2_1) != 0,
                                   &e->arena, &raw, err);
    if (!rc)
        rc = sfn__jsonata_postparse(&e->arena, raw, &e->root, err);
    if (!rc)
        rc = free_variables(e, err);
    if (!rc)
        rc = sfn__jsonata_prepare(e, err);
    if (rc) {
        sfn_jsonata_free(e);
        return rc;
    }
    *out = e;
    return SFN_OK;
}

void sfn_jsonata_free(sfn_jsonata *e)
{
    if (!e)
        return;
    sfn__jsonata_release(e);
    sfn__jsonata_arena_free(&e->arena);
    free(e);
}

size_t sfn_jsonata_var_count(const sfn_jsonata *e)
{
    return e ? e->nvars : 0;
}

const char *sfn_jsonata_var(const sfn_jsonata *e, size_t i)
{
    return e && i < e->nvars ? e->vars[i] : NULL;
}

const sfn_jn_node *sfn__jsonata_root(const sfn_jsonata *e)
{
    return e ? e->root : NULL;
}

/* postparse.c: phase 2 of JSONata compilation.  Rewrites the raw Pratt tree
 * into the AST the evaluator walks, doing what jsonata-js does after parsing:
 * `.` chains become PATH nodes of steps, `[...]` become stages/predicates,
 * `{...}` after a step becomes its group-by, `^(...)` a SORT step, `@`/`#`
 * focus/index bindings, `%` resolved to the step it names (ancestor slots),
 * and calls in tail position of lambdas wrapped as thunks.  Reports the
 * post-parse errors S0201, S0206, S0207, S0209, S0210, S0213, S0215-S0217.
 * Every function returning a node returns NULL after filling ps->err. */
#include "jsonata_ast.h"

#include <stdio.h>
#include <string.h>

typedef struct post {
    sfn_jn_arena *a;
    sfn_error *err;
    int depth;
    int next_slot; /* jsonata-js's ancestorLabel == ancestorIndex */
} post;

#define TRY(x)                                                           \
    do {                                                                 \
        if (!(x))                                                        \
            return NULL;                                                 \
    } while (0)

static sfn_jn_node *process(post *ps, sfn_jn_node *expr);

static void *oom(post *ps, long pos)
{
    sfn_error_set(ps->err, SFN_ENOMEM, NULL, pos, "out of memory");
    return NULL;
}

static sfn_jn_node *node(post *ps, sfn_jn_kind kind, long pos)
{
    sfn_jn_node *n = sfn__jsonata_node_new(ps->a, kind, pos);
    return n ? n : oom(ps, pos);
}

static bool push(post *ps, sfn_jn_list *l, sfn_jn_node *n)
{
    if (sfn__jsonata_list_push(ps->a, l, n) == SFN_OK)
        return true;
    oom(ps, n->pos);
    return false;
}

static bool push_slot(post *ps, sfn_jn_slotlist **l, sfn_jn_slot *s)
{
    if (!*l && !(*l = sfn__jsonata_alloc(ps->a, sizeof **l))) {
        oom(ps, -1);
        return false;
    }
    if (sfn__jsonata_slots_push(ps->a, *l, s) == SFN_OK)
        return true;
    oom(ps, -1);
    return false;
}

static sfn_jn_node *last(const sfn_jn_list *l)
{
    return l->n ? l->v[l->n - 1] : NULL;
}

static sfn_jn_node *wrap_path(post *ps, sfn_jn_node *step)
{
    sfn_jn_node *path = node(ps, SFN_JN_PATH, step->pos);
    TRY(path && push(ps, &path->items, step));
    return path;
}

/* ==== Parent (%) resolution ==== */

/* Walks back from `n` looking for the step `slot` refers to; each name or
 * wildcard step passed consumes one level, each % adds one. */
static bool seek_parent(post *ps, sfn_jn_node *n, sfn_jn_slot *slot)
{
    switch (n->kind) {
    case SFN_JN_NAME:
    case SFN_JN_WILDCARD:
        if (--slot->level == 0) {
            /* A second % naming the same step shares its label. */
            if (n->ancestor)
                slot->label = n->ancestor->label;
            n->ancestor = slot;
            n->tuple = true;
        }
        return true;
    case SFN_JN_PARENT:
        slot->level++;
        return true;
    case SFN_JN_BLOCK:
        if (n->items.n) {
            n->tuple = true;
            return seek_parent(ps, last(&n->items), slot);
        }
        return true;
    case SFN_JN_PATH: {
        n->tuple = true;
        size_t i = n->items.n;
        if (!seek_parent(ps, n->items.v[--i], slot))
            return false;
        while (slot->level > 0 && i > 0)
            if (!seek_parent(ps, n->items.v[--i], slot))
                return false;
        return true;
    }
    default:
        sfn__jsonata_syntax(ps->err, "S0217", n->pos,
                            "The object representing the 'parent' cannot "
                            "be derived from this expression (a %s)",
                            sfn__jsonata_kind_name(n->kind));
        return false;
    }
}

/* Hands the unresolved slots of `value` (and its own, if it is a %) up to
 * `result`, sharing the list as jsonata-js shares the array. */
static bool push_ancestry(post *ps, sfn_jn_node *result, sfn_jn_node *value)
{
    if (!value->seeking && value->kind != SFN_JN_PARENT)
        return true;
    sfn_jn_slotlist *slots = value->seeking;
    if (value->kind == SFN_JN_PARENT && !push_slot(ps, &slots, value->slot))
        return false;
    if (!result->seeking) {
        result->seeking = slots;
        return true;
    }
    size_t n = slots->n; /* slots may be result->seeking itself */
    for (size_t i = 0; i < n; i++)
        if (!push_slot(ps, &result->seeking, slots->v[i]))
            return false;
    return true;
}

/* Resolves the % slots of a path's last step against the earlier steps;
 * what remains unresolved is left on the path for an enclosing path. */
static bool resolve_ancestry(post *ps, sfn_jn_node *path)
{
    sfn_jn_list *steps = &path->items;
    sfn_jn_node *laststep = last(steps);
    sfn_jn_slotlist *slots = laststep->seeking;
    if (laststep->kind == SFN_JN_PARENT &&
        !push_slot(ps, &slots, laststep->slot))
        return false;
    for (size_t is = 0; slots && is < slots->n; is++) {
        sfn_jn_slot *slot = slots->v[is];
        long index = (long)steps->n - 2;
        while (slot->level > 0) {
            if (index < 0) {
                if (!push_slot(ps, &path->seeking, slot))
                    return false;
                break;
            }
            sfn_jn_node *step = steps->v[index--];
            /* Contiguous focus-binding steps count as one. */
            while (index >= 0 && step->focus && steps->v[index]->focus)
                step = steps->v[index--];
            if (!seek_parent(ps, step, slot))
                return false;
        }
    }
    return true;
}

/* ==== Path rewrites ==== */

static bool check_steps(post *ps, sfn_jn_node *path)
{
    for (size_t i = 0; i < path->items.n; i++) {
        sfn_jn_node *s = path->items.v[i];
        if (s->kind == SFN_JN_NUMBER || s->kind == SFN_JN_VALUE) {
            char lit[40];
            if (s->kind == SFN_JN_NUMBER)
                snprintf(lit, sizeof lit, "%.17g", s->num);
            else
                snprintf(lit, sizeof lit, "%s",
                         s->value == SFN_JV_TRUE    ? "true"
                         : s->value == SFN_JV_FALSE ? "false"
                                                    : "null");
            sfn__jsonata_syntax(ps->err, "S0213", s->pos,
                                "The literal value %s cannot be used as a "
                                "step within a path expression",
                                lit);
            return false;
        }
    }
    for (size_t i = 0; i < path->items.n; i++) {
        sfn_jn_node *s = path->items.v[i];
        if (s->kind == SFN_JN_STRING)
            s->kind = SFN_JN_NAME; /* "a b".c names a field */
        if (s->keep_array)
            path->keep_singleton_array = true;
    }
    return true;
}

/* lhs.rhs : append the steps of rhs to the path of lhs. */
static sfn_jn_node *dot(post *ps, sfn_jn_node *expr)
{
    sfn_jn_node *lstep = process(ps, expr->lhs);
    TRY(lstep);
    sfn_jn_node *result = lstep;
    if (lstep->kind != SFN_JN_PATH)
        TRY(result = wrap_path(ps, lstep));
    if (lstep->kind == SFN_JN_PARENT) {
        result->seeking = NULL;
        TRY(push_slot(ps, &result->seeking, lstep->slot));
    }
    sfn_jn_node *rest = process(ps, expr->rhs);
    TRY(rest);
    if (rest->kind == SFN_JN_PATH) {
        for (size_t i = 0; i < rest->items.n; i++)
            TRY(push(ps, &result->items, rest->items.v[i]));
    } else {
        if (rest->predicate.n) {
            rest->stages = rest->predicate;
            memset(&rest->predicate, 0, sizeof rest->predicate);
        }
        TRY(push(ps, &result->items, rest));
    }
    TRY(check_steps(ps, result));
    sfn_jn_node *first = result->items.v[0], *end = last(&result->items);
    if (first->kind == SFN_JN_ARRAY)
        first->consarray = true;
    if (end->kind == SFN_JN_ARRAY)
        end->consarray = true;
    TRY(resolve_ancestry(ps, result));
    return result;
}

/* step[expr] : a stage of a path step, or a predicate of any other
 * expression. */
static sfn_jn_node *filter(post *ps, sfn_jn_node *expr)
{
    sfn_jn_node *result = process(ps, expr->lhs);
    TRY(result);
    sfn_jn_node *step = result;
    bool stages = result->kind == SFN_JN_PATH;
    if (stages)
        step = last(&result->items);
    if (step->group) {
        sfn__jsonata_syntax(ps->err, "S0209", expr->pos,
                            "A predicate cannot follow a grouping "
                            "expression in a step");
        return NULL;
    }
    sfn_jn_node *pred = process(ps, expr->rhs);
    TRY(pred);
    if (pred->seeking) {
        for (size_t i = 0; i < pred->seeking->n; i++) {
            sfn_jn_slot *slot = pred->seeking->v[i];
            if (slot->level == 1)
                TRY(seek_parent(ps, step, slot));
            else
                slot->level--;
        }
        TRY(push_ancestry(ps, step, pred));
    }
    sfn_jn_node *f = node(ps, SFN_JN_FILTER, expr->pos);
    TRY(f);
    f->expr = pred;
    TRY(push(ps, stages ? &step->stages : &step->predicate, f));
    return result;
}

static sfn_jn_pairs *process_pairs(post *ps, const sfn_jn_pairs *in,
                                   sfn_jn_node *ancestry_of)
{
    sfn_jn_pairs *out = sfn__jsonata_alloc(ps->a, sizeof *out);
    TRY(out ? out : oom(ps, in->pos));
    out->pos = in->pos;
    for (size_t i = 0; i < in->keys.n; i++) {
        sfn_jn_node *k = process(ps, in->keys.v[i]);
        TRY(k);
        if (ancestry_of)
            TRY(push_ancestry(ps, ancestry_of, k));
        sfn_jn_node *v = process(ps, in->values.v[i]);
        TRY(v);
        if (ancestry_of)
            TRY(push_ancestry(ps, ancestry_of, v));
        TRY(push(ps, &out->keys, k) && push(ps, &out->values, v));
    }
    return out;
}

/* step{k: v} : group-by on the step (or path) before it. */
static sfn_jn_node *group_by(post *ps, sfn_jn_node *expr)
{
    sfn_jn_node *result = process(ps, expr->lhs);
    TRY(result);
    if (result->group) {
        sfn__jsonata_syntax(ps->err, "S0210", expr->pos,
                            "Each step can only have one grouping "
                            "expression");
        return NULL;
    }
    TRY(result->group = process_pairs(ps, expr->pairs, NULL));
    return result;
}

/* lhs^(terms) : a SORT step appended to the path of lhs. */
static sfn_jn_node *order_by(post *ps, sfn_jn_node *expr)
{
    sfn_jn_node *result = process(ps, expr->lhs);
    TRY(result);
    if (result->kind != SFN_JN_PATH)
        TRY(result = wrap_path(ps, result));
    sfn_jn_node *sort = node(ps, SFN_JN_SORT, expr->pos);
    TRY(sort);
    for (size_t i = 0; i < expr->items.n; i++) {
        sfn_jn_node *in = expr->items.v[i];
        sfn_jn_node *e = process(ps, in->expr);
        TRY(e && push_ancestry(ps, sort, e));
        sfn_jn_node *term = node(ps, SFN_JN_SORT_TERM, in->pos);
        TRY(term);
        term->descending = in->descending;
        term->expr = e;
        TRY(push(ps, &sort->items, term));
    }
    TRY(push(ps, &result->items, sort));
    TRY(resolve_ancestry(ps, result));
    return result;
}

/* step@$v : bind the step's context item to $v. */
static sfn_jn_node *focus(post *ps, sfn_jn_node *expr)
{
    sfn_jn_node *result = process(ps, expr->lhs);
    TRY(result);
    sfn_jn_node *step = result;
    if (result->kind == SFN_JN_PATH)
        step = last(&result->items);
    if (step->stages.n || step->predicate.n) {
        sfn__jsonata_syntax(ps->err, "S0215", expr->pos,
                            "A context variable binding must precede any "
                            "predicates on a step");
        return NULL;
    }
    if (step->kind == SFN_JN_SORT) {
        sfn__jsonata_syntax(ps->err, "S0216", expr->pos,
                            "A context variable binding must precede the "
                            "'order-by' clause on a step");
        return NULL;
    }
    if (expr->keep_array)
        step->keep_array = true;
    step->focus = expr->rhs->str;
    step->tuple = true;
    return result;
}

/* step#$i : bind the step's position to $i. */
static sfn_jn_node *index_bind(post *ps, sfn_jn_node *expr)
{
    sfn_jn_node *result = process(ps, expr->lhs);
    TRY(result);
    sfn_jn_node *step = result;
    if (result->kind == SFN_JN_PATH) {
        step = last(&result->items);
    } else {
        TRY(result = wrap_path(ps, step));
        if (step->predicate.n) {
            step->stages = step->predicate;
            memset(&step->predicate, 0, sizeof step->predicate);
        }
    }
    if (!step->stages.n) {
        step->index = expr->rhs->str;
    } else {
        sfn_jn_node *ix = node(ps, SFN_JN_INDEX, expr->pos);
        TRY(ix);
        ix->str = expr->rhs->str;
        ix->len = expr->rhs->len;
        TRY(push(ps, &step->stages, ix));
    }
    step->tuple = true;
    return result;
}

static sfn_jn_node *binary(post *ps, sfn_jn_node *expr)
{
    switch (expr->op) {
    case SFN_JO_DOT:
        return dot(ps, expr);
    case SFN_JO_LBRACK:
        return filter(ps, expr);
    case SFN_JO_LBRACE:
        return group_by(ps, expr);
    case SFN_JO_SORT:
        return order_by(ps, expr);
    case SFN_JO_AT:
        return focus(ps, expr);
    case SFN_JO_HASH:
        return index_bind(ps, expr);
    default:
        break;
    }
    sfn_jn_kind kind = expr->op == SFN_JO_BIND    ? SFN_JN_BIND
                       : expr->op == SFN_JO_CHAIN ? SFN_JN_APPLY
                                                  : SFN_JN_BINARY;
    sfn_jn_node *r = node(ps, kind, expr->pos);
    TRY(r);
    r->op = expr->op;
    TRY(r->lhs = process(ps, expr->lhs));
    TRY(r->rhs = process(ps, expr->rhs));
    if (kind == SFN_JN_APPLY)
        r->keep_array = r->lhs->keep_array || r->rhs->keep_array;
    if (kind == SFN_JN_BINARY)
        TRY(push_ancestry(ps, r, r->lhs));
    if (kind != SFN_JN_APPLY)
        TRY(push_ancestry(ps, r, r->rhs));
    return r;
}

/* ==== Everything else ==== */

/* Wraps calls in tail position so the evaluator can trampoline them. */
static sfn_jn_node *tail_call(post *ps, sfn_jn_node *e)
{
    if (e->kind == SFN_JN_FUNCTION && !e->predicate.n) {
        sfn_jn_node *thunk = node(ps, SFN_JN_LAMBDA, e->pos);
        TRY(thunk);
        thunk->thunk = true;
        thunk->body = e;
        return thunk;
    }
    if (e->kind == SFN_JN_CONDITION) {
        TRY(e->then_ = tail_call(ps, e->then_));
        if (e->else_)
            TRY(e->else_ = tail_call(ps, e->else_));
    } else if (e->kind == SFN_JN_BLOCK && e->items.n) {
        sfn_jn_node **tail = &e->items.v[e->items.n - 1];
        TRY(*tail = tail_call(ps, *tail));
    }
    return e;
}

static sfn_jn_node *list_node(post *ps, sfn_jn_node *expr)
{
    sfn_jn_node *r = node(ps, expr->kind, expr->pos);
    TRY(r);
    r->op = expr->op;
    for (size_t i = 0; i < expr->items.n; i++) {
        sfn_jn_node *e = process(ps, expr->items.v[i]);
        TRY(e && push_ancestry(ps, r, e) && push(ps, &r->items, e));
        if (r->kind == SFN_JN_BLOCK &&
            (e->consarray ||
             (e->kind == SFN_JN_PATH && e->items.v[0]->consarray)))
            r->consarray = true;
    }
    if (r->kind == SFN_JN_FUNCTION || r->kind == SFN_JN_PARTIAL)
        TRY(r->procedure = process(ps, expr->procedure));
    return r;
}

static sfn_jn_node *compound(post *ps, sfn_jn_node *expr)
{
    sfn_jn_node *r = node(ps, expr->kind, expr->pos);
    TRY(r);
    switch (expr->kind) {
    case SFN_JN_NEGATE:
        r->op = expr->op;
        TRY(r->expr = process(ps, expr->expr));
        if (r->expr->kind == SFN_JN_NUMBER) {
            r->expr->num = -r->expr->num; /* fold -literal */
            return r->expr;
        }
        TRY(push_ancestry(ps, r, r->expr));
        return r;
    case SFN_JN_OBJECT:
        TRY(r->pairs = process_pairs(ps, expr->pairs, r));
        return r;
    case SFN_JN_LAMBDA:
        r->items = expr->items;
        r->signature = expr->signature;
        TRY(r->body = process(ps, expr->body));
        TRY(r->body = tail_call(ps, r->body));
        return r;
    case SFN_JN_CONDITION:
        TRY(r->cond = process(ps, expr->cond));
        TRY(push_ancestry(ps, r, r->cond));
        TRY(r->then_ = process(ps, expr->then_));
        TRY(push_ancestry(ps, r, r->then_));
        if (expr->else_) {
            TRY(r->else_ = process(ps, expr->else_));
            TRY(push_ancestry(ps, r, r->else_));
        }
        return r;
    default: /* SFN_JN_TRANSFORM */
        TRY(r->pattern = process(ps, expr->pattern));
        TRY(r->update = process(ps, expr->update));
        if (expr->del)
            TRY(r->del = process(ps, expr->del));
        return r;
    }
}

static sfn_jn_node *parent(post *ps, sfn_jn_node *expr)
{
    sfn_jn_node *r = node(ps, SFN_JN_PARENT, expr->pos);
    sfn_jn_slot *slot = sfn__jsonata_alloc(ps->a, sizeof *slot);
    TRY(r && slot ? r : oom(ps, expr->pos));
    slot->label = slot->index = ps->next_slot++;
    slot->level = 1;
    r->slot = slot;
    return r;
}

/* and / or / in as operands are field names; a bare ? is a placeholder. */
static sfn_jn_node *operator_operand(post *ps, sfn_jn_node *expr)
{
    if (expr->op == SFN_JO_QUESTION) {
        expr->kind = SFN_JN_PLACEHOLDER;
        return expr;
    }
    if (expr->op == SFN_JO_AND || expr->op == SFN_JO_OR ||
        expr->op == SFN_JO_IN) {
        const char *w = sfn__jsonata_op_text(expr->op);
        TRY(expr->str = sfn__jsonata_strndup(ps->a, w, strlen(w)));
        expr->len = strlen(w);
        expr->kind = SFN_JN_NAME;
        return process(ps, expr);
    }
    sfn__jsonata_syntax(ps->err, "S0201", expr->pos, "Syntax error: \"%s\"",
                        sfn__jsonata_op_text(expr->op));
    return NULL;
}

static sfn_jn_node *dispatch(post *ps, sfn_jn_node *expr)
{
    switch (expr->kind) {
    case SFN_JN_BINARY:
        return binary(ps, expr);
    case SFN_JN_ARRAY:
    case SFN_JN_BLOCK:
    case SFN_JN_FUNCTION:
    case SFN_JN_PARTIAL:
        return list_node(ps, expr);
    case SFN_JN_NEGATE:
    case SFN_JN_OBJECT:
    case SFN_JN_LAMBDA:
    case SFN_JN_CONDITION:
    case SFN_JN_TRANSFORM:
        return compound(ps, expr);
    case SFN_JN_NAME: {
        sfn_jn_node *path = wrap_path(ps, expr);
        if (path && expr->keep_array)
            path->keep_singleton_array = true;
        return path;
    }
    case SFN_JN_PARENT:
        return parent(ps, expr);
    case SFN_JN_STRING:
    case SFN_JN_NUMBER:
    case SFN_JN_VALUE:
    case SFN_JN_WILDCARD:
    case SFN_JN_DESCENDANT:
    case SFN_JN_VARIABLE:
    case SFN_JN_REGEX:
        return expr;
    case SFN_JN_OPERATOR:
        return operator_operand(ps, expr);
    case SFN_JN_END:
        sfn__jsonata_syntax(ps->err, "S0207", expr->pos,
                            "Unexpected end of expression");
        return NULL;
    default:
        sfn__jsonata_syntax(ps->err, "S0206", expr->pos,
                            "Unknown expression type: %s",
                            sfn__jsonata_kind_name(expr->kind));
        return NULL;
    }
}

static sfn_jn_node *process(post *ps, sfn_jn_node *expr)
{
    if (++ps->depth > SFN_JSONATA_DEPTH_MAX) {
        sfn_error_set(ps->err, SFN_ELIMIT, "U1001", expr->pos,
                      "Expression nests deeper than %d levels (at byte %ld)",
                      SFN_JSONATA_DEPTH_MAX, expr->pos);
        return NULL;
    }
    sfn_jn_node *r = dispatch(ps, expr);
    TRY(r);
    if (expr->keep_array)
        r->keep_array = true;
    ps->depth--;
    return r;
}

sfn_rc sfn__jsonata_postparse(sfn_jn_arena *a, sfn_jn_node *raw,
                              sfn_jn_node **out, sfn_error *err)
{
    post ps = {.a = a, .err = err};
    sfn_jn_node *root = process(&ps, raw);
    if (!root)
        return err->rc;
    if (root->kind == SFN_JN_PARENT || root->seeking)
        return sfn__jsonata_syntax(err, "S0217", root->pos,
                                   "The object representing the 'parent' "
                                   "cannot be derived from this expression "
                                   "(a %s at top level)",
                                   sfn__jsonata_kind_name(root->kind));
    *out = root;
    return SFN_OK;
}

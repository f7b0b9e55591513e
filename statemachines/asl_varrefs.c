/* asl_varrefs.c: which workflow variables each state reads, from its
 * compiled paths, intrinsic calls, templates and JSONata expressions — the
 * `variableReferences` member of DescribeStateMachine. */
#include <string.h>

#include "sfn_asl.h"

typedef struct refs {
    json_t *names; /* array of unique names, first-seen order */
} refs;

static void add(refs *r, const char *name)
{
    if (!name || !strcmp(name, "states"))
        return; /* $states is reserved, not a workflow variable */
    size_t i;
    json_t *v;
    json_array_foreach(r->names, i, v)
        if (!strcmp(json_string_value(v), name))
            return;
    json_array_append_new(r->names, json_string(name));
}

static void path(refs *r, const sfn_jsonpath *p)
{
    if (p && sfn_jsonpath_root(p) == SFN_JP_ROOT_VARIABLE)
        add(r, sfn_jsonpath_variable(p));
}

static void path_cb(const sfn_jsonpath *p, void *ud) { path(ud, p); }

static void intrinsic(refs *r, const sfn_intrinsic *fn)
{
    if (fn)
        sfn_intrinsic_foreach_path(fn, path_cb, r);
}

static void jsonata(refs *r, const sfn_jsonata *e)
{
    for (size_t i = 0; e && i < sfn_jsonata_var_count(e); i++)
        add(r, sfn_jsonata_var(e, i));
}

static void tpl(refs *r, const sfn_tpl *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->count; i++)
        tpl(r, t->items[i]);
    path(r, t->path);
    intrinsic(r, t->intrinsic);
    jsonata(r, t->jsonata);
}

static void dyn_int(refs *r, const sfn_dyn_int *d)
{
    path(r, d->path);
    jsonata(r, d->jsonata);
}

static void dyn_str(refs *r, const sfn_dyn_str *d)
{
    path(r, d->path);
    intrinsic(r, d->intrinsic);
    jsonata(r, d->jsonata);
}

static void rule(refs *r, const sfn_rule *rl)
{
    for (size_t i = 0; i < rl->n_children; i++)
        rule(r, rl->children[i]);
    path(r, rl->variable);
    path(r, rl->operand_path);
    jsonata(r, rl->condition);
    tpl(r, rl->assign);
    tpl(r, rl->output);
}

static void state(refs *r, const sfn_state *st)
{
    path(r, st->input_path);
    path(r, st->output_path);
    path(r, st->items_path);
    const sfn_tpl *tpls[] = {st->parameters, st->result_selector,
                             st->arguments,  st->output,
                             st->assign,     st->credentials,
                             st->items,      st->item_selector,
                             st->batch_input};
    for (size_t i = 0; i < sizeof tpls / sizeof tpls[0]; i++)
        tpl(r, tpls[i]);
    const sfn_dyn_int *ints[] = {&st->timeout_s,
                                 &st->heartbeat_s,
                                 &st->seconds,
                                 &st->max_concurrency,
                                 &st->tolerated_failure_count,
                                 &st->tolerated_failure_percentage,
                                 &st->max_items_per_batch,
                                 &st->max_input_bytes_per_batch};
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
        dyn_int(r, ints[i]);
    dyn_str(r, &st->timestamp);
    dyn_str(r, &st->error);
    dyn_str(r, &st->cause);
    for (size_t i = 0; i < st->n_choices; i++)
        rule(r, st->choices[i]);
    for (size_t i = 0; i < st->n_catchers; i++) {
        tpl(r, st->catchers[i].output);
        tpl(r, st->catchers[i].assign);
    }
}

static void block(json_t *out, const sfn_block *b)
{
    for (size_t i = 0; b && i < b->n_states; i++) {
        const sfn_state *st = &b->states[i];
        refs r = {json_array()};
        state(&r, st);
        if (json_array_size(r.names))
            json_object_set_new(out, st->name, r.names);
        else
            json_decref(r.names);
        for (size_t k = 0; k < st->n_branches; k++)
            block(out, st->branches[k]);
        block(out, st->processor);
    }
}

json_t *sfn_asl_variable_references(const sfn_graph *g)
{
    json_t *out = json_object();
    if (out && g)
        block(out, g->root);
    return out;
}

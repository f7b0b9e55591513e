/* asl_graph.c: lifetime of a compiled graph: reference counting (atomic,
 * graphs are shared between threads), teardown of blocks, states, rules
 * and templates, and name lookup through each block's index. */
#include <stdlib.h>

#include "asl_internal.h"

void asl_rule_free(sfn_rule *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_children; i++)
        asl_rule_free(r->children[i]);
    free(r->children);
    sfn_jsonpath_free(r->variable);
    sfn_jsonpath_free(r->operand_path);
    sfn_jsonata_free(r->condition);
    asl_tpl_free(r->assign);
    asl_tpl_free(r->output);
    free(r);
}

static void dyn_int_free(sfn_dyn_int *d)
{
    sfn_jsonpath_free(d->path);
    sfn_jsonata_free(d->jsonata);
}

static void dyn_str_free(sfn_dyn_str *d)
{
    sfn_jsonpath_free(d->path);
    sfn_intrinsic_free(d->intrinsic);
    sfn_jsonata_free(d->jsonata);
}

void asl_state_free(sfn_state *st)
{
    if (st->compensation) {
        /* the undo's name is its own allocation ("<State>/Compensation") */
        asl_state_free(&st->compensation->task);
        free((char *)st->compensation->task.name);
        free(st->compensation);
    }
    free(st->pointer);
    sfn_jsonpath_free(st->input_path);
    sfn_jsonpath_free(st->output_path);
    sfn_jsonpath_free(st->result_path);
    asl_tpl_free(st->parameters);
    asl_tpl_free(st->result_selector);
    asl_tpl_free(st->arguments);
    asl_tpl_free(st->output);
    asl_tpl_free(st->assign);
    dyn_int_free(&st->timeout_s);
    dyn_int_free(&st->heartbeat_s);
    asl_tpl_free(st->credentials);
    for (size_t i = 0; i < st->n_retriers; i++)
        free(st->retriers[i].errors);
    free(st->retriers);
    for (size_t i = 0; i < st->n_catchers; i++) {
        sfn_catcher *k = &st->catchers[i];
        free(k->errors);
        sfn_jsonpath_free(k->result_path);
        asl_tpl_free(k->output);
        asl_tpl_free(k->assign);
    }
    free(st->catchers);
    for (size_t i = 0; i < st->n_choices; i++)
        asl_rule_free(st->choices[i]);
    free(st->choices);
    dyn_int_free(&st->seconds);
    dyn_str_free(&st->timestamp);
    dyn_str_free(&st->error);
    dyn_str_free(&st->cause);
    for (size_t i = 0; i < st->n_branches; i++)
        asl_block_free(st->branches[i]);
    free(st->branches);
    asl_block_free(st->processor);
    sfn_jsonpath_free(st->items_path);
    asl_tpl_free(st->items);
    asl_tpl_free(st->item_selector);
    dyn_int_free(&st->max_concurrency);
    dyn_int_free(&st->tolerated_failure_count);
    dyn_int_free(&st->tolerated_failure_percentage);
    dyn_int_free(&st->max_items_per_batch);
    dyn_int_free(&st->max_input_bytes_per_batch);
    asl_tpl_free(st->batch_input);
}

void asl_block_free(sfn_block *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->n_states; i++)
        asl_state_free(&b->states[i]);
    free(b->states);
    free(b->pointer);
    json_decref(b->index);
    free(b);
}

sfn_graph *sfn_graph_ref(sfn_graph *g)
{
    if (g)
        __atomic_add_fetch(&g->refcount, 1, __ATOMIC_RELAXED);
    return g;
}

void sfn_graph_unref(sfn_graph *g)
{
    if (!g || __atomic_sub_fetch(&g->refcount, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    asl_block_free(g->root);
    json_decref(g->definition);
    free(g);
}

const sfn_state *sfn_block_find(const sfn_block *b, const char *name)
{
    if (!b || !name)
        return NULL;
    json_t *ix = json_object_get(b->index, name);
    return ix ? &b->states[json_integer_value(ix)] : NULL;
}

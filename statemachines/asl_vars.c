/* asl_vars.c: workflow variables: Assign keys must be plain identifiers of
 * at most 80 characters and not the reserved `states`, and the scope rules
 * of ASL 7.6 that can be checked statically: a Parallel branch or inline
 * Map iteration may read outer variables but may not assign a name that an
 * enclosing scope assigns.  Distributed Map children start a fresh scope. */
#include <stdlib.h>
#include <string.h>

#include "asl_internal.h"

#define VAR_NAME_MAX 80

/* Letters, digits and '_', not starting with a digit; bytes >= 0x80 are
 * accepted as letters so non-ASCII identifiers are not refused. */
static const char *name_problem(const char *s, size_t len)
{
    if (len == 0)
        return "it is empty";
    if (asl_utf8_chars(s, len) > VAR_NAME_MAX)
        return "it is longer than 80 characters";
    if (!strcmp(s, "states"))
        return "'states' is reserved for $states";
    if (s[0] >= '0' && s[0] <= '9')
        return "it starts with a digit";
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        bool ok = ch >= 0x80 || ch == '_' || (ch >= 'a' && ch <= 'z') ||
                  (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
        if (!ok)
            return "only letters, digits and '_' are allowed (no paths "
                   "such as x.y or x[0])";
    }
    return NULL;
}

/* The variable a key assigns: JSONPath keys may end in ".$". */
static size_t var_name_len(sfn_ql ql, const char *key)
{
    size_t len = strlen(key);
    if (ql == SFN_QL_JSONPATH && len >= 2 && !strcmp(key + len - 2, ".$"))
        return len - 2;
    return len;
}

sfn_tpl *asl_assign_compile(asl_ctx *c, sfn_ql ql, const json_t *v,
                            const char *ptr)
{
    if (!json_is_object(v)) {
        asl_err(c, ASL_SCHEMA, ptr, NULL,
                "'Assign' must be an object mapping variable names to "
                "values, not %s", asl_json_type_name(v));
        return NULL;
    }
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)v, key, val) {
        size_t len = var_name_len(ql, key);
        char *name = strndup(key, len);
        if (!name) {
            c->oom = true;
            return NULL;
        }
        const char *why = name_problem(name, len);
        if (why)
            asl_err(c, ASL_BAD_VAR, ptr, key,
                    "Invalid variable name '%s' in Assign: %s", name, why);
        free(name);
    }
    return asl_tpl(c, ql, v, ptr);
}

/* ------------------------------------------------------------------ */
/* Scopes                                                              */

static void declare(asl_ctx *c, const json_t *outer, json_t *local,
                    sfn_ql ql, const json_t *assign, const char *ptr)
{
    if (!json_is_object(assign))
        return;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)assign, key, v) {
        char *name = strndup(key, var_name_len(ql, key));
        if (!name) {
            c->oom = true;
            return;
        }
        json_t *prev = json_object_get(outer, name);
        if (prev)
            asl_err(c, ASL_VAR_SCOPE, ptr, key,
                    "Variable '%s' is already assigned in an enclosing scope"
                    " (%s); a branch or iteration may read it but not "
                    "assign it", name, json_string_value(prev));
        else if (!json_object_get(local, name)) {
            char *p = asl_ptr(c, ptr, key);
            if (json_object_set_new(local, name, json_string(p)))
                c->oom = true;
            asl_ptr_free(p);
        }
        free(name);
    }
}

/* Assign objects of a state: its own, its top-level Choice rules' and its
 * catchers' (a catcher assigns in the scope holding the state). */
static void declare_state(asl_ctx *c, const json_t *outer, json_t *local,
                          const sfn_state *st)
{
    if (!json_is_object(st->raw))
        return;
    char *p = asl_ptr(c, st->pointer, "Assign");
    declare(c, outer, local, st->ql, json_object_get(st->raw, "Assign"), p);
    asl_ptr_free(p);
    static const char *const arrays[] = {"Choices", "Catch", NULL};
    for (const char *const *a = arrays; *a; a++) {
        const json_t *arr = json_object_get(st->raw, *a);
        if (!json_is_array(arr))
            continue;
        char *ap = asl_ptr(c, st->pointer, *a);
        size_t i;
        json_t *it;
        json_array_foreach(arr, i, it) {
            char *ip = asl_ptr_index(c, ap, i);
            char *asp = asl_ptr(c, ip, "Assign");
            declare(c, outer, local, st->ql, json_object_get(it, "Assign"),
                    asp);
            asl_ptr_free(asp);
            asl_ptr_free(ip);
        }
        asl_ptr_free(ap);
    }
}

static void check_block(asl_ctx *c, const sfn_block *b, const json_t *outer);

static void check_children(asl_ctx *c, const sfn_state *st,
                           const json_t *inner)
{
    for (size_t k = 0; k < st->n_branches; k++)
        check_block(c, st->branches[k], inner);
    if (st->processor) {
        json_t *fresh = st->distributed ? json_object() : NULL;
        if (st->distributed && !fresh) {
            c->oom = true;
            return;
        }
        check_block(c, st->processor, st->distributed ? fresh : inner);
        json_decref(fresh);
    }
}

static void check_block(asl_ctx *c, const sfn_block *b, const json_t *outer)
{
    json_t *local = json_object();
    if (!local) {
        c->oom = true;
        return;
    }
    for (size_t i = 0; i < b->n_states && !c->oom; i++)
        declare_state(c, outer, local, &b->states[i]);
    bool nested = false;
    for (size_t i = 0; i < b->n_states; i++)
        nested |= b->states[i].n_branches || b->states[i].processor;
    if (nested) {
        json_t *inner = json_deep_copy(outer);
        if (!inner || json_object_update_missing(inner, local)) {
            c->oom = true;
        } else {
            for (size_t i = 0; i < b->n_states && !c->oom; i++)
                check_children(c, &b->states[i], inner);
        }
        json_decref(inner);
    }
    json_decref(local);
}

void asl_vars_check_scopes(asl_ctx *c, const sfn_block *root)
{
    json_t *outer = json_object();
    if (!outer) {
        c->oom = true;
        return;
    }
    check_block(c, root, outer);
    json_decref(outer);
}

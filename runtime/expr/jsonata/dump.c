/* dump.c: renders a compiled JSONata AST as JSON shaped like jsonata-js's
 * own AST (type/value/lhs/rhs/steps/stages/...), for tests and debugging.
 * Read-only; allocation failure anywhere yields NULL. */
#include "jsonata_ast.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct dumper {
    bool pos;
    bool oom;
} dumper;

static json_t *node(dumper *d, const sfn_jn_node *n);

/* Steals v; remembers failure instead of checking at every call. */
static void put(dumper *d, json_t *o, const char *key, json_t *v)
{
    if (!v || json_object_set_new(o, key, v))
        d->oom = true;
}

static json_t *list(dumper *d, const sfn_jn_list *l)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < l->n; i++)
        if (json_array_append_new(a, node(d, l->v[i])))
            d->oom = true;
    if (!a)
        d->oom = true;
    return a;
}

/* [[key, value], ...] */
static json_t *pairs(dumper *d, const sfn_jn_pairs *p)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < p->keys.n; i++) {
        json_t *pair = json_pack("[oo]", node(d, p->keys.v[i]),
                                 node(d, p->values.v[i]));
        if (!pair || json_array_append_new(a, pair))
            d->oom = true;
    }
    return a;
}

static json_t *label(int l)
{
    char buf[24];
    snprintf(buf, sizeof buf, "!%d", l);
    return json_string(buf);
}

static json_t *signature(const sfn_jn_signature *s)
{
    return json_string(s->text);
}

/* Length of the valid UTF-8 sequence at s (no surrogates, no overlong
 * forms), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    size_t len = s[0] < 0x80 ? 1 : s[0] >= 0xC2 && s[0] <= 0xDF ? 2
                 : s[0] >= 0xE0 && s[0] <= 0xEF                ? 3
                 : s[0] >= 0xF0 && s[0] <= 0xF4                 ? 4
                                                                : 0;
    if (len == 0 || len > n)
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    if ((s[0] == 0xE0 && s[1] < 0xA0) || (s[0] == 0xED && s[1] >= 0xA0) ||
        (s[0] == 0xF0 && s[1] < 0x90) || (s[0] == 0xF4 && s[1] >= 0x90))
        return 0;
    return len;
}

/* Strings may hold lone surrogates (from \uD800 escapes) that JSON text
 * cannot carry; those bytes are shown as U+FFFD. */
static json_t *text(const char *s, size_t n)
{
    json_t *v = json_stringn(s, n);
    if (v)
        return v;
    char *buf = malloc(n * 3 + 1);
    if (!buf)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        size_t k = utf8_seq((const unsigned char *)s + i, n - i);
        if (k) {
            memcpy(buf + o, s + i, k);
            o += k;
            i += k;
        } else {
            memcpy(buf + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
        }
    }
    v = json_stringn(buf, o);
    free(buf);
    return v;
}

static json_t *literal(const sfn_jn_node *n)
{
    if (n->kind == SFN_JN_NUMBER) {
        /* Integral values as integers so tests can compare with json_equal. */
        if (n->num > -9e15 && n->num < 9e15 &&
            n->num == (double)(json_int_t)n->num)
            return json_integer((json_int_t)n->num);
        return json_real(n->num);
    }
    if (n->kind == SFN_JN_VALUE)
        return n->value == SFN_JV_TRUE    ? json_true()
               : n->value == SFN_JV_FALSE ? json_false()
                                          : json_null();
    if (n->kind == SFN_JN_PLACEHOLDER)
        return json_string("?");
    if (n->kind == SFN_JN_BINARY || n->kind == SFN_JN_BIND ||
        n->kind == SFN_JN_APPLY || n->kind == SFN_JN_NEGATE)
        return json_string(sfn__jsonata_op_text(n->op));
    if (n->kind == SFN_JN_ARRAY)
        return json_string("[");
    if (n->kind == SFN_JN_OBJECT)
        return json_string("{");
    if (n->str)
        return text(n->str, n->len);
    return NULL;
}

static void children(dumper *d, json_t *o, const sfn_jn_node *n)
{
    static const char *const item_keys[] = {
        [SFN_JN_PATH] = "steps",        [SFN_JN_ARRAY] = "expressions",
        [SFN_JN_BLOCK] = "expressions", [SFN_JN_FUNCTION] = "arguments",
        [SFN_JN_PARTIAL] = "arguments", [SFN_JN_LAMBDA] = "arguments",
        [SFN_JN_SORT] = "terms",
    };
    if (n->kind == SFN_JN_LAMBDA && n->thunk)
        put(d, o, "thunk", json_true());
    else if ((size_t)n->kind < sizeof item_keys / sizeof item_keys[0] &&
             item_keys[n->kind])
        put(d, o, item_keys[n->kind], list(d, &n->items));
    const struct {
        const char *key;
        const sfn_jn_node *child;
    } one[] = {
        {"lhs", n->lhs},         {"rhs", n->rhs},
        {n->kind == SFN_JN_FILTER ? "expr" : "expression", n->expr},
        {"condition", n->cond},
        {"then", n->then_},      {"else", n->else_},
        {"procedure", n->procedure}, {"body", n->body},
        {"pattern", n->pattern}, {"update", n->update},
        {"delete", n->del},
    };
    for (size_t i = 0; i < sizeof one / sizeof one[0]; i++)
        if (one[i].child)
            put(d, o, one[i].key, node(d, one[i].child));
    if (n->pairs)
        put(d, o, "lhs", pairs(d, n->pairs));
}

static void annotations(dumper *d, json_t *o, const sfn_jn_node *n)
{
    if (n->kind == SFN_JN_REGEX)
        put(d, o, "flags", json_string(n->flags));
    if (n->kind == SFN_JN_SORT_TERM)
        put(d, o, "descending", json_boolean(n->descending));
    if (n->signature)
        put(d, o, "signature", signature(n->signature));
    if (n->stages.n)
        put(d, o, "stages", list(d, &n->stages));
    if (n->predicate.n)
        put(d, o, "predicate", list(d, &n->predicate));
    if (n->group)
        put(d, o, "group", json_pack("{so}", "lhs", pairs(d, n->group)));
    if (n->focus)
        put(d, o, "focus", json_string(n->focus));
    if (n->index)
        put(d, o, "index", json_string(n->index));
    const struct {
        const char *key;
        bool on;
    } flags[] = {
        {"tuple", n->tuple},
        {"keepArray", n->keep_array},
        {"keepSingletonArray", n->keep_singleton_array},
        {"consarray", n->consarray},
    };
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        if (flags[i].on)
            put(d, o, flags[i].key, json_true());
    if (n->slot)
        put(d, o, "slot", json_pack("{so si}", "label",
                                    label(n->slot->label), "level",
                                    n->slot->level));
    if (n->ancestor)
        put(d, o, "ancestor", label(n->ancestor->label));
}

static json_t *node(dumper *d, const sfn_jn_node *n)
{
    json_t *o = json_object();
    if (!o) {
        d->oom = true;
        return NULL;
    }
    put(d, o, "type", json_string(sfn__jsonata_kind_name(n->kind)));
    json_t *v = literal(n);
    if (v)
        put(d, o, n->kind == SFN_JN_REGEX ? "pattern" : "value", v);
    if (d->pos)
        put(d, o, "position", json_integer(n->pos));
    children(d, o, n);
    annotations(d, o, n);
    return o;
}

json_t *sfn__jsonata_dump(const sfn_jn_node *n, bool with_positions)
{
    if (!n)
        return NULL;
    dumper d = {.pos = with_positions};
    json_t *o = node(&d, n);
    if (d.oom) {
        json_decref(o);
        return NULL;
    }
    return o;
}

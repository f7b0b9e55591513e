/* ast.c: the arena every JSONata AST lives in, list helpers, the operator
 * table and the syntax-error helper shared by lexer and parser.
 * Knows nothing about grammar. */
#include "jsonata_ast.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Small expressions fit one chunk; big ones grow chunk by chunk so the
 * arena never copies what it already handed out. */
#define CHUNK_MIN 4096

struct sfn_jn_chunk {
    sfn_jn_chunk *next;
    size_t used, cap;
    _Alignas(16) unsigned char data[];
};

void *sfn__jsonata_alloc(sfn_jn_arena *a, size_t size)
{
    size = (size + 15) & ~(size_t)15;
    if (size == 0)
        size = 16;
    sfn_jn_chunk *c = a->head;
    if (!c || c->cap - c->used < size) {
        size_t cap = size > CHUNK_MIN ? size : CHUNK_MIN;
        if (c && c->cap * 2 > cap && c->cap < 256 * 1024)
            cap = c->cap * 2;
        c = malloc(sizeof *c + cap);
        if (!c)
            return NULL;
        c->next = a->head;
        c->used = 0;
        c->cap = cap;
        a->head = c;
    }
    void *p = c->data + c->used;
    c->used += size;
    memset(p, 0, size);
    return p;
}

char *sfn__jsonata_strndup(sfn_jn_arena *a, const char *s, size_t len)
{
    char *d = sfn__jsonata_alloc(a, len + 1);
    if (d && len)
        memcpy(d, s, len);
    return d;
}

void sfn__jsonata_arena_free(sfn_jn_arena *a)
{
    sfn_jn_chunk *c = a->head;
    while (c) {
        sfn_jn_chunk *next = c->next;
        free(c);
        c = next;
    }
    a->head = NULL;
}

/* Grows an arena array of pointers; the old block stays in the arena. */
static void **grow(sfn_jn_arena *a, void **v, size_t n, size_t *cap)
{
    size_t ncap = *cap ? *cap * 2 : 4;
    void **nv = sfn__jsonata_alloc(a, ncap * sizeof *nv);
    if (!nv)
        return NULL;
    if (n)
        memcpy(nv, v, n * sizeof *nv);
    *cap = ncap;
    return nv;
}

sfn_rc sfn__jsonata_list_push(sfn_jn_arena *a, sfn_jn_list *l, sfn_jn_node *n)
{
    if (l->n == l->cap) {
        void **nv = grow(a, (void **)l->v, l->n, &l->cap);
        if (!nv)
            return SFN_ENOMEM;
        l->v = (sfn_jn_node **)nv;
    }
    l->v[l->n++] = n;
    return SFN_OK;
}

sfn_rc sfn__jsonata_slots_push(sfn_jn_arena *a, sfn_jn_slotlist *l,
                               sfn_jn_slot *s)
{
    if (l->n == l->cap) {
        void **nv = grow(a, (void **)l->v, l->n, &l->cap);
        if (!nv)
            return SFN_ENOMEM;
        l->v = (sfn_jn_slot **)nv;
    }
    l->v[l->n++] = s;
    return SFN_OK;
}

sfn_jn_node *sfn__jsonata_node_new(sfn_jn_arena *a, sfn_jn_kind kind, long pos)
{
    sfn_jn_node *n = sfn__jsonata_alloc(a, sizeof *n);
    if (n) {
        n->kind = kind;
        n->pos = pos;
    }
    return n;
}

static const struct {
    const char *text;
    int lbp;
} op_table[SFN_JO_COUNT_] = {
    [SFN_JO_NONE] = {"", 0},
#define SFN__JO_ROW(name, text, bp) [SFN_JO_##name] = {text, bp},
    SFN_JSONATA_OP_MAP(SFN__JO_ROW)
#undef SFN__JO_ROW
};

const char *sfn__jsonata_op_text(sfn_jn_op op)
{
    return (op >= 0 && op < SFN_JO_COUNT_) ? op_table[op].text : "";
}

int sfn__jsonata_op_lbp(sfn_jn_op op)
{
    return (op >= 0 && op < SFN_JO_COUNT_) ? op_table[op].lbp : 0;
}

sfn_rc sfn__jsonata_syntax(sfn_error *err, const char *code, long offset,
                           const char *fmt, ...)
{
    char msg[SFN_ERROR_CAUSE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return sfn_error_set(err, SFN_ESYNTAX, code, offset, "%s (at byte %ld)",
                         msg, offset);
}

const char *sfn__jsonata_kind_name(sfn_jn_kind kind)
{
    static const char *const names[] = {
        [SFN_JN_STRING] = "string",       [SFN_JN_NUMBER] = "number",
        [SFN_JN_VALUE] = "value",         [SFN_JN_REGEX] = "regex",
        [SFN_JN_NAME] = "name",           [SFN_JN_VARIABLE] = "variable",
        [SFN_JN_WILDCARD] = "wildcard",   [SFN_JN_DESCENDANT] = "descendant",
        [SFN_JN_PARENT] = "parent",       [SFN_JN_PATH] = "path",
        [SFN_JN_BINARY] = "binary",       [SFN_JN_NEGATE] = "unary",
        [SFN_JN_ARRAY] = "unary",         [SFN_JN_OBJECT] = "unary",
        [SFN_JN_FUNCTION] = "function",   [SFN_JN_PARTIAL] = "partial",
        [SFN_JN_PLACEHOLDER] = "operator", [SFN_JN_LAMBDA] = "lambda",
        [SFN_JN_CONDITION] = "condition", [SFN_JN_TRANSFORM] = "transform",
        [SFN_JN_BLOCK] = "block",         [SFN_JN_BIND] = "bind",
        [SFN_JN_APPLY] = "apply",         [SFN_JN_SORT] = "sort",
        [SFN_JN_SORT_TERM] = "term",      [SFN_JN_FILTER] = "filter",
        [SFN_JN_INDEX] = "index",         [SFN_JN_OPERATOR] = "operator",
        [SFN_JN_END] = "end",
    };
    if ((unsigned)kind < sizeof names / sizeof names[0] && names[kind])
        return names[kind];
    return "unknown";
}

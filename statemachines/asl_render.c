/* asl_render.c: Graphviz DOT and Mermaid pictures of a compiled graph (see
 * sfn_asl_render.h).  Node ids are generated ("s<N>") so state names, which
 * may hold any character, only ever appear inside escaped labels. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sfn_asl_render.h"
#include "sfn_json.h"

#define LABEL_MAX 60 /* characters on an edge label before "..." */
#define ID_MAX 24  /* "s<int>", "n_start" */
#define CID_MAX 96 /* "cluster_s<int>_b<size_t>_end" */

/* ==== Growable text buffer ==== */

typedef struct {
    char *data;
    size_t len, cap;
    bool oom;
} sbuf;

static bool sb_reserve(sbuf *b, size_t extra)
{
    if (b->oom)
        return false;
    if (b->cap - b->len > extra)
        return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len <= extra) {
        if (cap > (size_t)-1 / 2) {
            b->oom = true;
            return false;
        }
        cap *= 2;
    }
    char *grown = realloc(b->data, cap);
    if (!grown) {
        b->oom = true;
        return false;
    }
    b->data = grown;
    b->cap = cap;
    return true;
}

static void sb_putn(sbuf *b, const char *s, size_t n)
{
    if (!sb_reserve(b, n))
        return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static void sb_puts(sbuf *b, const char *s)
{
    sb_putn(b, s, strlen(s));
}

static void sb_printf(sbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void sb_printf(sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->oom = true;
        return;
    }
    if (!sb_reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* Cuts b to at most max UTF-8 characters, ending in "..." when cut. */
static void sb_truncate_chars(sbuf *b, size_t max)
{
    if (!max || b->oom || !b->data)
        return;
    size_t chars = 0, cut = 0;
    for (size_t i = 0; i < b->len; i++) {
        if (((unsigned char)b->data[i] & 0xC0) == 0x80)
            continue;
        if (chars == max - (max > 3 ? 3 : 0))
            cut = i;
        if (++chars > max) {
            b->len = cut;
            b->data[b->len] = '\0';
            sb_puts(b, "...");
            return;
        }
    }
}

/* ==== Choice rules as text ==== */

static const char *op_symbol(sfn_choice_op op)
{
    switch (op) {
    case SFN_OP_STRING_EQ: case SFN_OP_NUMERIC_EQ:
    case SFN_OP_BOOLEAN_EQ: case SFN_OP_TIMESTAMP_EQ: return "==";
    case SFN_OP_STRING_LT: case SFN_OP_NUMERIC_LT:
    case SFN_OP_TIMESTAMP_LT: return "<";
    case SFN_OP_STRING_GT: case SFN_OP_NUMERIC_GT:
    case SFN_OP_TIMESTAMP_GT: return ">";
    case SFN_OP_STRING_LE: case SFN_OP_NUMERIC_LE:
    case SFN_OP_TIMESTAMP_LE: return "<=";
    case SFN_OP_STRING_GE: case SFN_OP_NUMERIC_GE:
    case SFN_OP_TIMESTAMP_GE: return ">=";
    case SFN_OP_STRING_MATCHES: return "matches";
    default: return NULL; /* a type test, drawn as a call */
    }
}

static const char *test_name(sfn_choice_op op)
{
    switch (op) {
    case SFN_OP_IS_NULL: return "isNull";
    case SFN_OP_IS_PRESENT: return "isPresent";
    case SFN_OP_IS_NUMERIC: return "isNumeric";
    case SFN_OP_IS_STRING: return "isString";
    case SFN_OP_IS_BOOLEAN: return "isBoolean";
    default: return "isTimestamp";
    }
}

static void put_json(sbuf *b, const json_t *v)
{
    char *s = v ? sfn_json_dumps(v, 0) : NULL;
    if (v && !s) {
        b->oom = true;
        return;
    }
    sb_puts(b, s ? s : "?");
    free(s);
}

static void put_path(sbuf *b, const sfn_jsonpath *p)
{
    const char *t = p ? sfn_jsonpath_text(p) : NULL;
    sb_puts(b, t ? t : "?");
}

static void put_compare(sbuf *b, const sfn_rule *r)
{
    const char *sym = op_symbol(r->op);
    if (!sym) {
        bool negate = json_is_false(r->operand);
        sb_printf(b, "%s%s(", negate ? "!" : "", test_name(r->op));
        put_path(b, r->variable);
        sb_puts(b, ")");
        return;
    }
    put_path(b, r->variable);
    sb_printf(b, " %s ", sym);
    if (r->operand_path)
        put_path(b, r->operand_path);
    else
        put_json(b, r->operand);
}

/* The text between "{%" and "%}", trimmed. */
static void put_condition(sbuf *b, const sfn_rule *r, const json_t *raw)
{
    if (r->condition_literal) {
        sb_puts(b, r->condition_value ? "true" : "false");
        return;
    }
    const char *s = json_string_value(json_object_get(raw, "Condition"));
    if (!s) {
        sb_puts(b, "Condition");
        return;
    }
    size_t n = strlen(s);
    if (n >= 4 && !strncmp(s, "{%", 2) && !strcmp(s + n - 2, "%}")) {
        s += 2;
        n -= 4;
    }
    while (n && (*s == ' ' || *s == '\t' || *s == '\n')) {
        s++;
        n--;
    }
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n'))
        n--;
    sb_putn(b, s, n);
}

static void put_rule(sbuf *b, const sfn_rule *r, const json_t *raw, int depth)
{
    if (!r) {
        sb_puts(b, "?");
        return;
    }
    switch (r->kind) {
    case SFN_RULE_COMPARE: put_compare(b, r); return;
    case SFN_RULE_CONDITION: put_condition(b, r, raw); return;
    case SFN_RULE_NOT:
        sb_puts(b, "!(");
        put_rule(b, r->n_children ? r->children[0] : NULL,
                 json_object_get(raw, "Not"), depth + 1);
        sb_puts(b, ")");
        return;
    case SFN_RULE_AND:
    case SFN_RULE_OR: break;
    }
    bool and = r->kind == SFN_RULE_AND;
    const json_t *kids = json_object_get(raw, and ? "And" : "Or");
    if (depth)
        sb_puts(b, "(");
    for (size_t i = 0; i < r->n_children; i++) {
        if (i)
            sb_puts(b, and ? " && " : " || ");
        put_rule(b, r->children[i], json_array_get(kids, i), depth + 1);
    }
    if (depth)
        sb_puts(b, ")");
}

char *sfn_asl_render_rule(const sfn_rule *rule, const json_t *raw,
                          size_t max_chars)
{
    sbuf b = {0};
    sb_puts(&b, "");
    put_rule(&b, rule, raw, 0);
    sb_truncate_chars(&b, max_chars);
    if (b.oom) {
        free(b.data);
        return NULL;
    }
    return b.data;
}

/* ==== Escaping ==== */

/* Nodes and clusters go to `out` in nesting order; every edge goes to
 * `edges`, appended at the top level at the end, because an edge statement
 * inside a cluster would pull its endpoints into that cluster. */
typedef struct {
    sbuf out, edges;
    sfn_render_fmt fmt;
    int next_id;
} rctx;

/* DOT quoted string: backslash and quote escaped, newline as "\n". */
static void esc_dot(sbuf *b, const char *s)
{
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') {
            char e[2] = {'\\', (char)ch};
            sb_putn(b, e, 2);
        } else if (ch == '\n') {
            sb_puts(b, "\\n");
        } else if (ch < 0x20 || ch == 0x7f) {
            sb_puts(b, " ");
        } else {
            sb_putn(b, s, 1);
        }
    }
}

/* Mermaid quoted label: its "#name;" entities for characters that would end
 * the string or start markup, "<br/>" for newlines. */
static void esc_mermaid(sbuf *b, const char *s)
{
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        switch (ch) {
        case '"': sb_puts(b, "#quot;"); break;
        case '#': sb_puts(b, "#35;"); break;
        case '&': sb_puts(b, "#amp;"); break;
        case '<': sb_puts(b, "#lt;"); break;
        case '>': sb_puts(b, "#gt;"); break;
        case '%': sb_puts(b, "#37;"); break;
        case '`': sb_puts(b, "#96;"); break;
        case '\n': sb_puts(b, "<br/>"); break;
        default:
            if (ch < 0x20 || ch == 0x7f)
                sb_puts(b, " ");
            else
                sb_putn(b, s, 1);
        }
    }
}

static void put_esc(rctx *c, sbuf *b, const char *s)
{
    if (c->fmt == SFN_RENDER_DOT)
        esc_dot(b, s);
    else
        esc_mermaid(b, s);
}

/* The line break between a node's name and its type. */
static void put_break(rctx *c)
{
    sb_puts(&c->out, c->fmt == SFN_RENDER_DOT ? "\\n" : "<br/>");
}

static void indent(rctx *c, int depth)
{
    for (int i = 0; i <= depth; i++)
        sb_puts(&c->out, "  ");
}

/* ==== Nodes and edges ==== */

typedef enum {
    EDGE_NEXT,
    EDGE_RULE,
    EDGE_DEFAULT,
    EDGE_CATCH,
    EDGE_ENTER, /* owner state -> first state of a branch / processor */
    EDGE_END
} edge_kind;

static const char *dot_node_attrs(sfn_state_type t)
{
    switch (t) {
    case SFN_ST_CHOICE:
        return "shape=diamond, style=filled, fillcolor=\"#fff3e0\"";
    case SFN_ST_SUCCEED:
        return "style=\"rounded,filled,bold\", fillcolor=\"#c8e6c9\", "
               "color=\"#2e7d32\"";
    case SFN_ST_FAIL:
        return "style=\"rounded,filled,bold\", fillcolor=\"#ffcdd2\", "
               "color=\"#c62828\"";
    case SFN_ST_TASK:
        return "style=\"rounded,filled\", fillcolor=\"#e3f2fd\"";
    case SFN_ST_PARALLEL:
    case SFN_ST_MAP:
        return "style=\"rounded,filled\", fillcolor=\"#ede7f6\"";
    case SFN_ST_WAIT:
        return "style=\"rounded,filled\", fillcolor=\"#fffde7\"";
    default:
        return "style=rounded";
    }
}

/* Mermaid shape brackets and class for a state type. */
static void mermaid_shape(sfn_state_type t, const char **open,
                          const char **close, const char **cls)
{
    *open = "[\"";
    *close = "\"]";
    *cls = NULL;
    switch (t) {
    case SFN_ST_CHOICE: *open = "{\""; *close = "\"}"; *cls = "choice"; break;
    case SFN_ST_SUCCEED:
        *open = "([\""; *close = "\"])"; *cls = "succeed"; break;
    case SFN_ST_FAIL: *open = "([\""; *close = "\"])"; *cls = "fail"; break;
    case SFN_ST_TASK: *cls = "task"; break;
    case SFN_ST_PARALLEL: case SFN_ST_MAP: *cls = "fanout"; break;
    default: break;
    }
}

static void emit_state_node(rctx *c, const sfn_state *s, const char *id,
                            int depth)
{
    indent(c, depth);
    const char *type = sfn_state_type_name(s->type);
    if (c->fmt == SFN_RENDER_DOT) {
        sb_printf(&c->out, "%s [label=\"", id);
        put_esc(c, &c->out, s->name ? s->name : "");
        put_break(c);
        sb_printf(&c->out, "%s\", %s];\n", type, dot_node_attrs(s->type));
        return;
    }
    const char *open, *close, *cls;
    mermaid_shape(s->type, &open, &close, &cls);
    sb_printf(&c->out, "%s%s", id, open);
    put_esc(c, &c->out, s->name ? s->name : "");
    put_break(c);
    sb_printf(&c->out, "%s%s%s%s\n", type, close, cls ? ":::" : "",
              cls ? cls : "");
}

static void emit_end_node(rctx *c, const char *id, int depth, bool top)
{
    indent(c, depth);
    if (c->fmt == SFN_RENDER_DOT)
        sb_printf(&c->out,
                  top ? "%s [label=\"End\", shape=doublecircle, "
                        "width=0.3, fontsize=10];\n"
                      : "%s [label=\"\", shape=point, width=0.15];\n",
                  id);
    else
        sb_printf(&c->out, top ? "%s(((\"End\")))\n" : "%s((\" \"))\n", id);
}

static const char *dot_edge_attrs(edge_kind k)
{
    switch (k) {
    case EDGE_DEFAULT: return "style=bold, color=\"#616161\"";
    case EDGE_CATCH:
        return "style=dashed, color=\"#c62828\", fontcolor=\"#c62828\"";
    case EDGE_ENTER: return "style=dotted, arrowhead=empty";
    default: return NULL;
    }
}

static void emit_edge(rctx *c, const char *from, const char *to,
                      edge_kind k, const char *label)
{
    sbuf *e = &c->edges;
    sb_puts(e, "  ");
    if (c->fmt == SFN_RENDER_DOT) {
        const char *attrs = dot_edge_attrs(k);
        sb_printf(e, "%s -> %s", from, to);
        if (label || attrs) {
            sb_puts(e, " [");
            if (label) {
                sb_puts(e, "label=\"");
                put_esc(c, e, label);
                sb_puts(e, attrs ? "\", " : "\"");
            }
            sb_printf(e, "%s]", attrs ? attrs : "");
        }
        sb_puts(e, ";\n");
        return;
    }
    const char *arrow = k == EDGE_CATCH   ? "-.->"
                        : k == EDGE_ENTER ? "==>"
                                          : "-->";
    sb_printf(e, "%s %s", from, arrow);
    if (label) {
        sb_puts(e, "|\"");
        put_esc(c, e, label);
        sb_puts(e, "\"|");
    }
    sb_printf(e, " %s\n", to);
}

static void open_cluster(rctx *c, const char *id, const char *title,
                         const char *kind, int depth)
{
    indent(c, depth);
    if (c->fmt == SFN_RENDER_DOT) {
        sb_printf(&c->out, "subgraph %s {\n", id);
        indent(c, depth + 1);
        sb_puts(&c->out, "label=\"");
        put_esc(c, &c->out, title);
        if (kind)
            sb_printf(&c->out, " (%s)", kind);
        sb_puts(&c->out, "\";\n");
        indent(c, depth + 1);
        sb_puts(&c->out, "style=\"rounded,dashed\"; color=\"#7e57c2\";\n");
        return;
    }
    sb_printf(&c->out, "subgraph %s [\"", id);
    put_esc(c, &c->out, title);
    if (kind)
        sb_printf(&c->out, " (%s)", kind);
    sb_puts(&c->out, "\"]\n");
}

static void close_cluster(rctx *c, int depth)
{
    indent(c, depth);
    sb_puts(&c->out, c->fmt == SFN_RENDER_DOT ? "}\n" : "end\n");
}

static void emit_block(rctx *c, const sfn_block *b, const char *end_id,
                       int depth);

/* A nested block (branch or processor) in its cluster, entered from the
 * owning state's node `owner_id`. */
static void emit_sub_block(rctx *c, const sfn_block *b, const char *owner_id,
                           const char *cluster_id, const char *title,
                           const char *kind, const char *enter_label,
                           int depth)
{
    if (!b || !b->n_states)
        return;
    char end_id[CID_MAX], start_id[ID_MAX];
    /* "cluster_s4_b0" -> "s4_b0_end" */
    snprintf(end_id, sizeof end_id, "%s_end", cluster_id + 8);
    int start = b->start >= 0 && (size_t)b->start < b->n_states ? b->start : 0;
    snprintf(start_id, sizeof start_id, "s%d", c->next_id + start);
    open_cluster(c, cluster_id, title, kind, depth);
    emit_end_node(c, end_id, depth + 1, false);
    emit_block(c, b, end_id, depth + 1);
    close_cluster(c, depth);
    emit_edge(c, owner_id, start_id, EDGE_ENTER, enter_label);
}

static void emit_children(rctx *c, const sfn_state *s, const char *id,
                          int depth)
{
    char cid[CID_MAX / 2], bid[CID_MAX], title[32], enter[32];
    const char *name = s->name ? s->name : "";
    snprintf(cid, sizeof cid, "cluster_%s", id);
    if (s->type == SFN_ST_MAP) {
        emit_sub_block(c, s->processor, id, cid, name, "Map", "each item",
                       depth);
        return;
    }
    if (s->type != SFN_ST_PARALLEL || !s->n_branches)
        return;
    open_cluster(c, cid, name, "Parallel", depth);
    for (size_t i = 0; i < s->n_branches; i++) {
        snprintf(bid, sizeof bid, "%s_b%zu", cid, i);
        snprintf(title, sizeof title, "Branch %zu", i + 1);
        snprintf(enter, sizeof enter, "branch %zu", i + 1);
        emit_sub_block(c, s->branches[i], id, bid, title, NULL, enter,
                       depth + 1);
    }
    close_cluster(c, depth);
}

/* ==== Blocks and the whole graph ==== */

/* "s<N>" for state `idx` of a block whose first id is base; false when the
 * index does not name a state of the block. */
static bool state_id(const sfn_block *b, int base, int idx, char *out)
{
    if (idx < 0 || (size_t)idx >= b->n_states)
        return false;
    snprintf(out, ID_MAX, "s%d", base + idx);
    return true;
}

static void emit_catch_edges(rctx *c, const sfn_block *b, const sfn_state *s,
                             const char *from, int base)
{
    char to[ID_MAX];
    for (size_t i = 0; i < s->n_catchers; i++) {
        const sfn_catcher *k = &s->catchers[i];
        if (!state_id(b, base, k->next, to))
            continue;
        sbuf label = {0};
        sb_puts(&label, "catch: ");
        for (size_t e = 0; e < k->n_errors; e++) {
            sb_puts(&label, e ? ", " : "");
            sb_puts(&label, k->errors[e] ? k->errors[e] : "?");
        }
        sb_truncate_chars(&label, LABEL_MAX);
        if (label.oom)
            c->edges.oom = true;
        else
            emit_edge(c, from, to, EDGE_CATCH, label.data);
        free(label.data);
    }
}

static void emit_choice_edges(rctx *c, const sfn_block *b, const sfn_state *s,
                              const char *from, int base)
{
    char to[ID_MAX];
    const json_t *raw = json_object_get(s->raw, "Choices");
    for (size_t i = 0; i < s->n_choices; i++) {
        const sfn_rule *r = s->choices[i];
        if (!r || !state_id(b, base, r->next, to))
            continue;
        char *label = sfn_asl_render_rule(r, json_array_get(raw, i),
                                          LABEL_MAX);
        if (!label)
            c->edges.oom = true;
        else
            emit_edge(c, from, to, EDGE_RULE, label);
        free(label);
    }
    if (state_id(b, base, s->default_next, to))
        emit_edge(c, from, to, EDGE_DEFAULT, "Default");
}

static void emit_state_edges(rctx *c, const sfn_block *b, size_t i, int base,
                             const char *end_id)
{
    const sfn_state *s = &b->states[i];
    char from[ID_MAX], to[ID_MAX];
    snprintf(from, sizeof from, "s%d", base + (int)i);
    if (s->type == SFN_ST_CHOICE)
        emit_choice_edges(c, b, s, from, base);
    else if (s->end || s->type == SFN_ST_SUCCEED || s->type == SFN_ST_FAIL)
        emit_edge(c, from, end_id, EDGE_END, NULL);
    else if (state_id(b, base, s->next, to))
        emit_edge(c, from, to, EDGE_NEXT, NULL);
    emit_catch_edges(c, b, s, from, base);
}

/* The states of b get the ids base .. base+n-1, allocated before any nested
 * block so that edges inside b can be computed from the index alone. */
static void emit_block(rctx *c, const sfn_block *b, const char *end_id,
                       int depth)
{
    int base = c->next_id;
    c->next_id += (int)b->n_states;
    char id[ID_MAX];
    for (size_t i = 0; i < b->n_states; i++) {
        snprintf(id, sizeof id, "s%d", base + (int)i);
        emit_state_node(c, &b->states[i], id, depth);
    }
    for (size_t i = 0; i < b->n_states; i++) {
        snprintf(id, sizeof id, "s%d", base + (int)i);
        emit_children(c, &b->states[i], id, depth);
    }
    for (size_t i = 0; i < b->n_states; i++)
        emit_state_edges(c, b, i, base, end_id);
}

static void emit_header(rctx *c, const sfn_graph *g)
{
    sbuf *o = &c->out;
    if (c->fmt == SFN_RENDER_MERMAID) {
        sb_puts(o, "flowchart TD\n"
                   "  classDef task fill:#e3f2fd,stroke:#1565c0\n"
                   "  classDef choice fill:#fff3e0,stroke:#ef6c00\n"
                   "  classDef succeed fill:#c8e6c9,stroke:#2e7d32,"
                   "stroke-width:2px\n"
                   "  classDef fail fill:#ffcdd2,stroke:#c62828,"
                   "stroke-width:2px\n"
                   "  classDef fanout fill:#ede7f6,stroke:#5e35b1\n"
                   "  n_start((\"Start\"))\n");
        emit_end_node(c, "n_end", 0, true);
        return;
    }
    sb_puts(o, "digraph stepd {\n  graph [fontname=\"Helvetica\"");
    if (g->comment && *g->comment) {
        sbuf t = {0};
        sb_puts(&t, g->comment);
        sb_truncate_chars(&t, 80);
        sb_puts(o, ", labelloc=t, label=\"");
        if (t.oom)
            o->oom = true;
        else
            esc_dot(o, t.data);
        sb_puts(o, "\"");
        free(t.data);
    }
    sb_puts(o, "];\n"
               "  node [shape=box, fontname=\"Helvetica\", fontsize=11];\n"
               "  edge [fontname=\"Helvetica\", fontsize=9];\n"
               "  n_start [label=\"Start\", shape=circle, style=filled, "
               "fillcolor=\"#424242\", fontcolor=white, width=0.3, "
               "fontsize=10];\n");
    emit_end_node(c, "n_end", 0, true);
}

sfn_rc sfn_asl_render(const sfn_graph *g, sfn_render_fmt fmt, char **out,
                      size_t *len, sfn_error *err)
{
    if (!g || !g->root || (fmt != SFN_RENDER_DOT && fmt != SFN_RENDER_MERMAID))
        return sfn_error_set(err, SFN_EINVAL, NULL, -1,
                             "render: %s", !g || !g->root
                                               ? "no graph given"
                                               : "unknown output format");
    rctx c = {.fmt = fmt};
    emit_header(&c, g);
    char start[ID_MAX];
    if (state_id(g->root, 0, g->root->start, start))
        emit_edge(&c, "n_start", start, EDGE_NEXT, NULL);
    emit_block(&c, g->root, "n_end", 0);
    sb_putn(&c.out, c.edges.data ? c.edges.data : "", c.edges.len);
    if (fmt == SFN_RENDER_DOT)
        sb_puts(&c.out, "}\n");
    free(c.edges.data);
    if (c.out.oom || c.edges.oom) {
        free(c.out.data);
        return sfn_error_set(err, SFN_ENOMEM, NULL, -1,
                             "render: out of memory");
    }
    *out = c.out.data;
    if (len)
        *len = c.out.len;
    return SFN_OK;
}

sfn_rc sfn_asl_render_fmt_parse(const char *name, sfn_render_fmt *out,
                                sfn_error *err)
{
    if (name && !strcmp(name, "dot")) {
        *out = SFN_RENDER_DOT;
        return SFN_OK;
    }
    if (name && !strcmp(name, "mermaid")) {
        *out = SFN_RENDER_MERMAID;
        return SFN_OK;
    }
    return sfn_error_set(err, SFN_EINVAL, NULL, -1,
                         "unknown graph format '%s' (expected 'dot' or "
                         "'mermaid')",
                         name ? name : "");
}

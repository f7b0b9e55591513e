/* asl_compile.c: entry points of the ASL compiler.  Turns definition text
 * into JSON with clear diagnostics for every way text can be unusable, then
 * checks the top level and each States block (names, StartAt, reachability,
 * terminal states) and hands states to asl_states.c. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asl_internal.h"
#include "sfn_json.h"

/* ------------------------------------------------------------------ */
/* Diagnostic helpers                                                  */

static void vreport(asl_ctx *c, sfn_severity sev, const char *code,
                    const char *base, const char *field, const char *fmt,
                    va_list ap)
{
    char msg[2048];
    vsnprintf(msg, sizeof msg, fmt, ap);
    char *loc = field ? sfn_pointer_join(base, field) : NULL;
    if (field && !loc) {
        c->oom = true;
        return;
    }
    if (sfn_diags_add(c->diags, sev, code, loc ? loc : base, "%s", msg))
        c->oom = true;
    free(loc);
}

void asl_err(asl_ctx *c, const char *code, const char *base,
             const char *field, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(c, SFN_SEV_ERROR, code, base, field, fmt, ap);
    va_end(ap);
}

void asl_warn(asl_ctx *c, const char *code, const char *base,
              const char *field, const char *fmt, ...)
{
    if (!c->opts || !c->opts->warnings)
        return;
    va_list ap;
    va_start(ap, fmt);
    vreport(c, SFN_SEV_WARNING, code, base, field, fmt, ap);
    va_end(ap);
}

static char empty_ptr[1] = "";

char *asl_ptr(asl_ctx *c, const char *base, const char *token)
{
    char *p = sfn_pointer_join(base, token);
    if (!p) {
        c->oom = true;
        return empty_ptr;
    }
    return p;
}

char *asl_ptr_index(asl_ctx *c, const char *base, size_t index)
{
    char *p = sfn_pointer_join_index(base, index);
    if (!p) {
        c->oom = true;
        return empty_ptr;
    }
    return p;
}

void asl_ptr_free(char *p)
{
    if (p != empty_ptr)
        free(p);
}

char *asl_strdup(asl_ctx *c, const char *s)
{
    char *d = strdup(s);
    if (!d)
        c->oom = true;
    return d;
}

const char *asl_json_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    default: return "null";
    }
}

const char *asl_show(const json_t *v, char *buf, size_t size)
{
    char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    if (!s) {
        snprintf(buf, size, "%s", asl_json_type_name(v));
        return buf;
    }
    if (strlen(s) >= size && size > 4)
        snprintf(buf, size, "%.*s...", (int)(size - 4), s);
    else
        snprintf(buf, size, "%s", s);
    free(s);
    return buf;
}

size_t asl_utf8_chars(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += ((unsigned char)s[i] & 0xC0) != 0x80;
    return n;
}

static bool in_list(const char *key, const char *const *list)
{
    for (; *list; list++)
        if (!strcmp(key, *list))
            return true;
    return false;
}

bool asl_check_known(asl_ctx *c, const json_t *obj, const char *ptr,
                     const char *const *allowed)
{
    bool ok = true;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v) {
        if (in_list(key, allowed))
            continue;
        asl_err(c, ASL_SCHEMA, ptr, key,
                "The field '%s' is not supported by Step Functions", key);
        ok = false;
    }
    return ok;
}

bool asl_check_required(asl_ctx *c, const json_t *obj, const char *ptr,
                        const char *const *required)
{
    char missing[512] = "";
    size_t used = 0;
    for (; *required; required++) {
        if (json_object_get(obj, *required))
            continue;
        used += (size_t)snprintf(missing + used, sizeof missing - used,
                                 "%s%s", used ? ", " : "", *required);
        if (used >= sizeof missing)
            break;
    }
    if (!used)
        return true;
    asl_err(c, ASL_SCHEMA, ptr, NULL, "These fields are required: [%s]",
            missing);
    return false;
}

/* ------------------------------------------------------------------ */
/* Blocks                                                              */

static const char *const BRANCH_FIELDS[] = {"StartAt", "States", "Comment",
                                            NULL};
static const char *const PROCESSOR_FIELDS[] = {
    "StartAt", "States", "Comment", "ProcessorConfig", NULL};
static const char *const BLOCK_REQUIRED[] = {"States", "StartAt", NULL};

/* Registers each state name in the block index and machine-wide. */
static void index_names(asl_ctx *c, sfn_block *b, const json_t *states)
{
    const char *name;
    json_t *v;
    size_t i = 0;
    json_object_foreach((json_t *)states, name, v) {
        sfn_state *st = &b->states[i];
        char *states_ptr = sfn_pointer_join(b->pointer, "States");
        char *sp = states_ptr ? sfn_pointer_join(states_ptr, name) : NULL;
        free(states_ptr);
        if (!sp) {
            c->oom = true;
            return;
        }
        st->name = name;
        st->pointer = sp;
        st->raw = v;
        st->next = -1;
        st->default_next = -1;
        if (json_object_set_new(b->index, name, json_integer((json_int_t)i)))
            c->oom = true;
        size_t nlen = strlen(name);
        size_t chars = asl_utf8_chars(name, nlen);
        if (chars == 0 || chars > SFN_ASL_NAME_MAX)
            asl_err(c, ASL_BAD_NAME, sp, NULL,
                    "State name '%s' must be 1 to %d characters long (it "
                    "has %zu)", name, SFN_ASL_NAME_MAX, chars);
        json_t *prev = json_object_get(c->all_names, name);
        if (prev)
            asl_err(c, ASL_DUP_NAME, sp, NULL,
                    "State name '%s' is already used at %s; state names "
                    "must be unique across the whole definition", name,
                    json_string_value(prev));
        else if (json_object_set_new(c->all_names, name, json_string(sp)))
            c->oom = true;
        i++;
    }
}

static void add_edge(const json_t *index, const json_t *target, int *stack,
                     size_t *top, bool *seen)
{
    if (!json_is_string(target))
        return;
    json_t *ix = json_object_get(index, json_string_value(target));
    if (!ix)
        return;
    size_t i = (size_t)json_integer_value(ix);
    if (!seen[i]) {
        seen[i] = true;
        stack[(*top)++] = (int)i;
    }
}

static void add_array_edges(const json_t *index, const json_t *arr,
                            int *stack, size_t *top, bool *seen)
{
    size_t k;
    json_t *it;
    json_array_foreach(arr, k, it) {
        if (json_is_object(it))
            add_edge(index, json_object_get(it, "Next"), stack, top, seen);
    }
}

/* Edges are read from the raw JSON, so a state whose own fields are wrong
 * does not make its successors look unreachable as well. */
static void check_reachability(asl_ctx *c, sfn_block *b)
{
    size_t n = b->n_states;
    bool *seen = calloc(n, sizeof *seen);
    int *stack = malloc(n * sizeof *stack);
    if (!seen || !stack) {
        c->oom = true;
        free(seen);
        free(stack);
        return;
    }
    size_t top = 0;
    seen[b->start] = true;
    stack[top++] = b->start;
    while (top) {
        const json_t *s = b->states[stack[--top]].raw;
        if (!json_is_object(s))
            continue;
        add_edge(b->index, json_object_get(s, "Next"), stack, &top, seen);
        add_edge(b->index, json_object_get(s, "Default"), stack, &top, seen);
        add_array_edges(b->index, json_object_get(s, "Choices"), stack, &top,
                        seen);
        add_array_edges(b->index, json_object_get(s, "Catch"), stack, &top,
                        seen);
    }
    for (size_t i = 0; i < n; i++)
        if (!seen[i])
            asl_err(c, ASL_UNREACHABLE, b->states[i].pointer, NULL,
                    "No transition found to state '%s'; every state must "
                    "be StartAt or the target of a transition in its block",
                    b->states[i].name);
    free(seen);
    free(stack);
}

static bool raw_is_terminal(const json_t *s, bool *type_known)
{
    const char *t = json_string_value(json_object_get(s, "Type"));
    static const char *const types[] = {"Pass", "Task", "Choice", "Wait",
                                        "Succeed", "Fail", "Parallel",
                                        "Map", NULL};
    if (!t || !in_list(t, types))
        *type_known = false;
    if (t && (!strcmp(t, "Succeed") || !strcmp(t, "Fail")))
        return true;
    return json_is_true(json_object_get(s, "End"));
}

static void check_terminal(asl_ctx *c, const sfn_block *b)
{
    bool known = true;
    for (size_t i = 0; i < b->n_states; i++)
        if (raw_is_terminal(b->states[i].raw, &known))
            return;
    if (known)
        asl_err(c, ASL_NO_TERMINAL, b->pointer, "States",
                "No terminal state: at least one state must be Succeed, "
                "Fail or have \"End\": true");
}

static void compile_states(asl_ctx *c, sfn_block *b, const json_t *obj)
{
    const json_t *states = json_object_get(obj, "States");
    const json_t *start = json_object_get(obj, "StartAt");
    bool states_ok = json_is_object(states) && json_object_size(states);
    if (!json_is_object(states))
        asl_err(c, ASL_SCHEMA, b->pointer, "States",
                "'States' must be an object mapping state names to states, "
                "not %s", asl_json_type_name(states));
    else if (!json_object_size(states))
        asl_err(c, ASL_SCHEMA, b->pointer, "States",
                "'States' must contain at least one state");
    if (!json_is_string(start))
        asl_err(c, ASL_SCHEMA, b->pointer, "StartAt",
                "'StartAt' must be a string naming a state, not %s",
                asl_json_type_name(start));
    if (!states_ok)
        return;
    b->n_states = json_object_size(states);
    b->states = calloc(b->n_states, sizeof *b->states);
    if (!b->states) {
        c->oom = true;
        b->n_states = 0;
        return;
    }
    index_names(c, b, states);
    if (c->oom)
        return;
    c->g->n_states_total += b->n_states;
    for (size_t i = 0; i < b->n_states && !c->oom; i++)
        asl_state_compile(c, b, b->index, &b->states[i]);
    if (json_is_string(start)) {
        b->start = asl_resolve(c, b->index, start, b->pointer, "StartAt");
        if (b->start >= 0 && !c->bad_edges)
            check_reachability(c, b);
    }
    if (!c->bad_edges)
        check_terminal(c, b);
}

sfn_rc asl_block_compile(asl_ctx *c, const json_t *obj, const char *ptr,
                         sfn_block *parent, const sfn_state *owner,
                         bool is_processor, sfn_block **out)
{
    sfn_block *b = calloc(1, sizeof *b);
    if (!b || !(b->pointer = strdup(ptr)) || !(b->index = json_object())) {
        c->oom = true;
        if (b)
            free(b->pointer);
        free(b);
        return SFN_ENOMEM;
    }
    b->parent = parent;
    b->owner = owner;
    b->start = -1;
    *out = b;
    if (!json_is_object(obj)) {
        asl_err(c, ASL_SCHEMA, ptr, NULL,
                "A state machine block must be an object with StartAt and "
                "States, not %s", asl_json_type_name(obj));
        return SFN_OK;
    }
    if (++c->depth > ASL_DEPTH_MAX) {
        asl_err(c, ASL_SCHEMA, ptr, NULL,
                "Branches and Map processors nest deeper than %d levels",
                ASL_DEPTH_MAX);
        c->depth--;
        return SFN_OK;
    }
    if (parent)
        asl_check_known(c, obj, ptr,
                        is_processor ? PROCESSOR_FIELDS : BRANCH_FIELDS);
    const json_t *cm = json_object_get(obj, "Comment");
    if (cm && !json_is_string(cm))
        asl_err(c, ASL_SCHEMA, ptr, "Comment",
                "'Comment' must be a string, not %s", asl_json_type_name(cm));
    size_t outer_bad_edges = c->bad_edges;
    c->bad_edges = 0;
    if (asl_check_required(c, obj, ptr, BLOCK_REQUIRED))
        compile_states(c, b, obj);
    c->bad_edges = outer_bad_edges;
    c->depth--;
    return c->oom ? SFN_ENOMEM : SFN_OK;
}

/* ------------------------------------------------------------------ */
/* Top level                                                           */

static const char *const TOP_FIELDS[] = {"StartAt", "States", "Comment",
                                         "Version", "TimeoutSeconds",
                                         "QueryLanguage",
                                         "CompensationPolicy", NULL};

static void compile_top_fields(asl_ctx *c, const json_t *def)
{
    sfn_graph *g = c->g;
    asl_check_known(c, def, "", TOP_FIELDS);
    const json_t *ql = json_object_get(def, "QueryLanguage");
    if (ql) {
        const char *s = json_string_value(ql);
        if (s && !strcmp(s, "JSONata"))
            g->ql = SFN_QL_JSONATA;
        else if (!s || strcmp(s, "JSONPath"))
            asl_err(c, ASL_SCHEMA, "", "QueryLanguage",
                    "'QueryLanguage' must be \"JSONPath\" or \"JSONata\"");
    }
    const json_t *to = json_object_get(def, "TimeoutSeconds");
    if (to) {
        if (json_is_integer(to) && json_integer_value(to) > 0 &&
            json_integer_value(to) < 99999999)
            g->timeout_s = json_integer_value(to);
        else {
            char buf[64];
            asl_err(c, ASL_SCHEMA, "", "TimeoutSeconds",
                    "'TimeoutSeconds' must be a positive integer below "
                    "99999999, not %s", asl_show(to, buf, sizeof buf));
        }
    }
    const json_t *cm = json_object_get(def, "Comment");
    if (cm && !json_is_string(cm))
        asl_err(c, ASL_SCHEMA, "", "Comment",
                "'Comment' must be a string, not %s", asl_json_type_name(cm));
    g->comment = json_string_value(cm);
    asl_compensation_policy(c, def);
    const json_t *ver = json_object_get(def, "Version");
    if (ver && !json_is_string(ver))
        asl_err(c, ASL_SCHEMA, "", "Version",
                "'Version' must be a string, not %s",
                asl_json_type_name(ver));
}

static void graph_free(sfn_graph *g)
{
    if (!g)
        return;
    asl_block_free(g->root);
    json_decref(g->definition);
    free(g);
}

sfn_rc sfn_asl_compile(json_t *definition, const sfn_asl_opts *opts,
                       sfn_diags *diags, sfn_graph **out)
{
    static const sfn_asl_opts defaults = {0};
    asl_ctx c = {.diags = diags, .opts = opts ? opts : &defaults};
    size_t errors_before = diags->errors;
    *out = NULL;
    if (!json_is_object(definition)) {
        asl_err(&c, ASL_SCHEMA, "", NULL,
                "Definition must be a valid JSON object, not %s",
                definition ? asl_json_type_name(definition) : "nothing");
        return c.oom ? SFN_ENOMEM : SFN_EINVAL;
    }
    c.g = calloc(1, sizeof *c.g);
    c.all_names = json_object();
    if (!c.g || !c.all_names) {
        free(c.g);
        json_decref(c.all_names);
        return SFN_ENOMEM;
    }
    c.g->definition = json_incref(definition);
    c.g->refcount = 1;
    c.g->comp_order = SFN_COMP_REVERSE;
    c.g->comp_retry_for_s = 3600;
    compile_top_fields(&c, definition);
    asl_block_compile(&c, definition, "", NULL, NULL, false, &c.g->root);
    if (c.g->root && !c.oom)
        asl_vars_check_scopes(&c, c.g->root);
    json_decref(c.all_names);
    if (c.oom || diags->errors > errors_before) {
        graph_free(c.g);
        return c.oom ? SFN_ENOMEM : SFN_EINVAL;
    }
    *out = c.g;
    return SFN_OK;
}

/* ------------------------------------------------------------------ */
/* Text                                                                */

/* Offset of the first byte that is not valid UTF-8, or -1. */
static long utf8_invalid_at(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned char b = s[i];
        size_t need;
        unsigned min;
        if (b < 0x80) {
            i++;
            continue;
        } else if ((b & 0xE0) == 0xC0) {
            need = 1, min = 0x80;
        } else if ((b & 0xF0) == 0xE0) {
            need = 2, min = 0x800;
        } else if ((b & 0xF8) == 0xF0 && b <= 0xF4) {
            need = 3, min = 0x10000;
        } else {
            return (long)i;
        }
        unsigned cp = b & (0x3F >> need);
        for (size_t k = 1; k <= need; k++) {
            if (i + k >= len || (s[i + k] & 0xC0) != 0x80)
                return (long)i;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return (long)i;
        i += need + 1;
    }
    return -1;
}

static void line_col(const char *text, size_t off, int *line, int *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < off; i++) {
        if (text[i] == '\n') {
            (*line)++;
            *col = 1;
        } else if (((unsigned char)text[i] & 0xC0) != 0x80) {
            (*col)++;
        }
    }
}

static bool blank(const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!strchr(" \t\r\n", text[i]))
            return false;
    return true;
}

/* Checks the text itself; returns false (diagnostic added) when unusable. */
static bool text_usable(const char *text, size_t len, sfn_diags *diags,
                        sfn_rc *rc)
{
    *rc = SFN_OK;
    if (!text || blank(text, len)) {
        *rc = sfn_diags_add(diags, SFN_SEV_ERROR, ASL_SCHEMA, "",
                            "Definition must be a valid JSON object (the "
                            "text is empty)");
        return false;
    }
    if (len > SFN_ASL_DEFINITION_MAX) {
        size_t chars = asl_utf8_chars(text, len);
        if (chars > SFN_ASL_DEFINITION_MAX) {
            *rc = sfn_diags_add(diags, SFN_SEV_ERROR, ASL_TOO_LARGE, "",
                                "Definition is %zu characters long; the "
                                "maximum is %d", chars,
                                SFN_ASL_DEFINITION_MAX);
            return false;
        }
    }
    long bad = utf8_invalid_at((const unsigned char *)text, len);
    if (bad >= 0) {
        int line, col;
        line_col(text, (size_t)bad, &line, &col);
        *rc = sfn_diags_add(diags, SFN_SEV_ERROR, ASL_INVALID_JSON, "",
                            "Definition is not valid UTF-8: byte 0x%02X at "
                            "line %d, column %d (offset %ld)",
                            (unsigned char)text[bad], line, col, bad);
        return false;
    }
    return true;
}

sfn_rc sfn_asl_compile_text(const char *text, size_t len,
                            const sfn_asl_opts *opts, sfn_diags *diags,
                            sfn_graph **out)
{
    sfn_rc rc;
    *out = NULL;
    if (!text_usable(text, len, diags, &rc))
        return rc ? rc : SFN_EINVAL;
    json_error_t jerr;
    json_t *def = sfn_json_loadb(text, len,
                                 JSON_DECODE_ANY | JSON_REJECT_DUPLICATES |
                                     JSON_ALLOW_NUL,
                                 &jerr);
    if (!def) {
        if (strstr(jerr.text, "depth"))
            rc = sfn_diags_add(diags, SFN_SEV_ERROR, ASL_INVALID_JSON, "",
                               "Definition nests objects and arrays deeper "
                               "than %d levels (line %d, column %d)",
                               JSON_PARSER_MAX_DEPTH, jerr.line, jerr.column);
        else
            rc = sfn_diags_add(diags, SFN_SEV_ERROR, ASL_INVALID_JSON, "",
                               "Definition is not valid JSON: %s (line %d, "
                               "column %d)", jerr.text, jerr.line,
                               jerr.column);
        return rc ? rc : SFN_EINVAL;
    }
    rc = sfn_asl_compile(def, opts, diags, out);
    json_decref(def);
    return rc;
}

/* jsonata_eval.h: internal contract of the JSONata evaluator: the value
 * type it computes with, the per-evaluation context, and the entry points
 * shared by eval*.c, value*.c and the fn_*.c built-in libraries.
 *
 * Memory: every value, frame and closure made during one evaluation lives in
 * that evaluation's arena (jctx.arena) and dies with it; JSON coming from the
 * caller (input, bindings) is borrowed, never copied.  Errors unwind with
 * longjmp to sfn_jsonata_eval (sfn__jn_throw): nothing but arena memory is
 * held across an evaluation step, so unwinding leaks nothing. */
#ifndef SFN_JSONATA_EVAL_H
#define SFN_JSONATA_EVAL_H

#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jsonata_ast.h"

/* ==== Values ==== */

typedef enum {
    JV_UNDEF = 0, /* JSONata's "no value" (undefined) */
    JV_NULL,
    JV_BOOL,
    JV_NUM,
    JV_STR,   /* s/len; bytes borrowed from input, AST or arena */
    JV_JARR,  /* j: a JSON array of the caller's (borrowed) */
    JV_JOBJ,  /* j: a JSON object of the caller's (borrowed) */
    JV_ARR,   /* a: an array or sequence made during evaluation */
    JV_OBJ,   /* o: an object made during evaluation */
    JV_FN,    /* f: a function */
    JV_TUPLE  /* t: one item of a tuple stream (paths with @ # %) */
} jv_kind;

typedef struct jarr jarr;
typedef struct jobj jobj;
typedef struct jfn jfn;
typedef struct jtuple jtuple;

typedef struct jv {
    jv_kind k;
    bool b;
    size_t len;
    union {
        double n;
        const char *s;
        json_t *j;
        jarr *a;
        jobj *o;
        jfn *f;
        jtuple *t;
    } u;
} jv;

/* jarr flags, mirroring the properties jsonata-js puts on its arrays. */
#define JA_SEQ 1u    /* a sequence (singleton-unwrapped, flattened) */
#define JA_CONS 2u   /* built by an array constructor: not flattened */
#define JA_KEEP 4u   /* keepSingleton: [] in the expression */
#define JA_TUPLES 8u /* a tuple stream */
#define JA_OUTER 16u /* the wrapper around an array input document */

struct jarr {
    jv *v;
    size_t n, cap;
    unsigned flags;
};

struct jobj {
    size_t n, cap;
    const char **ks;
    size_t *kl;
    jv *vs;
    uint32_t *idx; /* open-addressing index into ks, 0 = empty, else i+1 */
    size_t icap;
};

/* A binding: `name` (a variable without $), or name NULL and `label` for
 * the hidden ancestor variable of a % slot. */
typedef struct jbind {
    const char *name;
    int label;
    jv v;
    struct jbind *next;
} jbind;

typedef struct jframe {
    struct jframe *parent;
    jbind *head;
} jframe;

struct jtuple {
    jv at;    /* the context item, jsonata-js's '@' */
    jbind *b; /* focus / index / ancestor bindings, newest first */
};

/* ==== Functions ==== */

typedef struct jctx jctx;

typedef struct jcall {
    jv *args;
    size_t n;
    jv input;       /* context item of the call (for `-` signatures) */
    jframe *env;
    long pos;
    const char *name;
} jcall;

typedef jv (*jbuiltin_fn)(jctx *c, jcall *call);

/* Availability of a built-in. */
#define JB_ALL 0
#define JB_AWS 1    /* only with opts->aws_functions */
#define JB_NOAWS 2  /* only without */

typedef struct jbuiltin {
    const char *name;
    const char *sig;
    int arity; /* what jsonata-js's getFunctionArity reports */
    jbuiltin_fn fn;
    int avail;
} jbuiltin;

typedef enum {
    JF_BUILTIN,
    JF_LAMBDA,
    JF_PARTIAL,   /* f with some args bound; holes[i] marks a `?` */
    JF_COMPOSE,   /* f ~> g */
    JF_REGEX,     /* node: a regex literal; called as a matcher */
    JF_REGEX_NEXT,/* the `next` of a regex match: node, str, offset */
    JF_TRANSFORM  /* node: | pattern | update, delete | */
} jfn_kind;

struct jfn {
    jfn_kind kind;
    const sfn_jn_signature *sig;
    const jbuiltin *bi;
    const sfn_jn_node *node;
    sfn_jn_node *const *params;
    size_t nparams;
    jframe *env;
    jv input;
    bool thunk;
    jv *args;
    bool *holes;
    size_t nargs;
    jfn *f, *g;
    jv str;        /* JF_REGEX_NEXT */
    size_t offset; /* JF_REGEX_NEXT: byte offset to search from */
};

/* ==== Evaluation context ==== */

typedef struct jeval_list jeval_list;

struct jctx {
    sfn_jn_arena arena;
    size_t arena_bytes;
    sfn_error *err;
    jmp_buf *jb;
    bool aws;
    int depth, depth_max;
    uint64_t deadline_ns;
    unsigned tick;
    uintptr_t stack_base;
    double now_ms;
    unsigned long long (*rand64)(void *ud);
    void *rand_ud;
    jframe *root;
    jeval_list *evals;   /* expressions compiled by $eval, freed at the end */
    json_t **owned;      /* JSON made during evaluation ($parse), freed at end */
    size_t nowned, capowned;
    void *match_data;    /* pcre2 match data, freed at the end */
};

/* ==== Errors (value.c) ==== */

/* Fills c->err with the JSONata `code` and message and unwinds to the
 * evaluation's entry point.  Never returns. */
_Noreturn void sfn__jn_throw(jctx *c, const char *code, long pos,
                             const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
_Noreturn void sfn__jn_throw_rc(jctx *c, sfn_rc rc, const char *code,
                                long pos, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* ==== Value helpers (value.c) ==== */

void *sfn__jn_alloc(jctx *c, size_t size);
char *sfn__jn_strdup(jctx *c, const char *s, size_t len);

static inline jv jv_undef(void) { return (jv){0}; }
static inline jv jv_null(void) { jv v = {0}; v.k = JV_NULL; return v; }
static inline jv jv_bool(bool b) { jv v = {0}; v.k = JV_BOOL; v.b = b; return v; }
static inline jv jv_num(double n) { jv v = {0}; v.k = JV_NUM; v.u.n = n; return v; }
static inline jv jv_str(const char *s, size_t len)
{
    jv v = {0};
    v.k = JV_STR;
    v.u.s = s;
    v.len = len;
    return v;
}
static inline jv jv_arr(jarr *a) { jv v = {0}; v.k = JV_ARR; v.u.a = a; return v; }
static inline jv jv_obj(jobj *o) { jv v = {0}; v.k = JV_OBJ; v.u.o = o; return v; }
static inline jv jv_fn(jfn *f) { jv v = {0}; v.k = JV_FN; v.u.f = f; return v; }
static inline bool jv_is_undef(jv v) { return v.k == JV_UNDEF; }
static inline bool jv_is_array(jv v) { return v.k == JV_ARR || v.k == JV_JARR; }
static inline bool jv_is_obj(jv v) { return v.k == JV_OBJ || v.k == JV_JOBJ; }
static inline bool jv_is_seq(jv v)
{
    return v.k == JV_ARR && (v.u.a->flags & JA_SEQ);
}
static inline bool jv_has(jv v, unsigned flag)
{
    return v.k == JV_ARR && (v.u.a->flags & flag);
}

/* A value for borrowed JSON (numbers and strings are read out, containers
 * referenced). */
jv sfn__jn_from_json(json_t *j);
/* New JSON for a value (new reference), NULL for undefined or a function.
 * Functions and undefined inside containers are dropped as JSON.stringify
 * does.  Returns NULL with *oom set when out of memory. */
json_t *sfn__jn_to_json(jv v, bool *oom);

size_t sfn__jn_alen(jv a);
jv sfn__jn_aget(jv a, size_t i);
/* Signature symbol of a JSON value ('s','n','b','l','a','o'). */
char sfn__jn_json_symbol(const json_t *j);
jarr *sfn__jn_arr_new(jctx *c, size_t cap, unsigned flags);
void sfn__jn_arr_push(jctx *c, jarr *a, jv v);
/* A new sequence holding v (even when v is undefined, as jsonata-js's
 * createSequence(v)). */
jv sfn__jn_seq1(jctx *c, jv v);
jv sfn__jn_seq0(jctx *c);

jobj *sfn__jn_obj_new(jctx *c, size_t cap);
void sfn__jn_obj_set(jctx *c, jobj *o, const char *k, size_t kl, jv v);
bool sfn__jn_obj_del(jobj *o, const char *k, size_t kl);
/* Member `k` of an object value; false (and *out undefined) if absent. */
bool sfn__jn_get(jv obj, const char *k, size_t kl, jv *out);

/* Iteration over object members, in insertion order. */
typedef struct jiter {
    jv o;
    size_t i;
    void *it;
} jiter;
void sfn__jn_iter_init(jiter *it, jv o);
bool sfn__jn_iter_next(jiter *it, const char **k, size_t *kl, jv *v);
size_t sfn__jn_obj_size(jv o);

/* jsonata-js fn.append: undefined-aware concatenation into a new array. */
jv sfn__jn_append(jctx *c, jv a, jv b);
/* jsonata-js fn.boolean (undefined stays undefined). */
jv sfn__jn_boolean(jv v);
bool sfn__jn_truthy(jv v);
bool sfn__jn_deep_equal(jv a, jv b);
/* JSON.parse(JSON.stringify(v)) into mutable arena values. */
jv sfn__jn_deep_clone(jctx *c, jv v);
/* Type letter for signatures: s n b l a o f m. */
char sfn__jn_symbol(jv v);
const char *sfn__jn_type_name(jv v);
bool sfn__jn_is_array_of(jv v, jv_kind k);

/* Number / string conversion as JavaScript does it. */
size_t sfn__jn_fmt_number(double d, char *buf); /* buf >= 32 bytes */
/* fn.string: JSON text for non-strings, numbers to 15 significant digits. */
jv sfn__jn_string(jctx *c, jv v, bool pretty, long pos);
/* Short description of a value for error messages. */
const char *sfn__jn_describe(jctx *c, jv v);
void sfn__jn_check_number(jctx *c, double d, long pos);

/* Growable byte buffer in the arena. */
typedef struct jbuf {
    char *p;
    size_t n, cap;
} jbuf;
void sfn__jn_sb_put(jctx *c, jbuf *b, const char *s, size_t n);
void sfn__jn_sb_putc(jctx *c, jbuf *b, char ch);
jv sfn__jn_sb_str(jbuf *b);

/* UTF-8 helpers: code point count, and byte offset of code point i. */
size_t sfn__jn_utf8_len(const char *s, size_t n);
size_t sfn__jn_utf8_offset(const char *s, size_t n, size_t cp);
/* Decodes one code point at s (n bytes left); *adv = bytes consumed. */
unsigned sfn__jn_utf8_decode(const char *s, size_t n, size_t *adv);
size_t sfn__jn_utf8_encode(unsigned cp, char *out);

/* ==== Evaluator (eval*.c) ==== */

jv sfn__jn_eval(jctx *c, const sfn_jn_node *n, jv input, jframe *env);
jframe *sfn__jn_frame(jctx *c, jframe *parent);
void sfn__jn_bind(jctx *c, jframe *f, const char *name, jv v);
bool sfn__jn_lookup(jframe *f, const char *name, jv *out);
/* Applies a function value to arguments (trampolining tail calls). */
jv sfn__jn_apply(jctx *c, jv proc, jv *args, size_t n, jv input,
                 jframe *env, long pos, const char *name);
/* Arity as jsonata-js's getFunctionArity. */
int sfn__jn_arity(jv f);
/* Calls f with (v, i, arr) cut to f's arity, as jsonata-js's hofFuncArgs. */
jv sfn__jn_hof_call(jctx *c, jcall *call, jv f, jv v, jv i, jv arr);
void sfn__jn_tick(jctx *c, long pos);
/* The built-in `name` as a function value, or undefined. */
jv sfn__jn_builtin(jctx *c, const char *name);
/* $sort's merge sort with an optional comparator (undefined = default). */
jv sfn__jn_sort(jctx *c, jv arr, jv comparator, jcall *call);

/* ==== Shared between evaluator files ==== */

/* Node kinds evaluated outside eval.c (eval_ops.c, eval_call.c). */
jv sfn__jn_eval_binary(jctx *c, const sfn_jn_node *n, jv input, jframe *env);
jv sfn__jn_eval_call(jctx *c, const sfn_jn_node *n, jv input, jframe *env,
                     const jv *applyto);
jv sfn__jn_eval_partial(jctx *c, const sfn_jn_node *n, jv input,
                        jframe *env);
jv sfn__jn_eval_apply(jctx *c, const sfn_jn_node *n, jv input, jframe *env);
jv sfn__jn_eval_lambda(jctx *c, const sfn_jn_node *n, jv input, jframe *env);
jv sfn__jn_eval_transform(jctx *c, const sfn_jn_node *n, jv input,
                          jframe *env);
/* jsonata-js fn.lookup: field k of an object, mapped over arrays. */
jv sfn__jn_field(jctx *c, jv input, const char *k, size_t kl);
/* Random numbers from opts->rand64 or OpenSSL: [0,1) and 64 bits. */
double sfn__jn_random(jctx *c);
unsigned long long sfn__jn_rand64(jctx *c);
/* Resources released when the evaluation ends: an expression compiled by
 * $eval, JSON parsed by $parse (ownership passes to c), pcre2 state. */
void sfn__jn_keep_eval(jctx *c, sfn_jsonata *e);
void sfn__jn_keep_json(jctx *c, json_t *j);
void sfn__jn_regex_cleanup(jctx *c);

/* ==== Regular expressions (fn_regex.c) ==== */

/* Runs a matcher (regex literal or user function) over str from the
 * start; the match object or undefined. */
jv sfn__jn_regex_call(jctx *c, jfn *f, jv str, long pos);

/* ==== Built-in tables (fn_*.c) ==== */

extern const jbuiltin sfn__jn_fn_string[];
extern const jbuiltin sfn__jn_fn_numeric[];
extern const jbuiltin sfn__jn_fn_array[];
extern const jbuiltin sfn__jn_fn_object[];
extern const jbuiltin sfn__jn_fn_regex[];
extern const jbuiltin sfn__jn_fn_misc[];

/* Helpers for built-ins. */
static inline jv jarg(jcall *call, size_t i)
{
    return i < call->n ? call->args[i] : jv_undef();
}

#endif

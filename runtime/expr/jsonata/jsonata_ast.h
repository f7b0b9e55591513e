/* jsonata_ast.h: internal contract of the JSONata module: tokens, the AST
 * the parser produces (after the same parse-time rewrites as jsonata-js),
 * and the arena every node lives in.  Shared by lexer, parser, post-parse,
 * dump and (later) the evaluator; not part of the public API.
 *
 * Ownership: everything reachable from an sfn_jsonata (nodes, strings,
 * lists, slots, signatures) is allocated from its arena and freed at once by
 * sfn_jsonata_free.  All pointers handed out here are borrowed. */
#ifndef SFN_JSONATA_AST_H
#define SFN_JSONATA_AST_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "sfn_err.h"
#include "sfn_jsonata.h"

/* Deepest nesting accepted (parser recursion and AST depth); deeper input
 * fails with SFN_ELIMIT / "U1001" instead of overflowing the C stack.  A
 * compiled AST is never deeper than this, so recursive walkers that count
 * their own depth can rely on it. */
#define SFN_JSONATA_DEPTH_MAX 1000
/* Longest expression text accepted, in bytes. */
#define SFN_JSONATA_TEXT_MAX ((size_t)1 << 20)

/* ==== Arena ==== */

typedef struct sfn_jn_chunk sfn_jn_chunk;
typedef struct sfn_jn_arena {
    sfn_jn_chunk *head;
} sfn_jn_arena;

/* Zeroed, 16-byte aligned memory; NULL when out of memory. */
void *sfn__jsonata_alloc(sfn_jn_arena *a, size_t size);
/* NUL-terminated copy of s[0..len); NULL when out of memory. */
char *sfn__jsonata_strndup(sfn_jn_arena *a, const char *s, size_t len);
void sfn__jsonata_arena_free(sfn_jn_arena *a);

/* ==== Operators (token spellings and binding powers) ====
 * XX(enum suffix, spelling, left binding power).  Binding power 0 marks
 * tokens that never act as infix operators; `!` and `~` exist only so that
 * names stop at them (the parser rejects them with S0204). */
#define SFN_JSONATA_OP_MAP(XX)                                           \
    XX(DOT, ".", 75) XX(LBRACK, "[", 80) XX(RBRACK, "]", 0)              \
    XX(LBRACE, "{", 70) XX(RBRACE, "}", 0) XX(LPAREN, "(", 80)           \
    XX(RPAREN, ")", 0) XX(COMMA, ",", 0) XX(AT, "@", 80) XX(HASH, "#", 80) \
    XX(SEMI, ";", 0) XX(COLON, ":", 0) XX(QUESTION, "?", 20)             \
    XX(ADD, "+", 50) XX(SUB, "-", 50) XX(MUL, "*", 60) XX(DIV, "/", 60)  \
    XX(MOD, "%", 60) XX(PIPE, "|", 0) XX(EQ, "=", 40) XX(LT, "<", 40)    \
    XX(GT, ">", 40) XX(SORT, "^", 40) XX(DESCEND, "**", 0)               \
    XX(RANGE, "..", 0) XX(BIND, ":=", 10) XX(NE, "!=", 40)               \
    XX(LE, "<=", 40) XX(GE, ">=", 40) XX(CHAIN, "~>", 40)                \
    XX(AND, "and", 30) XX(OR, "or", 25) XX(IN, "in", 40)                 \
    XX(CONCAT, "&", 50) XX(BANG, "!", 0) XX(TILDE, "~", 0)               \
    XX(COALESCE, "??", 40) XX(DEFAULT, "?:", 40)

typedef enum {
    SFN_JO_NONE = 0,
#define SFN__JO_ENUM(name, text, bp) SFN_JO_##name,
    SFN_JSONATA_OP_MAP(SFN__JO_ENUM)
#undef SFN__JO_ENUM
    SFN_JO_COUNT_
} sfn_jn_op;

/* Spelling ("~>") and left binding power of an operator. */
const char *sfn__jsonata_op_text(sfn_jn_op op);
int sfn__jsonata_op_lbp(sfn_jn_op op);

/* ==== Tokens ==== */

typedef enum {
    SFN_JT_END = 0,
    SFN_JT_NAME,     /* field name, bare or `backquoted` */
    SFN_JT_VARIABLE, /* $name; "" for $ and "$" for $$ */
    SFN_JT_OPERATOR, /* includes the words and/or/in */
    SFN_JT_STRING,
    SFN_JT_NUMBER,
    SFN_JT_VALUE, /* true, false, null */
    SFN_JT_REGEX
} sfn_jn_toktype;

typedef enum { SFN_JV_NULL = 0, SFN_JV_TRUE, SFN_JV_FALSE } sfn_jn_value;

typedef struct sfn_jn_token {
    sfn_jn_toktype type;
    long pos; /* byte offset of the first character */
    long end; /* byte offset just past the token */
    sfn_jn_op op;
    char *str; /* NAME, VARIABLE, STRING (decoded UTF-8), REGEX pattern */
    size_t len;
    double num;
    sfn_jn_value value;
    char flags[4]; /* REGEX: any of "i", "m" */
} sfn_jn_token;

typedef struct sfn_jn_lexer {
    const char *src;
    size_t len;
    size_t pos;
    sfn_jn_arena *arena;
    bool v2_1; /* JSONata 2.1 operators ?? and ?: are tokens */
} sfn_jn_lexer;

/* Scans the next token into *tok.  `infix` says the previous token ended an
 * operand, so `/` is division rather than the start of a regex.  On a lexical
 * error fills err (S0101..S0106, S0301, S0302) and returns SFN_ESYNTAX. */
sfn_rc sfn__jsonata_lex(sfn_jn_lexer *lx, bool infix, sfn_jn_token *tok,
                        sfn_error *err);

/* ==== AST ==== */

typedef struct sfn_jn_node sfn_jn_node;

typedef struct sfn_jn_list {
    sfn_jn_node **v;
    size_t n, cap;
} sfn_jn_list;

/* Object constructor pairs / group-by: keys.v[i] maps to values.v[i]. */
typedef struct sfn_jn_pairs {
    sfn_jn_list keys;
    sfn_jn_list values;
    long pos;
} sfn_jn_pairs;

/* The ancestor slot of a `%` (parent) operator.  The PARENT node owns it
 * (node->slot) and the path step whose context `%` denotes points to it
 * (step->ancestor); both bind / read the hidden variable "!<label>". */
typedef struct sfn_jn_slot {
    int label;
    int level;
    int index;
} sfn_jn_slot;

/* Slots still looking for their step.  Shared (aliased) between nodes the
 * way jsonata-js shares its seekingParent arrays. */
typedef struct sfn_jn_slotlist {
    sfn_jn_slot **v;
    size_t n, cap;
} sfn_jn_slotlist;

/* One parameter of a function signature such as <s-n?:s>. */
typedef struct sfn_jn_sigparam {
    char type;      /* s n b l o a f j x, or '(' for a choice */
    char *choice;   /* '(': the type letters inside the parentheses */
    char *subtype;  /* 'a' / 'f': text inside the following <...>, or NULL */
    bool optional;  /* ? */
    bool one_or_more; /* + */
    bool context;   /* - : use the context value when the arg is missing */
} sfn_jn_sigparam;

typedef struct sfn_jn_signature {
    char *text; /* the whole signature, e.g. "<s-n?:s>" */
    sfn_jn_sigparam *params;
    size_t count;
} sfn_jn_signature;

typedef enum {
    SFN_JN_STRING,     /* str/len */
    SFN_JN_NUMBER,     /* num */
    SFN_JN_VALUE,      /* value */
    SFN_JN_REGEX,      /* str = pattern, flags; compiled by the evaluator */
    SFN_JN_NAME,       /* str = field name; only as a PATH step */
    SFN_JN_VARIABLE,   /* str = name without $ */
    SFN_JN_WILDCARD,   /* * */
    SFN_JN_DESCENDANT, /* ** */
    SFN_JN_PARENT,     /* % ; slot */
    SFN_JN_PATH,       /* items = steps; keep_singleton_array */
    SFN_JN_BINARY,     /* op, lhs, rhs (arithmetic, comparison, and/or,
                        * in, &, ..) */
    SFN_JN_NEGATE,     /* unary minus: expr */
    SFN_JN_ARRAY,      /* array constructor: items; consarray */
    SFN_JN_OBJECT,     /* object constructor: pairs */
    SFN_JN_FUNCTION,   /* call: procedure, items = arguments */
    SFN_JN_PARTIAL,    /* like FUNCTION, some arguments are PLACEHOLDER */
    SFN_JN_PLACEHOLDER, /* the ? argument of a partial application */
    SFN_JN_LAMBDA,     /* items = parameters (VARIABLE nodes), body,
                        * signature or NULL; thunk: tail-call wrapper whose
                        * body is the FUNCTION to call */
    SFN_JN_CONDITION,  /* cond, then_, else_ (may be NULL) */
    SFN_JN_TRANSFORM,  /* pattern, update, del (may be NULL) */
    SFN_JN_BLOCK,      /* items = expressions; consarray */
    SFN_JN_BIND,       /* lhs (VARIABLE) := rhs */
    SFN_JN_APPLY,      /* lhs ~> rhs */
    SFN_JN_SORT,       /* path step; items = SORT_TERM nodes */
    SFN_JN_SORT_TERM,  /* expr, descending */
    SFN_JN_FILTER,     /* stage / predicate: expr */
    SFN_JN_INDEX,      /* stage: str = index variable bound by # */
    /* Parse-time only; never in a compiled AST. */
    SFN_JN_OPERATOR,   /* and/or/in used as an operand, or a raw ? */
    SFN_JN_END         /* the end of input used as an operand */
} sfn_jn_kind;

struct sfn_jn_node {
    sfn_jn_kind kind;
    long pos; /* byte offset of the node's token in the expression */
    sfn_jn_op op;

    char *str;
    size_t len;
    double num;
    sfn_jn_value value;
    char flags[4];

    sfn_jn_node *lhs, *rhs;
    sfn_jn_node *expr;
    sfn_jn_list items;
    sfn_jn_pairs *pairs;

    sfn_jn_node *procedure;
    sfn_jn_node *body;
    sfn_jn_signature *signature;
    bool thunk;

    sfn_jn_node *cond, *then_, *else_;
    sfn_jn_node *pattern, *update, *del;
    bool descending;

    /* Path-step annotations. */
    sfn_jn_list stages;     /* FILTER / INDEX nodes, in order (a step) */
    sfn_jn_list predicate;  /* FILTER nodes on a non-step expression */
    sfn_jn_pairs *group;    /* group-by object, or NULL */
    char *focus;            /* @$name binding, or NULL */
    char *index;            /* #$name binding, or NULL */
    bool tuple;             /* step takes part in a tuple stream */
    bool keep_array;        /* [] after the step */
    bool keep_singleton_array; /* PATH: some step had [] */
    bool consarray;         /* ARRAY/BLOCK: array constructor not flattened */

    sfn_jn_slot *slot;      /* PARENT */
    sfn_jn_slot *ancestor;  /* NAME / WILDCARD step that % refers to */
    sfn_jn_slotlist *seeking; /* unresolved % slots below this node */

    void *regex; /* REGEX: compiled pattern (pcre2_code), set by
                  * sfn__jsonata_prepare; read-only afterwards */
};

struct sfn_jsonata {
    sfn_jn_arena arena;
    sfn_jn_node *root;
    const char **vars; /* free variables, arena strings */
    size_t nvars;
    void **regexes; /* compiled patterns to release (arena array) */
    size_t nregexes;
};

/* Appends to a list / slot list allocated from `a`.  0 or SFN_ENOMEM. */
sfn_rc sfn__jsonata_list_push(sfn_jn_arena *a, sfn_jn_list *l,
                              sfn_jn_node *n);
sfn_rc sfn__jsonata_slots_push(sfn_jn_arena *a, sfn_jn_slotlist *l,
                               sfn_jn_slot *s);
sfn_jn_node *sfn__jsonata_node_new(sfn_jn_arena *a, sfn_jn_kind kind,
                                   long pos);

/* Phase 1: Pratt parse of the whole text into a raw tree (binary `.`, `[`,
 * `{`, `^`, `@`, `#`, `:=`, `~>` nodes still present). */
sfn_rc sfn__jsonata_parse(const char *text, size_t len, bool v2_1,
                          sfn_jn_arena *a,
                          sfn_jn_node **out, sfn_error *err);
/* Phase 2: rewrites a raw tree into the compiled AST (paths, stages,
 * group-by, bindings, % resolution, tail calls). */
sfn_rc sfn__jsonata_postparse(sfn_jn_arena *a, sfn_jn_node *raw,
                              sfn_jn_node **out, sfn_error *err);
/* Parses the text of a lambda signature ("<n-n:n>").  sig_pos is the byte
 * offset of the `<` for error offsets (S0401, S0402). */
sfn_rc sfn__jsonata_signature_parse(sfn_jn_arena *a, const char *text,
                                    long sig_pos, sfn_jn_signature **out,
                                    sfn_error *err);

/* Evaluator preparation after parsing (compiles regex literals: S0303 on
 * an invalid pattern) and its release, called by compile / free. */
sfn_rc sfn__jsonata_prepare(sfn_jsonata *e, sfn_error *err);
void sfn__jsonata_release(sfn_jsonata *e);

/* The compiled tree of e (borrowed). */
const sfn_jn_node *sfn__jsonata_root(const sfn_jsonata *e);
/* True if name (without $) is a built-in function of JSONata 2.0.6 or one
 * that Step Functions adds ($partition, $range, $hash, $uuid, $parse). */
bool sfn__jsonata_is_builtin(const char *name);
/* The AST as JSON in jsonata-js's shape, for tests and debugging.  New
 * reference; NULL when out of memory. */
json_t *sfn__jsonata_dump(const sfn_jn_node *n, bool with_positions);

/* jsonata-js's name of a node kind ("path", "binary", "unary", ...). */
const char *sfn__jsonata_kind_name(sfn_jn_kind kind);

/* Fills err with a JSONata syntax error code and returns SFN_ESYNTAX. */
sfn_rc sfn__jsonata_syntax(sfn_error *err, const char *code, long offset,
                           const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif

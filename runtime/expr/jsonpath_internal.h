/* jsonpath_internal.h: the compiled form of a JSONPath, shared by the parser
 * (jsonpath_parse.c), the evaluator (jsonpath_eval.c) and the public entry
 * points (sfn_jsonpath.c).  Not part of the module's interface. */
#ifndef SFN_JSONPATH_INTERNAL_H
#define SFN_JSONPATH_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "sfn_jsonpath.h"

/* Names are counted because a `\u0000` escape can put a NUL inside one. */
typedef struct sfn__jp_name {
    char *s;
    size_t len;
} sfn__jp_name;

typedef enum {
    SFN__JP_MEMBER,   /* .name  ['name']               */
    SFN__JP_INDEX,    /* [n]  [-n]                     */
    SFN__JP_WILDCARD, /* .*  [*]                       */
    SFN__JP_SLICE,    /* [start:end:step]              */
    SFN__JP_NAMES,    /* ['a','b']                     */
    SFN__JP_INDEXES,  /* [0,2]                         */
    SFN__JP_FILTER,   /* [?(expr)]                     */
    SFN__JP_LENGTH    /* .length(), always the last step */
} sfn__jp_kind;

struct sfn__jp_expr;

typedef struct sfn__jp_step {
    sfn__jp_kind kind;
    bool deep;   /* reached through `..` */
    long offset; /* byte offset of the step in the path text */
    union {
        sfn__jp_name name;
        long long index;
        struct {
            long long start, end, step;
            bool has_start, has_end;
        } slice;
        struct {
            size_t n;
            sfn__jp_name *v;
        } names;
        struct {
            size_t n;
            long long *v;
        } indexes;
        struct sfn__jp_expr *filter;
    } u;
} sfn__jp_step;

typedef struct sfn__jp_prog {
    size_t n;
    sfn__jp_step *steps;
} sfn__jp_prog;

typedef enum {
    SFN__JPX_OR,
    SFN__JPX_AND,
    SFN__JPX_NOT,
    SFN__JPX_CMP,
    SFN__JPX_EXISTS, /* u.sub is a PATH */
    SFN__JPX_LITERAL,
    SFN__JPX_PATH
} sfn__jpx_kind;

typedef enum {
    SFN__JP_EQ,
    SFN__JP_NE,
    SFN__JP_LT,
    SFN__JP_LE,
    SFN__JP_GT,
    SFN__JP_GE
} sfn__jp_op;

typedef struct sfn__jp_expr {
    sfn__jpx_kind kind;
    union {
        struct {
            struct sfn__jp_expr *l, *r;
            sfn__jp_op op; /* CMP only */
        } bin;
        struct sfn__jp_expr *sub;
        json_t *literal; /* owned by the expression */
        struct {
            bool absolute; /* `$` (the evaluated document) rather than `@` */
            bool definite;
            sfn__jp_prog prog;
        } path;
    } u;
} sfn__jp_expr;

struct sfn_jsonpath {
    char *text;
    sfn_jp_root root;
    char *var; /* variable name for SFN_JP_ROOT_VARIABLE */
    sfn__jp_prog prog;
    bool definite;
    /* Jayway rewrites `$..x.length()` into length($..x.*): the result is the
     * number of children of all matches, one number, not a list. */
    bool count_children;
};

/* Parses `text` into p (zeroed by the caller).  On failure p may hold a
 * partial program; the caller releases it with sfn__jp_release. */
sfn_rc sfn__jp_parse(const char *text, struct sfn_jsonpath *p,
                     sfn_error *err);
void sfn__jp_release(struct sfn_jsonpath *p);
bool sfn__jp_prog_definite(const sfn__jp_prog *prog);

/* Definite lookup without allocation.  Returns the borrowed node, or NULL with
 * *failed_step set to the index of the step that found nothing.  The program
 * must be definite and must not end in LENGTH (callers strip it). */
json_t *sfn__jp_lookup(const sfn__jp_prog *prog, size_t nsteps, json_t *node,
                       size_t *failed_step);

/* Appends every node selected by the first nsteps steps of prog from `node`
 * to acc (json array), in Jayway's order.  `root` is what `$` means inside
 * filters.  A LENGTH step appends a number; applied to anything but an array
 * or a string it fails with SFN_ETYPE and a message built from path_text. */
sfn_rc sfn__jp_collect(const sfn__jp_prog *prog, size_t nsteps, json_t *node,
                       json_t *root, json_t *acc, const char *path_text,
                       sfn_error *err);

/* length() of a node: array size or string length in code points; -1 for
 * any other type. */
long long sfn__jp_length(const json_t *v);

#endif

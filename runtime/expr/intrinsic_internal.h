/* intrinsic_internal.h: what the intrinsic parser (sfn_intrinsic.c) and the
 * function library (intrinsic_lib.c) share: the table of the 18 functions,
 * their argument kinds and their static and run-time entry points.  Not a
 * public interface; nothing outside runtime/expr includes it. */
#ifndef SFN_INTRINSIC_INTERNAL_H
#define SFN_INTRINSIC_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "sfn_err.h"
#include "sfn_jsonpath.h"

#define SFN__INTRINSIC_FAILURE "States.IntrinsicFailure"
/* AWS quota on the input of Base64Encode, Base64Decode and Hash. */
#define SFN__INTRINSIC_TEXT_CHARS_MAX 10000
/* AWS quota on the output of ArrayRange. */
#define SFN__INTRINSIC_RANGE_MAX 1000

/* What an argument position accepts, or what a function returns. */
typedef enum {
    SFN__IK_ANY = 0,
    SFN__IK_STRING,
    SFN__IK_INT,    /* integer, or a real with an integral value */
    SFN__IK_ARRAY,
    SFN__IK_OBJECT,
    SFN__IK_BOOL,
    SFN__IK_SCALAR, /* string, number, boolean or null */
    SFN__IK_NUMBER  /* any number; a real is rounded half up (MathAdd,
                       MathRandom: AWS-recorded, MathAdd(1.49, 1.5) = 3) */
} sfn__ikind;

/* Compile-time view of one call: literal arguments, offsets for messages. */
typedef struct sfn__intrinsic_static {
    const json_t *const *lit; /* per argument: literal value, or NULL */
    const long *offset;       /* per argument: byte offset in the text */
    size_t argc;
    long call_offset;
    size_t tmpl_holes; /* Format: `{}` count of a literal template */
} sfn__intrinsic_static;

/* Run-time view of one call; every argument already evaluated and already
 * checked against the kinds of the function's table entry. */
typedef struct sfn__intrinsic_args {
    json_t *const *argv; /* borrowed */
    size_t argc;
    const sfn_expr_env *env;
    /* Format with a literal template: byte offsets of its unescaped `{}`
     * placeholders (escaped braces are plain text); NULL otherwise. */
    const size_t *holes;
    size_t nholes;
} sfn__intrinsic_args;

typedef struct sfn__intrinsic_spec {
    const char *name; /* "States.Format" */
    int min_args;
    int max_args;        /* -1: no upper bound */
    sfn__ikind kind[3];  /* first three positions */
    sfn__ikind rest;     /* positions after the third */
    sfn__ikind result;
    /* Extra checks on literal arguments; NULL when there are none. */
    sfn_rc (*check)(const struct sfn__intrinsic_spec *spec,
                    const sfn__intrinsic_static *st, sfn_error *err);
    /* *out is a new reference on success. */
    sfn_rc (*eval)(const struct sfn__intrinsic_spec *spec,
                   const sfn__intrinsic_args *a, json_t **out,
                   sfn_error *err);
} sfn__intrinsic_spec;

/* The table entry whose name is exactly the `len` bytes at `name`, or NULL. */
const sfn__intrinsic_spec *sfn__intrinsic_lookup(const char *name,
                                                 size_t len);

sfn__ikind sfn__intrinsic_arg_kind(const sfn__intrinsic_spec *spec,
                                   size_t pos);
bool sfn__intrinsic_kind_accepts(sfn__ikind kind, const json_t *v);
const char *sfn__intrinsic_kind_name(sfn__ikind kind);
const char *sfn__intrinsic_type_name(const json_t *v);

/* Integer value of an integer or integral real within 64 bits. */
bool sfn__intrinsic_get_int(const json_t *v, long long *out);
/* Integer value of a number, a real rounded half up (Java's Math.round:
 * 1.5 -> 2, -1.5 -> -1) within 64 bits. */
bool sfn__intrinsic_get_rounded(const json_t *v, long long *out);

#endif

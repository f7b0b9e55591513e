/* jsonata_fmt.h: JSONata 2.0.6 picture-string and date/time functions
 * ($formatNumber, $formatBase, $formatInteger, $parseInteger, $fromMillis,
 * $toMillis, $now, $millis) as pure C over jansson, for the evaluator.
 *
 * Conventions for every function here:
 *  - strings are UTF-8; a returned char* is newly malloc'd, the caller frees;
 *  - json_t* arguments are borrowed;
 *  - on error the function returns NULL / false and fills err (if not NULL)
 *    with rc = SFN_ERUNTIME, name = the JSONata code ("D3110") and a cause;
 *  - "undefined" arguments (JSONata's no-value) are the evaluator's business:
 *    it returns undefined before calling in, as jsonata-js does. */
#ifndef SFN_JSONATA_FMT_H
#define SFN_JSONATA_FMT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sfn_err.h"

/* $formatNumber(v, picture [, options]).  options is an object or NULL; its
 * keys override the decimal format ("decimal-separator", "grouping-separator",
 * "zero-digit", "percent", "per-mille", "digit", "pattern-separator",
 * "exponent-separator", "minus-sign", "infinity", "NaN").  Errors D3080-D3093. */
char *sfn__jn_format_number(double v, const char *picture, json_t *options,
                            sfn_error *err);

/* $formatBase(v [, radix]).  radix NAN means 10.  v is rounded half-to-even
 * first.  D3100 if radix is outside 2..36. */
char *sfn__jn_format_base(double v, double radix, sfn_error *err);

/* $formatInteger(v, picture).  Errors D3130-D3133. */
char *sfn__jn_format_integer(double v, const char *picture, sfn_error *err);

/* $parseInteger(s, picture): inverse of $formatInteger.  On success stores
 * the value in *out and returns true; if JSONata's result is undefined
 * (text does not match the picture) sets *undefined = true instead. */
bool sfn__jn_parse_integer(const char *s, const char *picture, double *out,
                           bool *undefined, sfn_error *err);

/* $fromMillis(ms [, picture [, tz]]).  picture NULL gives ISO 8601
 * ("2017-11-07T15:12:37.121Z"); tz NULL means UTC, else "±HHMM". */
char *sfn__jn_from_millis(double ms, const char *picture, const char *tz,
                          sfn_error *err);

/* $toMillis(s [, picture]).  picture NULL parses ISO 8601.  *undefined is set
 * (and true returned) when JSONata returns undefined for the text. */
bool sfn__jn_to_millis(const char *s, const char *picture, double *out,
                       bool *undefined, sfn_error *err);

/* $now([picture [, tz]]): $fromMillis of the evaluation's now_ms (the
 * evaluator supplies one value per evaluation).  $millis() is now_ms itself,
 * so it needs no function here. */
char *sfn__jn_now(double now_ms, const char *picture, const char *tz,
                  sfn_error *err);

/* As sfn__jn_to_millis, but date/time fields missing above those the picture
 * gives (e.g. the date for '[H]:[m]') are taken from now_ms, as jsonata-js
 * takes them from the clock.  Prefer this one in the evaluator so a run stays
 * deterministic; sfn__jn_to_millis reads the wall clock for that case. */
bool sfn__jn_to_millis_at(const char *s, const char *picture, double now_ms,
                          double *out, bool *undefined, sfn_error *err);

/* ==== Shared by fn_format*.c and fn_datetime*.c only ==== */

/* Growable byte buffer; on allocation failure `oom` is set and later
 * appends are dropped, so callers check once at the end. */
typedef struct sfn__jn_buf {
    char *s;
    size_t len, cap;
    bool oom;
} sfn__jn_buf;

void sfn__jn_buf_put(sfn__jn_buf *b, const char *s, size_t n);
void sfn__jn_buf_str(sfn__jn_buf *b, const char *s);
void sfn__jn_buf_cp(sfn__jn_buf *b, uint32_t cp);
/* Returns the NUL-terminated text (new, caller frees) or NULL + ENOMEM. */
char *sfn__jn_buf_take(sfn__jn_buf *b, sfn_error *err);

/* Decodes one UTF-8 code point at *p and advances; bad bytes give U+FFFD. */
uint32_t sfn__jn_utf8_next(const char **p);

/* Fills err with rc SFN_ERUNTIME and the JSONata code; returns false. */
bool sfn__jn_fail(sfn_error *err, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Digit value 0-9 of a Unicode decimal digit, and the zero of its family
 * in *zero; -1 if cp is not a decimal digit. */
int sfn__jn_digit(uint32_t cp, uint32_t *zero);

/* Exact decimal digits of |v| rounded to an integer ("0" for 0): the
 * shortest round-trip digits, expanded, as JavaScript prints numbers. */
void sfn__jn_int_digits(double v, char *out, size_t cap);

/* An analysed integer picture (fn:format-integer primary token + modifier). */
enum { SFN_JN_INT_DECIMAL, SFN_JN_INT_ALPHA, SFN_JN_INT_ROMAN,
       SFN_JN_INT_WORDS };
enum { SFN_JN_CASE_LOWER, SFN_JN_CASE_UPPER, SFN_JN_CASE_TITLE };
#define SFN_JN_GROUPS_MAX 32
typedef struct sfn__jn_intpic {
    int kind, letter_case;
    bool ordinal;
    uint32_t zero;          /* decimal: zero of the digit family */
    int mandatory, optional; /* decimal: digit counts */
    int ngroups;            /* grouping separators, from the right */
    int group_pos[SFN_JN_GROUPS_MAX];
    uint32_t group_sep[SFN_JN_GROUPS_MAX];
    int interval;           /* > 0: separators repeat every `interval` */
} sfn__jn_intpic;

/* Analyses primary (the part before ';', length n) and sets ordinal from
 * the modifier.  Errors D3130/D3131. */
bool sfn__jn_intpic_parse(const char *primary, size_t n, bool ordinal,
                          sfn__jn_intpic *pic, sfn_error *err);
/* Appends v (floored) formatted per pic. */
void sfn__jn_intpic_render(double v, const sfn__jn_intpic *pic,
                           sfn__jn_buf *out);
/* Parses text[0..n) per pic; false when it does not read as one. */
bool sfn__jn_intpic_scan(const char *text, size_t n,
                         const sfn__jn_intpic *pic, double *out);

#endif

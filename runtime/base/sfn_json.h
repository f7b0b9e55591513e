/* sfn_json.h: JSON text in and out, the way AWS writes it.  jansson prints
 * reals with 17 significant digits (0.1 -> 0.10000000000000001) and refuses
 * integers beyond 64 bits; every place stepd reads or writes JSON text (API,
 * history, CLI) goes through here instead, so 0.1 stays 0.1, integers stay
 * integers, big integers are accepted and object key order is kept.
 *
 * Ownership: returned strings are malloc'd (caller frees); returned json_t
 * are new references. */
#ifndef SFN_JSON_H
#define SFN_JSON_H

#include <jansson.h>
#include <stddef.h>

/* Parses `len` bytes.  Flags are jansson's decoding flags (JSON_DECODE_ANY,
 * JSON_REJECT_DUPLICATES, ...).  An integer literal outside the 64-bit range
 * is read as a real (nearest double) instead of being refused.  On error
 * returns NULL and fills *error as jansson does. */
json_t *sfn_json_loadb(const char *text, size_t len, size_t flags,
                       json_error_t *error);

/* Compact JSON text (no spaces, as AWS emits it).  Reals use the shortest
 * form that reads back to the same double, with ".0" kept for integral reals
 * ("1.0"), non-ASCII kept as UTF-8, "/" not escaped.  Object members in
 * insertion order.  Any JSON value, not only containers.  NULL on
 * allocation failure.  `pretty` indents by two spaces. */
char *sfn_json_dumps(const json_t *v, int pretty);

/* A reusable output buffer for hot paths (no malloc per value once it has
 * grown).  Zero-initialise; release with sfn_json_buf_free. */
typedef struct sfn_json_buf {
    char *p;
    size_t len, cap;
    int oom;
} sfn_json_buf;

/* Like sfn_json_dumps (compact) into b, replacing its contents.  Returns
 * b->p (valid until the next use of b; b->len bytes), NULL on ENOMEM. */
const char *sfn_json_dump_to(const json_t *v, sfn_json_buf *b);
void sfn_json_buf_free(sfn_json_buf *b);

/* The shortest "%.Ng" rendering of d that strtod reads back exactly, into
 * buf (>= 32 bytes).  Non-finite values render as "null".  Returns buf. */
char *sfn_json_format_real(double d, char *buf, size_t size);

#endif

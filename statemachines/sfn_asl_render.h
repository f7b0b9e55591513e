/* sfn_asl_render.h: draws a compiled state machine as Graphviz DOT or as a
 * Mermaid flowchart.  Pure: builds text in memory, no I/O.
 *
 * Picture: a start node, one node per state (generated ids "s<N>", the state
 * name and type in the label; Choice a diamond, Succeed/Fail terminal
 * styles), Next edges, Choice rule edges labelled with a short rendering of
 * the rule and a "Default" edge, dashed Catch edges labelled with the error
 * names, and terminal states joined to an end node.  Parallel branches and
 * Map processors are nested clusters (DOT `subgraph cluster_...`, Mermaid
 * `subgraph`) with their own end node, entered from the owning state. */
#ifndef SFN_ASL_RENDER_H
#define SFN_ASL_RENDER_H

#include <stddef.h>

#include "sfn_asl.h"
#include "sfn_err.h"

typedef enum { SFN_RENDER_DOT = 0, SFN_RENDER_MERMAID = 1 } sfn_render_fmt;

/* "dot" or "mermaid" (exact, lower case) into *out; SFN_EINVAL otherwise
 * with err naming the value. */
sfn_rc sfn_asl_render_fmt_parse(const char *name, sfn_render_fmt *out,
                                sfn_error *err);

/* Renders g (borrowed).  On success *out is a malloc'd NUL-terminated text
 * (caller frees) and *len (may be NULL) its length.  Fails only with
 * SFN_ENOMEM, or SFN_EINVAL for a NULL graph / unknown format; *out is then
 * untouched. */
sfn_rc sfn_asl_render(const sfn_graph *g, sfn_render_fmt fmt, char **out,
                      size_t *len, sfn_error *err);

/* A one-line rendering of a Choice rule, as used on edge labels:
 * `$.x == "a"`, `($.n > 5 && isPresent($.y))`, `!($.ok == true)`, or the
 * JSONata condition text.  `raw` is the rule's JSON from the definition
 * (borrowed; used for the JSONata condition text), may be NULL.  Returns a
 * malloc'd string (caller frees), at most max_chars characters (0 = no
 * limit; longer ones end in "..."), or NULL on ENOMEM. */
char *sfn_asl_render_rule(const sfn_rule *rule, const json_t *raw,
                          size_t max_chars);

#endif

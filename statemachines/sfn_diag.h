/* sfn_diag.h: validation diagnostics, the shape of AWS's
 * ValidateStateMachineDefinition result: a code, a message a person can act
 * on, a JSON-pointer location and a severity.  A list collects all of them
 * rather than stopping at the first. */
#ifndef SFN_DIAG_H
#define SFN_DIAG_H

#include <jansson.h>
#include <stddef.h>

#include "sfn_err.h"

typedef enum { SFN_SEV_ERROR = 0, SFN_SEV_WARNING = 1 } sfn_severity;

typedef struct sfn_diag {
    sfn_severity severity;
    char *code;     /* "SCHEMA_VALIDATION_FAILED", "MISSING_TRANSITION_TARGET" */
    char *message;  /* one sentence, names the offending value              */
    char *location; /* RFC 6901 JSON pointer, "" for the whole document     */
} sfn_diag;

typedef struct sfn_diags {
    sfn_diag *items;
    size_t count, cap;
    size_t errors; /* how many have SFN_SEV_ERROR */
} sfn_diags;

void sfn_diags_init(sfn_diags *d);
void sfn_diags_free(sfn_diags *d); /* frees items; d reusable after init */

/* Appends a diagnostic; location is copied.  Returns SFN_ENOMEM only. */
sfn_rc sfn_diags_add(sfn_diags *d, sfn_severity sev, const char *code,
                     const char *location, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* {"result":"OK"|"FAIL","diagnostics":[{"code","message","location",
 * "severity"}]}: new reference.  Warnings are included only when
 * with_warnings; "result" is FAIL when any error is present. */
json_t *sfn_diags_to_json(const sfn_diags *d, int with_warnings);

/* JSON pointer helper: appends "/" + escaped token (RFC 6901: "~" -> "~0",
 * "/" -> "~1") to base.  Returns a malloc'd string (caller frees) or NULL. */
char *sfn_pointer_join(const char *base, const char *token);
char *sfn_pointer_join_index(const char *base, size_t index);

#endif

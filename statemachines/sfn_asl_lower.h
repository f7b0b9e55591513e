/* sfn_asl_lower.h: `stepd lower`: compiles a definition that uses the stepd
 * Compensation extension (docs/compensation.md) into plain ASL that AWS
 * Step Functions accepts and that runs to the same outcome (Catch chains
 * into generated undo states, workflow variables for what the undos read).
 * Pure: no I/O. */
#ifndef SFN_ASL_LOWER_H
#define SFN_ASL_LOWER_H

#include <jansson.h>

#include "sfn_diag.h"

/* definition is borrowed.  Returns a new definition (new reference) with no
 * stepd extension left, which `stepd validate --strict-asl` accepts; a
 * definition without extensions comes back as an equal copy.  Returns NULL
 * with diagnostics appended to `diags` (initialised by the caller) when the
 * definition does not compile, or when part of it cannot be lowered
 * faithfully (code CANNOT_LOWER, located at the part). */
json_t *sfn_asl_lower(json_t *definition, sfn_diags *diags);

#endif

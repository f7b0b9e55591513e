/* sfn_mock.h: mocked service responses in the format of AWS Step Functions
 * Local's mock configuration file:
 *   {"StateMachines": {"<machine>": {"TestCases": {"<case>":
 *        {"<state name>": "<mocked response name>", ...}}}},
 *    "MockedResponses": {"<name>": {"0": {"Return": <json>},
 *                                  "1-2": {"Throw": {"Error": "...",
 *                                                    "Cause": "..."}}}}}
 * Keys of a mocked response are 0-based invocation numbers of the state in
 * one execution ("0", "1-2"); each entry holds exactly one of Return or
 * Throw.  An invocation no key covers fails the execution with
 * States.Runtime: AWS's mock-config documentation requires a response for
 * every invocation of a mocked state (see task_mock.c).
 *
 * Ownership: a mock set owns its JSON; lookups return borrowed values.
 * No I/O besides sfn_mock_load_file. */
#ifndef SFN_MOCK_H
#define SFN_MOCK_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "sfn_err.h"

typedef struct sfn_mock_set sfn_mock_set;

/* Parses and checks the whole file; errors name the JSON pointer of the
 * bad member ("/MockedResponses/Charge/1-x: bad invocation range"). */
sfn_mock_set *sfn_mock_load_file(const char *path, sfn_error *err);
sfn_mock_set *sfn_mock_load(json_t *config, sfn_error *err); /* borrowed */
void sfn_mock_free(sfn_mock_set *m);

bool sfn_mock_has_case(const sfn_mock_set *m, const char *machine,
                       const char *test_case);

typedef struct sfn_mock_answer {
    json_t *result;        /* Return value (borrowed), or NULL           */
    const char *error;     /* Throw.Error (borrowed), or NULL            */
    const char *cause;     /* Throw.Cause, or NULL                       */
} sfn_mock_answer;

/* true when `state` is mocked in (machine, test_case); fills *a for the
 * given 0-based invocation. */
bool sfn_mock_lookup(const sfn_mock_set *m, const char *machine,
                     const char *test_case, const char *state,
                     uint32_t invocation, sfn_mock_answer *a);

#endif

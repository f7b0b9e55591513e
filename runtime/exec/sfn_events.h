/* sfn_events.h: execution history events in AWS's shape: the event type
 * enum (names exactly as GetExecutionHistory spells them) and which
 * `*EventDetails` member each type carries.  The enum's values are stored
 * in databases: append new types at the end, never reorder. */
#ifndef SFN_EVENTS_H
#define SFN_EVENTS_H

#include <jansson.h>
#include <stdint.h>

#define SFN_EVENT_TYPES(XX)                                               \
    XX(ExecutionStarted, "executionStartedEventDetails")                  \
    XX(ExecutionSucceeded, "executionSucceededEventDetails")              \
    XX(ExecutionFailed, "executionFailedEventDetails")                    \
    XX(ExecutionAborted, "executionAbortedEventDetails")                  \
    XX(ExecutionTimedOut, "executionTimedOutEventDetails")                \
    XX(ExecutionRedriven, "executionRedrivenEventDetails")                \
    XX(PassStateEntered, "stateEnteredEventDetails")                      \
    XX(PassStateExited, "stateExitedEventDetails")                        \
    XX(TaskStateEntered, "stateEnteredEventDetails")                      \
    XX(TaskStateExited, "stateExitedEventDetails")                        \
    XX(TaskStateAborted, NULL)                                            \
    XX(ChoiceStateEntered, "stateEnteredEventDetails")                    \
    XX(ChoiceStateExited, "stateExitedEventDetails")                      \
    XX(WaitStateEntered, "stateEnteredEventDetails")                      \
    XX(WaitStateExited, "stateExitedEventDetails")                        \
    XX(WaitStateAborted, NULL)                                            \
    XX(SucceedStateEntered, "stateEnteredEventDetails")                   \
    XX(SucceedStateExited, "stateExitedEventDetails")                     \
    XX(FailStateEntered, "stateEnteredEventDetails")                      \
    XX(ParallelStateEntered, "stateEnteredEventDetails")                  \
    XX(ParallelStateExited, "stateExitedEventDetails")                    \
    XX(ParallelStateStarted, NULL)                                        \
    XX(ParallelStateSucceeded, NULL)                                      \
    XX(ParallelStateFailed, NULL)                                         \
    XX(ParallelStateAborted, NULL)                                        \
    XX(MapStateEntered, "stateEnteredEventDetails")                       \
    XX(MapStateExited, "stateExitedEventDetails")                         \
    XX(MapStateStarted, "mapStateStartedEventDetails")                    \
    XX(MapStateSucceeded, NULL)                                           \
    XX(MapStateFailed, NULL)                                              \
    XX(MapStateAborted, NULL)                                             \
    XX(MapIterationStarted, "mapIterationStartedEventDetails")            \
    XX(MapIterationSucceeded, "mapIterationSucceededEventDetails")        \
    XX(MapIterationFailed, "mapIterationFailedEventDetails")              \
    XX(MapIterationAborted, "mapIterationAbortedEventDetails")            \
    XX(TaskScheduled, "taskScheduledEventDetails")                        \
    XX(TaskStarted, "taskStartedEventDetails")                            \
    XX(TaskStartFailed, "taskStartFailedEventDetails")                    \
    XX(TaskSubmitted, "taskSubmittedEventDetails")                        \
    XX(TaskSubmitFailed, "taskSubmitFailedEventDetails")                  \
    XX(TaskSucceeded, "taskSucceededEventDetails")                        \
    XX(TaskFailed, "taskFailedEventDetails")                              \
    XX(TaskTimedOut, "taskTimedOutEventDetails")                          \
    XX(LambdaFunctionScheduled, "lambdaFunctionScheduledEventDetails")    \
    XX(LambdaFunctionStarted, NULL)                                       \
    XX(LambdaFunctionSucceeded, "lambdaFunctionSucceededEventDetails")    \
    XX(LambdaFunctionFailed, "lambdaFunctionFailedEventDetails")          \
    XX(LambdaFunctionTimedOut, "lambdaFunctionTimedOutEventDetails")      \
    XX(LambdaFunctionStartFailed, "lambdaFunctionStartFailedEventDetails") \
    XX(LambdaFunctionScheduleFailed,                                      \
       "lambdaFunctionScheduleFailedEventDetails")                        \
    XX(ActivityScheduled, "activityScheduledEventDetails")                \
    XX(ActivityStarted, "activityStartedEventDetails")                    \
    XX(ActivitySucceeded, "activitySucceededEventDetails")                \
    XX(ActivityFailed, "activityFailedEventDetails")                      \
    XX(ActivityTimedOut, "activityTimedOutEventDetails")                  \
    XX(ActivityScheduleFailed, "activityScheduleFailedEventDetails")      \
    XX(EvaluationFailed, "evaluationFailedEventDetails")                  \
    XX(MapRunStarted, "mapRunStartedEventDetails")                        \
    XX(MapRunSucceeded, NULL)                                             \
    XX(MapRunFailed, "mapRunFailedEventDetails")                          \
    XX(MapRunAborted, NULL)                                               \
    XX(MapRunRedriven, "mapRunRedrivenEventDetails")                      \
    /* stepd extension: compensation (docs/compensation.md) */            \
    XX(CompensationStarted, "compensationStartedEventDetails")            \
    XX(CompensationStepScheduled, "compensationStepScheduledEventDetails") \
    XX(CompensationStepSucceeded, "compensationStepSucceededEventDetails") \
    XX(CompensationStepFailed, "compensationStepFailedEventDetails")      \
    XX(CompensationEnded, "compensationEndedEventDetails")

typedef enum {
#define SFN__EV_ENUM(name, member) SFN_EV_##name,
    SFN_EVENT_TYPES(SFN__EV_ENUM)
#undef SFN__EV_ENUM
    SFN_EV__COUNT
} sfn_event_type;

/* "TaskStateEntered"; NULL for an out-of-range value. */
const char *sfn_event_type_name(sfn_event_type t);
/* "stateEnteredEventDetails", or NULL for types that carry no details. */
const char *sfn_event_details_member(sfn_event_type t);
/* Reverse lookup; -1 when unknown. */
int sfn_event_type_from_name(const char *name);

/* One history event.  `details` is the *EventDetails object (owned) or
 * NULL; data members (input, output, parameters) are JSON text strings as
 * AWS returns them. */
typedef struct sfn_event {
    int64_t id;
    int64_t prev;
    int64_t ts_ms;
    sfn_event_type type;
    json_t *details;
} sfn_event;

/* {"truncated": false}, the `*Details` member beside every data member:
 * one shared immutable object (new reference each call). */
json_t *sfn_event_not_truncated(void);

/* The API shape {"id","previousEventId","timestamp","type",<member>:{}}:
 * new reference.  timestamp is epoch seconds with millisecond fraction.
 * With include_data false, input/output/parameters members are dropped as
 * GetExecutionHistory's includeExecutionData=false asks. */
json_t *sfn_event_to_json(const sfn_event *e, int include_data);

#endif

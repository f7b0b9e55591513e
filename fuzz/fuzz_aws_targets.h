/* fuzz_aws_targets.h: the X-Amz-Target values fuzz_aws_protocol picks from
 * with its first input byte (every action, an unknown one, one without the
 * AWSStepFunctions. prefix); seed_corpus writes seeds by the same table. */
#ifndef SFN_FUZZ_AWS_TARGETS_H
#define SFN_FUZZ_AWS_TARGETS_H

static const char *const aws_targets[] = {
    "AWSStepFunctions.CreateStateMachine",
    "AWSStepFunctions.DescribeStateMachine",
    "AWSStepFunctions.UpdateStateMachine",
    "AWSStepFunctions.DeleteStateMachine",
    "AWSStepFunctions.ListStateMachines",
    "AWSStepFunctions.ValidateStateMachineDefinition",
    "AWSStepFunctions.StartExecution",
    "AWSStepFunctions.StartSyncExecution",
    "AWSStepFunctions.DescribeExecution",
    "AWSStepFunctions.DescribeStateMachineForExecution",
    "AWSStepFunctions.ListExecutions",
    "AWSStepFunctions.StopExecution",
    "AWSStepFunctions.GetExecutionHistory",
    "AWSStepFunctions.TagResource",
    "AWSStepFunctions.UntagResource",
    "AWSStepFunctions.ListTagsForResource",
    "AWSStepFunctions.PublishStateMachineVersion",
    "AWSStepFunctions.ListStateMachineVersions",
    "AWSStepFunctions.DeleteStateMachineVersion",
    "AWSStepFunctions.CreateStateMachineAlias",
    "AWSStepFunctions.DescribeStateMachineAlias",
    "AWSStepFunctions.UpdateStateMachineAlias",
    "AWSStepFunctions.DeleteStateMachineAlias",
    "AWSStepFunctions.ListStateMachineAliases",
    "AWSStepFunctions.TestState",
    "AWSStepFunctions.SendTaskSuccess",
    "AWSStepFunctions.SendTaskFailure",
    "AWSStepFunctions.SendTaskHeartbeat",
    "AWSStepFunctions.CreateActivity",
    "AWSStepFunctions.DescribeActivity",
    "AWSStepFunctions.ListActivities",
    "AWSStepFunctions.DeleteActivity",
    "AWSStepFunctions.GetActivityTask",
    "AWSStepFunctions.NoSuchAction",
    "StepFunctions.ListStateMachines",
};
#define AWS_N_TARGETS (sizeof aws_targets / sizeof aws_targets[0])

#endif

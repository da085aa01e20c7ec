"""The privilege-escalation methods the engine detects: /work/shared/iam-privesc-methods.md, part 1.

Names are the Method column of that table, verbatim. Each method is the minimal set of
actions the table lists; "A or B" becomes one Need with alternative actions. What a method
yields decides the edge it adds to the escalation graph (escalation.py):

- `other-user`: become another IAM user (its keys or console password);
- `grant`: give a principal new permissions (attach/put/rewrite a policy, join a group);
- `assume`: become a role by rewriting or using its trust policy;
- `pass-role`: run code as a role passed to a service (the role must trust that service);
- `existing`: run code in an existing compute resource and use its role (any role that
  trusts the service could be behind such a resource: the IAM snapshot cannot tell which).

Not detected (DISCONTINUED): the three CodeStar methods (#54-#56). AWS CodeStar was shut down in
July 2024, its API no longer answers and the pinned catalogue no longer lists the `codestar`
service; a policy that still names `codestar:*` actions gets them reported as unknown actions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Target = Literal["other user", "user", "group", "role", "other role", "customer-managed policy", "any"]
Yield = Literal["other-user", "grant", "assume", "pass-role", "existing"]

ADMIN_POLICY = "arn:{partition}:iam::aws:policy/AdministratorAccess"
"""iam:PolicyARN in the context of iam:Attach*Policy checks: attaching this one is the escalation."""


@dataclass(frozen=True, slots=True)
class Need:
    """One required permission: any of `actions` on a resource of `target`."""

    actions: tuple[str, ...]
    target: Target = "any"
    passed_to: str | None = None  # iam:PassedToService for iam:PassRole
    on: tuple[str, ...] = ()
    """The resource types the method needs the actions on, as `service:type` prefixes of the
    catalogue's ARN templates (`ec2:instance/`); empty: any resource type the action takes. The
    catalogue also lists resources an action merely touches (ssm:SendCommand's output bucket,
    ec2:RunInstances' subnet): allowed only there, the action cannot do what the method needs."""

    @property
    def label(self) -> str:
        return " or ".join(self.actions)


@dataclass(frozen=True, slots=True)
class Method:
    number: int
    name: str
    needs: tuple[Need, ...]
    yields: Yield
    service: str = ""  # the service principal whose roles the method reaches (pass-role, existing)
    instance_profile: bool = False  # the reached role must sit in an EC2 instance profile
    edge_only: bool = False
    """Not a method of a policy on its own: it needs the target's trust policy (AssumeRole), so
    only the account graph, which reads trust policies, uses it."""

    def actions(self) -> tuple[str, ...]:
        return tuple(a for need in self.needs for a in need.actions)


def _pass(service: str) -> Need:
    return Need(("iam:PassRole",), "role", service)


def _do(*actions: str) -> Need:
    return Need(tuple(actions))


def _on(action: str, *types: str) -> Need:
    return Need((action,), on=types)


INSTANCE = "ec2:instance/"
MANAGED = ("ec2:instance/", "ssm:managed-instance/")


EC2 = "ec2.amazonaws.com"
LAMBDA = "lambda.amazonaws.com"
GLUE = "glue.amazonaws.com"
CFN = "cloudformation.amazonaws.com"
SAGEMAKER = "sagemaker.amazonaws.com"
ECS = "ecs-tasks.amazonaws.com"
CODEBUILD = "codebuild.amazonaws.com"
DATAPIPELINE = "datapipeline.amazonaws.com"
APPRUNNER = "tasks.apprunner.amazonaws.com"
AGENTCORE = "bedrock-agentcore.amazonaws.com"


def _iam(action: str, target: Target) -> Need:
    return Need((f"iam:{action}",), target)


_GLUE_RUN = _do("glue:StartJobRun", "glue:CreateTrigger")
_BUILD = _do("codebuild:StartBuild", "codebuild:StartBuildBatch")
_ECS_RUN = _do("ecs:RunTask", "ecs:StartTask", "ecs:CreateService")
_ASG = _do("autoscaling:CreateAutoScalingGroup", "autoscaling:UpdateAutoScalingGroup")
_INTERPRETER = (_do("bedrock-agentcore:StartCodeInterpreterSession"),
                _do("bedrock-agentcore:InvokeCodeInterpreter"))

METHODS: tuple[Method, ...] = (
    Method(1, "CreateAccessKey", (_iam("CreateAccessKey", "other user"),), "other-user"),
    Method(2, "CreateLoginProfile", (_iam("CreateLoginProfile", "other user"),), "other-user"),
    Method(3, "UpdateLoginProfile", (_iam("UpdateLoginProfile", "other user"),), "other-user"),
    Method(4, "AddUserToGroup", (_iam("AddUserToGroup", "group"),), "grant"),
    Method(5, "CreateNewPolicyVersion", (_iam("CreatePolicyVersion", "customer-managed policy"),), "grant"),
    Method(6, "SetExistingDefaultPolicyVersion",
           (_iam("SetDefaultPolicyVersion", "customer-managed policy"),), "grant"),
    Method(7, "AttachUserPolicy", (_iam("AttachUserPolicy", "user"),), "grant"),
    Method(8, "AttachGroupPolicy", (_iam("AttachGroupPolicy", "group"),), "grant"),
    Method(9, "AttachRolePolicy", (_iam("AttachRolePolicy", "role"),), "grant"),
    Method(10, "PutUserPolicy", (_iam("PutUserPolicy", "user"),), "grant"),
    Method(11, "PutGroupPolicy", (_iam("PutGroupPolicy", "group"),), "grant"),
    Method(12, "PutRolePolicy", (_iam("PutRolePolicy", "role"),), "grant"),
    Method(13, "UpdateRolePolicyToAssumeIt", (_iam("UpdateAssumeRolePolicy", "other role"),), "assume"),
    Method(14, "AssumeRole", (Need(("sts:AssumeRole",), "other role"),), "assume", edge_only=True),
    Method(15, "CreateEC2WithExistingIP", (_pass(EC2), _on("ec2:RunInstances", INSTANCE)),
           "pass-role", EC2, True),
    Method(16, "PassExistingRoleToNewEC2SpotInstance",
           (_pass(EC2), _on("ec2:RequestSpotInstances", "ec2:spot-instances-request/")),
           "pass-role", EC2, True),
    Method(17, "ModifyEC2InstanceUserDataThenRestart",
           (_on("ec2:ModifyInstanceAttribute", INSTANCE), _on("ec2:StopInstances", INSTANCE),
            _on("ec2:StartInstances", INSTANCE)), "existing", EC2, True),
    Method(18, "ModifyExistingEC2LaunchTemplate",
           (_do("ec2:CreateLaunchTemplateVersion"), _do("ec2:ModifyLaunchTemplate")), "existing", EC2, True),
    Method(19, "EC2InstanceConnectSendSSHPublicKey", (_do("ec2-instance-connect:SendSSHPublicKey"),),
           "existing", EC2, True),
    Method(20, "SSMSendCommand", (_on("ssm:SendCommand", *MANAGED),), "existing", EC2, True),
    Method(21, "SSMStartSession", (_on("ssm:StartSession", *MANAGED),), "existing", EC2, True),
    Method(22, "PassExistingRoleToNewAutoScalingGroup",
           (_pass(EC2), _do("autoscaling:CreateLaunchConfiguration"), _ASG), "pass-role", EC2, True),
    Method(23, "CreateAutoScalingGroupWithExistingLaunchConfig", (_do("autoscaling:CreateAutoScalingGroup"),),
           "existing", EC2, True),
    Method(24, "PassExistingRoleToNewLambdaThenInvoke",
           (_pass(LAMBDA), _do("lambda:CreateFunction"), _do("lambda:InvokeFunction")), "pass-role", LAMBDA),
    Method(25, "PassExistingRoleToNewLambdaThenAddPermission",
           (_pass(LAMBDA), _do("lambda:CreateFunction"), _do("lambda:AddPermission")), "pass-role", LAMBDA),
    Method(26, "PassExistingRoleToNewLambdaThenTriggerWithDynamo",
           (_pass(LAMBDA), _do("lambda:CreateFunction"), _do("lambda:CreateEventSourceMapping")),
           "pass-role", LAMBDA),
    Method(27, "EditExistingLambdaFunctionWithRole", (_do("lambda:UpdateFunctionCode"),), "existing", LAMBDA),
    Method(28, "UpdateExistingLambdaFunctionConfiguration", (_do("lambda:UpdateFunctionConfiguration"),),
           "existing", LAMBDA),
    Method(29, "PassExistingRoleToNewGlueDevEndpoint", (_pass(GLUE), _do("glue:CreateDevEndpoint")),
           "pass-role", GLUE),
    Method(30, "UpdateExistingGlueDevEndpoint", (_do("glue:UpdateDevEndpoint"),), "existing", GLUE),
    Method(31, "PassExistingRoleToNewGlueJob", (_pass(GLUE), _do("glue:CreateJob"), _GLUE_RUN),
           "pass-role", GLUE),
    Method(32, "PassExistingRoleToUpdatedGlueJob", (_pass(GLUE), _do("glue:UpdateJob"), _GLUE_RUN),
           "pass-role", GLUE),
    Method(33, "PassExistingRoleToCloudFormation", (_pass(CFN), _do("cloudformation:CreateStack")),
           "pass-role", CFN),
    Method(34, "UpdateExistingCloudFormationStack", (_do("cloudformation:UpdateStack"),), "existing", CFN),
    Method(35, "ExecuteCloudFormationChangeSet",
           (_do("cloudformation:CreateChangeSet"), _do("cloudformation:ExecuteChangeSet")), "existing", CFN),
    Method(36, "PassExistingRoleToNewCloudFormationStackSet",
           (_pass(CFN), _do("cloudformation:CreateStackSet"),
            _on("cloudformation:CreateStackInstances", "cloudformation:stackset/")),
           "pass-role", CFN),
    Method(37, "PassRoleToUpdateCloudFormationStackSet",
           (_pass(CFN), _on("cloudformation:UpdateStackSet", "cloudformation:stackset/")),
           "pass-role", CFN),
    Method(38, "PassExistingRoleToNewDataPipeline",
           (_pass(DATAPIPELINE), _do("datapipeline:CreatePipeline"),
            _do("datapipeline:PutPipelineDefinition")), "pass-role", DATAPIPELINE),
    Method(39, "PassExistingRoleToNewCodeBuildProject",
           (_pass(CODEBUILD), _do("codebuild:CreateProject"), _BUILD), "pass-role", CODEBUILD),
    Method(40, "StartBuildOnExistingCodeBuildProject", (_BUILD,), "existing", CODEBUILD),
    Method(41, "PassExistingRoleToNewSageMakerNotebook",
           (_pass(SAGEMAKER), _do("sagemaker:CreateNotebookInstance")), "pass-role", SAGEMAKER),
    Method(42, "PassExistingRoleToNewSageMakerTrainingJob",
           (_pass(SAGEMAKER), _on("sagemaker:CreateTrainingJob", "sagemaker:training-job/")),
           "pass-role", SAGEMAKER),
    Method(43, "PassExistingRoleToNewSageMakerProcessingJob",
           (_pass(SAGEMAKER), _do("sagemaker:CreateProcessingJob")), "pass-role", SAGEMAKER),
    Method(44, "CreatePresignedSageMakerNotebookUrl", (_do("sagemaker:CreatePresignedNotebookInstanceUrl"),),
           "existing", SAGEMAKER),
    Method(45, "UpdateSageMakerNotebookLifecycleConfig",
           (_do("sagemaker:CreateNotebookInstanceLifecycleConfig"), _do("sagemaker:StopNotebookInstance"),
            _do("sagemaker:UpdateNotebookInstance"), _do("sagemaker:StartNotebookInstance")),
           "existing", SAGEMAKER),
    Method(46, "PassExistingRoleToNewECSTask", (_pass(ECS), _do("ecs:RegisterTaskDefinition"), _ECS_RUN),
           "pass-role", ECS),
    Method(47, "PassRoleToECSRunTaskOverride", (_pass(ECS), _do("ecs:RunTask")), "pass-role", ECS),
    Method(48, "ECSStartTaskOnRogueContainerInstance",
           (_pass(ECS), _do("ecs:StartTask"), _do("ecs:RegisterContainerInstance"),
            _do("ecs:DeregisterContainerInstance")), "pass-role", ECS),
    Method(49, "ECSExecuteCommandOnRunningTask", (_on("ecs:ExecuteCommand", "ecs:task/"),), "existing", ECS),
    Method(50, "PassExistingRoleToNewAppRunnerService",
           (_pass(APPRUNNER), _on("apprunner:CreateService", "apprunner:service/")), "pass-role", APPRUNNER),
    Method(51, "UpdateExistingAppRunnerService", (_on("apprunner:UpdateService", "apprunner:service/"),),
           "existing", APPRUNNER),
    Method(52, "PassExistingRoleToNewBedrockCodeInterpreter",
           (_pass(AGENTCORE), _do("bedrock-agentcore:CreateCodeInterpreter"), *_INTERPRETER),
           "pass-role", AGENTCORE),
    Method(53, "AccessExistingBedrockCodeInterpreterSession", _INTERPRETER, "existing", AGENTCORE),
)

DISCONTINUED: tuple[tuple[int, str, tuple[str, ...]], ...] = (
    (54, "CodeStarCreateProjectFromTemplate", ("codestar:CreateProjectFromTemplate",)),
    (55, "PassExistingRoleToNewCodeStarProject", ("iam:PassRole", "codestar:CreateProject")),
    (56, "CodeStarCreateProjectThenAssociateTeamMember",
     ("codestar:CreateProject", "codestar:AssociateTeamMember")),
)
"""Listed in the methods file, not detected: AWS CodeStar no longer exists (see module docstring)."""

BY_NAME = {m.name: m for m in METHODS}

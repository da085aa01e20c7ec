"""AWS Config checks: a running recorder of all resource types in every region, and the global
IAM resource types recorded somewhere."""

from __future__ import annotations

from awsaudit.checks._registry import ACCOUNT, Missing, check, need
from awsaudit.checks._view import AccountView
from awsaudit.model import Json, Objective, Outcome, Remediation, Severity, fail, ok

ALL_SUPPORTED = "ALL_SUPPORTED_RESOURCE_TYPES"
INCLUSION = "INCLUSION_BY_RESOURCE_TYPES"
EXCLUSION = "EXCLUSION_BY_RESOURCE_TYPES"
IAM_TYPES = frozenset({"AWS::IAM::User", "AWS::IAM::Group", "AWS::IAM::Role", "AWS::IAM::Policy"})
"""The global IAM resource types (`includeGlobalResourceTypes`)."""

NO_GLOBAL_IAM_REGIONS = frozenset({
    "ap-south-2", "ap-southeast-4", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7", "ap-east-2",
    "ca-west-1", "eu-central-2", "eu-south-2", "il-central-1", "me-central-1", "mx-central-1",
})
"""Regions where Config arrived after February 2022: they cannot record the global IAM types,
whatever the recorder says (the regions launched since then).
https://docs.aws.amazon.com/config/latest/developerguide/select-resources.html"""

REMEDIATION = Remediation(
    console=(
        "Open AWS Config in the region and choose Settings (or Get started) > Edit.",
        "Recording strategy: All resource types with customizable overrides, without overrides; "
        "recording frequency as needed.",
        "In exactly one region (the home region), also include globally recorded IAM resource types.",
        "Choose the AWSServiceRoleForConfig service-linked role and an S3 bucket (and optionally an "
        "SNS topic) for delivery; save, and make sure recording is On.",
        "Repeat in every enabled region, or deploy it everywhere at once with a CloudFormation StackSet "
        "or AWS Control Tower.",
    ),
    cli="aws configservice put-configuration-recorder --region {region} --configuration-recorder "
        "name=default,roleARN=arn:aws:iam::{account}:role/aws-service-role/config.amazonaws.com/"
        "AWSServiceRoleForConfig --recording-group allSupported=true,includeGlobalResourceTypes=false && "
        "aws configservice put-delivery-channel --region {region} --delivery-channel "
        "name=default,s3BucketName={bucket} && "
        "aws configservice start-configuration-recorder --region {region} "
        "--configuration-recorder-name default",
    terraform='resource "aws_config_configuration_recorder" "main" {\n'
              '  name     = "default"\n'
              "  role_arn = aws_iam_service_linked_role.config.arn\n"
              "  recording_group {\n"
              "    all_supported                 = true\n"
              "    include_global_resource_types = true # in the home region only\n"
              "  }\n"
              "}\n\n"
              'resource "aws_config_delivery_channel" "main" {\n'
              '  name           = "default"\n'
              "  s3_bucket_name = aws_s3_bucket.config.id\n"
              "  depends_on     = [aws_config_configuration_recorder.main]\n"
              "}\n\n"
              'resource "aws_config_configuration_recorder_status" "main" {\n'
              "  name       = aws_config_configuration_recorder.main.name\n"
              "  is_enabled = true\n"
              "  depends_on = [aws_config_delivery_channel.main]\n"
              "}",
)


def _strategy(group: Json) -> str:
    """The recording strategy in force; recorders made before strategies existed have only allSupported."""
    strategy = (group.get("recordingStrategy") or {}).get("useOnly")
    if strategy:
        return str(strategy)
    return ALL_SUPPORTED if group.get("allSupported") else INCLUSION


def _scope(group: Json) -> str:
    """What the recording group covers, in words (for messages)."""
    strategy = _strategy(group)
    if strategy == ALL_SUPPORTED:
        return "all supported resource types"
    if strategy == EXCLUSION:
        excluded = (group.get("exclusionByResourceTypes") or {}).get("resourceTypes") or []
        return f"all resource types except {len(excluded)} excluded"
    return f"only {len(group.get('resourceTypes') or [])} selected resource type(s)"


def _records_iam_types(group: Json) -> bool:
    strategy = _strategy(group)
    if strategy == ALL_SUPPORTED:
        return bool(group.get("includeGlobalResourceTypes"))
    if strategy == EXCLUSION:
        excluded = (group.get("exclusionByResourceTypes") or {}).get("resourceTypes") or []
        return not IAM_TYPES & set(excluded)
    return set(group.get("resourceTypes") or []) >= IAM_TYPES


def _not_running(recorder: Json) -> str | None:
    """Why the recorder is not recording now, or None when it is."""
    status = need(recorder, "Status")
    if not status:
        return "has no recorder status"
    if not status.get("recording"):
        return "is stopped"
    if status.get("lastStatus") == "FAILURE":
        return f"failed its last recording ({status.get('lastErrorCode') or 'no error code'})"
    return None


def _summary(recorder: Json) -> Json:
    """The recorder as evidence: its name, what it records, and whether it runs."""
    status = recorder.get("Status", "not collected")
    if isinstance(status, dict):
        status = {k: status[k] for k in ("recording", "lastStatus", "lastErrorCode") if k in status}
    return {"name": recorder.get("name"), "recordingGroup": recorder.get("recordingGroup"), "Status": status}


@check(
    "config_recorder_enabled",
    title="AWS Config records all resource types in the region, with a delivery channel",
    severity=Severity.MEDIUM,
    objective=Objective.INTEGRITY,
    over="config.region",
    remediation=REMEDIATION,
)
def config_recorder_enabled(region: Json, view: AccountView) -> Outcome:
    """Config keeps the configuration history of every resource: what a security group, bucket
    policy or role looked like at any time, and who changed it. Without it in a region, a
    resource created there by an intruder (or a change reverted after abuse) leaves no
    configuration record, and incident response and audits cannot reconstruct the past."""
    recorders = need(region, "ConfigurationRecorders")
    channels = need(region, "DeliveryChannels")
    evidence = {
        "ConfigurationRecorders": [_summary(r) for r in recorders],
        "DeliveryChannels": [{k: c.get(k) for k in ("name", "s3BucketName", "snsTopicARN")}
                             for c in channels],
    }
    if aggregators := organization_aggregators(view, str(region.get("_region") or _region_of(region))):
        evidence["OrganizationAggregators"] = aggregators
    if not recorders:
        return fail("No AWS Config recorder in this region: its configuration changes are not recorded",
                    evidence=evidence)
    problems: list[str] = []
    for recorder in recorders:
        group = recorder.get("recordingGroup") or {}
        gaps = [] if _strategy(group) == ALL_SUPPORTED else [f"records {_scope(group)}"]
        if reason := _not_running(recorder):
            gaps.append(reason)
        if not gaps:
            if not channels:
                return fail(f"Recorder {recorder.get('name')} has no delivery channel: the configuration "
                            "history is not delivered", evidence=evidence)
            return ok(f"Recorder {recorder.get('name')} records all supported resource types, delivered to "
                      f"s3://{channels[0].get('s3BucketName')}", evidence=evidence)
        problems.append(f"recorder {recorder.get('name')} {' and '.join(gaps)}")
    return fail("No recorder records all resource types: " + "; ".join(problems), evidence=evidence)


def _region_of(region: Json) -> str:
    arn = str(region.get("_arn") or "")
    return arn.split(":")[3] if arn.count(":") >= 4 else ""


def organization_aggregators(view: AccountView, region: str) -> list[Json]:
    """Organization-wide aggregators (of the management account or a delegated administrator)
    that gather this region's Config data: central visibility, named in evidence. An aggregator
    records nothing itself, so it never satisfies a recording control."""
    context = view.organization
    if context is None:
        return []
    found = []
    for located in context.aggregators:
        source = located.item.get("OrganizationAggregationSource") or {}
        if source.get("AllAwsRegions") or region in (source.get("AwsRegions") or []):
            found.append({"name": located.item.get("ConfigurationAggregatorName"), "account": located.account,
                          "region": located.region,
                          "note": "gathers this account's Config data centrally but records nothing: "
                                  "the region still needs its own recorder"})
    return found


@check(
    "config_global_resources_recorded",
    title="AWS Config records the global IAM resource types in at least one region",
    severity=Severity.MEDIUM,
    objective=Objective.INTEGRITY,
    over=ACCOUNT,
    remediation=REMEDIATION,
)
def config_global_resources_recorded(account: Json, view: AccountView) -> Outcome:
    """IAM users, groups, roles and policies are global: a recorder records them only when told to
    (`includeGlobalResourceTypes`), and one region is enough. If no region does, the history of
    the resources that decide who can do what (a policy widened, a role's trust opened, then
    restored) is exactly the history that is missing."""
    seen: list[Json] = []
    located, gaps = view.items("config.region")
    for region, data in located:
        try:
            recorders = need(data, "ConfigurationRecorders")
            for recorder in recorders:
                records = _records_iam_types(recorder.get("recordingGroup") or {})
                entry = {"region": region, **_summary(recorder), "RecordsGlobalIamTypes": records}
                seen.append(entry)
                if not records or _not_running(recorder):
                    continue
                if region in NO_GLOBAL_IAM_REGIONS:
                    entry["note"] = "Config cannot record the global IAM types in this region"
                    continue
                return ok(f"Recorder {recorder.get('name')} in {region} records the global IAM "
                          "resource types", evidence=entry)
        except Missing as missing:
            gaps.append(f"{region}: {missing}")
    if gaps:
        raise Missing("config.region", "; ".join(gaps))
    if not seen:
        return fail("No AWS Config recorder in any region, so the global IAM resource types are not recorded",
                    evidence={"ConfigurationRecorders": []})
    return fail("No running recorder records the global IAM resource types (users, groups, roles, "
                "customer managed policies) in a region that supports them",
                evidence={"ConfigurationRecorders": seen})

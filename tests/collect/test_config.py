"""Config collector against moto: one document per region, status merged into recorders, denials."""

from __future__ import annotations

from collections.abc import Callable

import boto3

from awsaudit.checks import evaluate
from awsaudit.checks.logging.config import config_global_resources_recorded, config_recorder_enabled
from awsaudit.collect import config
from awsaudit.collect._call import Context
from awsaudit.model import Json, Status
from tests.conftest import ACCOUNT, REGION

OTHER = "us-east-1"


def start_recorder(session: boto3.Session, region: str, *, include_global: bool = True) -> None:
    bucket = f"acme-config-{region}"
    s3 = session.client("s3", region_name=region)
    if region == "us-east-1":
        s3.create_bucket(Bucket=bucket)
    else:
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})  # type: ignore[typeddict-item]
    client = session.client("config", region_name=region)
    client.put_configuration_recorder(ConfigurationRecorder={
        "name": "default", "roleARN": f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/config.amazonaws.com/x",
        "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": include_global}})
    client.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": bucket})
    client.start_configuration_recorder(ConfigurationRecorderName="default")


def test_region_document_holds_recorders_with_status_and_channels(ctx: Context,
                                                                  session: boto3.Session) -> None:
    start_recorder(session, REGION)

    region = config.collect(ctx)["region"]

    assert region["_arn"] == f"arn:aws:config:{REGION}:{ACCOUNT}:region"
    (recorder,) = region["ConfigurationRecorders"]
    assert recorder["name"] == "default"
    assert recorder["recordingGroup"]["allSupported"] is True
    assert recorder["Status"]["recording"] is True
    assert isinstance(recorder["Status"]["lastStartTime"], str)  # plain JSON
    assert region["DeliveryChannels"] == [{"name": "default", "s3BucketName": f"acme-config-{REGION}"}]
    assert ctx.errors == []


def test_region_without_config_is_empty_not_absent(ctx: Context, deny: Callable[..., None]) -> None:
    deny("DescribeConfigurationRecorderStatus")  # never asked: there is no recorder to ask about

    region = config.collect(ctx)["region"]

    assert region["ConfigurationRecorders"] == []
    assert region["DeliveryChannels"] == []
    assert "_errors" not in region
    assert ctx.errors == []


def test_denied_status_leaves_status_absent_on_each_recorder(ctx: Context, session: boto3.Session,
                                                             deny: Callable[..., None]) -> None:
    start_recorder(session, REGION)
    deny("DescribeConfigurationRecorderStatus")

    region = config.collect(ctx)["region"]

    (recorder,) = region["ConfigurationRecorders"]
    assert "Status" not in recorder
    assert recorder["_errors"] == {"Status": "AccessDenied"}
    assert [(e["operation"], e["code"]) for e in ctx.errors] == [
        ("DescribeConfigurationRecorderStatus", "AccessDenied")]
    (finding,) = evaluate(snapshot({REGION: {"config": {"region": region}}}), [config_recorder_enabled])
    assert finding.status is Status.UNKNOWN


def test_denied_recorders_leave_the_key_absent(ctx: Context, deny: Callable[..., None]) -> None:
    deny("DescribeConfigurationRecorders")

    region = config.collect(ctx)["region"]

    assert "ConfigurationRecorders" not in region
    assert region["_errors"] == {"ConfigurationRecorders": "AccessDenied"}
    assert region["DeliveryChannels"] == []
    assert ctx.errors[0]["resource"] == region["_arn"]


def snapshot(regions: Json) -> Json:
    return {"accounts": {ACCOUNT: {"regions": regions}}}


def test_collected_regions_evaluate_per_region(ctx: Context, session: boto3.Session) -> None:
    start_recorder(session, REGION)
    regions = {r: {"config": config.collect(ctx.for_region(r))} for r in (REGION, OTHER)}

    findings = evaluate(snapshot(regions), [config_recorder_enabled, config_global_resources_recorded])

    got = {(f.check_id, f.region): f.status for f in findings}
    assert got == {
        ("config_recorder_enabled", REGION): Status.PASS,
        ("config_recorder_enabled", OTHER): Status.FAIL,
        ("config_global_resources_recorded", "global"): Status.PASS,
    }


def test_actions() -> None:
    assert config.PRODUCES == ("region",)
    assert tuple(sorted(config.ACTIONS)) == config.ACTIONS


def test_organization_aggregator_is_collected(ctx: Context, session: boto3.Session) -> None:
    client = session.client("config", region_name=REGION)
    client.put_configuration_aggregator(
        ConfigurationAggregatorName="org",
        OrganizationAggregationSource={"RoleArn": f"arn:aws:iam::{ACCOUNT}:role/config-org",
                                       "AllAwsRegions": True})

    region = config.collect(ctx)["region"]

    (aggregator,) = region["ConfigurationAggregators"]
    assert aggregator["ConfigurationAggregatorName"] == "org"
    assert aggregator["OrganizationAggregationSource"]["AllAwsRegions"] is True
    assert aggregator["_arn"] == aggregator["ConfigurationAggregatorArn"]


def test_aggregators_denied_are_recorded(ctx: Context, deny: Callable[..., None]) -> None:
    deny("DescribeConfigurationAggregators")

    region = config.collect(ctx)["region"]

    assert "ConfigurationAggregators" not in region
    assert region["_errors"]["ConfigurationAggregators"] == "AccessDenied"
    assert [e["operation"] for e in ctx.errors] == ["DescribeConfigurationAggregators"]

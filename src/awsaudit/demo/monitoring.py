"""Acme's security alerting: half-finished, as it usually is.

The company-wide trail (built by demo.logging) was connected to CloudWatch Logs during an audit
last year, and alerts were set up for the findings of that audit: unauthorized API calls, root
activity and IAM policy changes reach the security team's topic. The rest shows the usual gaps:
the CloudTrail filter was written by hand and forgets StopLogging, console failures are counted but
never alarmed, the network alerts go to a topic nobody subscribed to after the on-call rota moved,
and the S3 policy alarm was muted during a migration and never switched back on. The security
team's own trail in us-east-1 does not deliver to CloudWatch Logs at all.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import boto3

from awsaudit.demo.logging import ORG_TRAIL
from awsaudit.model import Json

LOG_GROUP = "aws-cloudtrail-logs-acme-org"
ROLE = "acme-cloudtrail-to-cloudwatch"
NAMESPACE = "CloudTrailMetrics"

# Patterns as Acme's engineers wrote them: some pasted from CIS, some their own, one short of an event.
UNAUTHORIZED = ('{($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") && '
                '($.sourceIPAddress!="delivery.logs.amazonaws.com") && ($.eventName!="HeadBucket") }')
ROOT = ("{ $.userIdentity.type = Root && $.userIdentity.invokedBy NOT EXISTS && "
        "$.eventType != AwsServiceEvent }")
IAM_CHANGES = ('{ ($.eventSource = "iam.amazonaws.com") && (($.eventName = Put*Policy) || '
               "($.eventName = Delete*Policy*) || ($.eventName = Attach*Policy) || "
               "($.eventName = Detach*Policy) || ($.eventName = CreatePolicy*)) }")
TRAIL_CHANGES_WITHOUT_STOP = ("{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || "
                              "($.eventName = DeleteTrail) || ($.eventName = StartLogging) }")
SECURITY_GROUPS = ("{ ($.eventName = AuthorizeSecurityGroupIngress) || "
                   "($.eventName = AuthorizeSecurityGroupEgress) || "
                   "($.eventName = RevokeSecurityGroupIngress) || "
                   "($.eventName = RevokeSecurityGroupEgress) || "
                   "($.eventName = CreateSecurityGroup) || ($.eventName = DeleteSecurityGroup) }")
S3_POLICIES = ("{ ($.eventSource = s3.amazonaws.com) && (($.eventName = PutBucketAcl) || "
               "($.eventName = PutBucketPolicy) || ($.eventName = PutBucketCors) || "
               "($.eventName = PutBucketLifecycle) || ($.eventName = PutBucketReplication) || "
               "($.eventName = DeleteBucketPolicy) || ($.eventName = DeleteBucketCors) || "
               "($.eventName = DeleteBucketLifecycle) || ($.eventName = DeleteBucketReplication)) }")
CONSOLE_FAILURES = '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }'


def build(session: boto3.Session, regions: Sequence[str]) -> None:
    home = regions[0]
    account = session.client("sts", region_name=home).get_caller_identity()["Account"]
    logs: Any = session.client("logs", region_name=home)
    logs.create_log_group(logGroupName=LOG_GROUP, tags={"team": "platform"})
    logs.put_retention_policy(logGroupName=LOG_GROUP, retentionInDays=365)
    group_arn = f"arn:aws:logs:{home}:{account}:log-group:{LOG_GROUP}:*"
    _connect_trail(session, home, group_arn, _delivery_role(session, home, account, group_arn))

    sns: Any = session.client("sns", region_name=home)
    security = sns.create_topic(Name="acme-security-alerts")["TopicArn"]
    sns.subscribe(TopicArn=security, Protocol="email", Endpoint="security@acme-corp.example")
    # The network team's topic: its only subscriber left with the old on-call rota.
    network = sns.create_topic(Name="acme-network-alerts")["TopicArn"]

    alarms = (  # metric, pattern, topic, actions enabled
        ("UnauthorizedAPICalls", UNAUTHORIZED, security, True),
        ("RootAccountUsage", ROOT, security, True),
        ("IAMPolicyChanges", IAM_CHANGES, security, True),
        ("CloudTrailConfigChanges", TRAIL_CHANGES_WITHOUT_STOP, security, True),
        ("SecurityGroupChanges", SECURITY_GROUPS, network, True),
        ("S3BucketPolicyChanges", S3_POLICIES, security, False),
    )
    cloudwatch: Any = session.client("cloudwatch", region_name=home)
    for metric, pattern, topic, enabled in alarms:
        _metric_filter(logs, metric, pattern)
        cloudwatch.put_metric_alarm(
            AlarmName=f"acme-{metric}", AlarmDescription=f"CloudTrail: {metric}", MetricName=metric,
            Namespace=NAMESPACE, Statistic="Sum", Period=300, EvaluationPeriods=1, Threshold=1,
            ComparisonOperator="GreaterThanOrEqualToThreshold", TreatMissingData="notBreaching",
            ActionsEnabled=enabled, AlarmActions=[topic])
    # Counted on a dashboard, never alarmed.
    _metric_filter(logs, "ConsoleAuthenticationFailures", CONSOLE_FAILURES)


def _metric_filter(logs: Any, metric: str, pattern: str) -> None:
    logs.put_metric_filter(
        logGroupName=LOG_GROUP, filterName=metric, filterPattern=pattern,
        metricTransformations=[{"metricName": metric, "metricNamespace": NAMESPACE, "metricValue": "1"}])


def _delivery_role(session: boto3.Session, region: str, account: str, group_arn: str) -> str:
    """The role CloudTrail assumes to write into the log group (what the console creates for you)."""
    iam: Any = session.client("iam", region_name=region)
    trust: Json = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": account}}}]}
    role = iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=json.dumps(trust),
                           Description="CloudTrail delivery to CloudWatch Logs")["Role"]["Arn"]
    stream_arn = group_arn.removesuffix(":*") + ":log-stream:*"
    policy: Json = {"Version": "2012-10-17", "Statement": [{
        "Sid": "CloudTrailToCloudWatchLogs", "Effect": "Allow",
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource": stream_arn}]}
    iam.put_role_policy(RoleName=ROLE, PolicyName="cloudtrail-delivery", PolicyDocument=json.dumps(policy))
    return str(role)


def _connect_trail(session: boto3.Session, region: str, group_arn: str, role_arn: str) -> None:
    """Point the existing company-wide trail at the log group (it is read, not recreated)."""
    trails: Any = session.client("cloudtrail", region_name=region)
    [trail] = trails.describe_trails(trailNameList=[ORG_TRAIL])["trailList"]
    trails.update_trail(Name=trail["TrailARN"], CloudWatchLogsLogGroupArn=group_arn,
                        CloudWatchLogsRoleArn=role_arn)

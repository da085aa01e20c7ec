"""Monitoring checks: the alarm chain for CIS 5.1-5.15 / MON-1..6, and LOG-4 (trail to CloudWatch Logs)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from awsaudit.checks._registry import Check
from awsaudit.checks.logging.cloudtrail import cloudtrail_trail_cloudwatch_logs_delivery
from awsaudit.checks.monitoring import alarms as mon
from awsaudit.checks.monitoring.alarms import CONTROLS
from awsaudit.model import Json, Status
from tests.checks.cases import Case

HOME, OTHER = "eu-west-1", "us-east-1"
ACCOUNT_ID = "123456789012"
GROUP = "acme-cloudtrail"
GROUP_ARN = f"arn:aws:logs:{HOME}:{ACCOUNT_ID}:log-group:{GROUP}:*"
TOPIC = f"arn:aws:sns:{HOME}:{ACCOUNT_ID}:acme-security-alerts"
ALL_MANAGEMENT = [{"ReadWriteType": "All", "IncludeManagementEvents": True, "DataResources": []}]

IAM = mon.cloudwatch_alarm_iam_policy_changes
IAM_REFERENCE = mon.IAM_POLICY_CHANGES.reference
CHECKS: dict[str, Check] = {
    control.metric: check for control, check in zip(CONTROLS, (
        mon.cloudwatch_alarm_unauthorized_api_calls, mon.cloudwatch_alarm_console_signin_without_mfa,
        mon.cloudwatch_alarm_root_usage, mon.cloudwatch_alarm_iam_policy_changes,
        mon.cloudwatch_alarm_cloudtrail_changes, mon.cloudwatch_alarm_console_auth_failures,
        mon.cloudwatch_alarm_cmk_disable_or_deletion, mon.cloudwatch_alarm_s3_bucket_policy_changes,
        mon.cloudwatch_alarm_config_changes, mon.cloudwatch_alarm_security_group_changes,
        mon.cloudwatch_alarm_nacl_changes, mon.cloudwatch_alarm_network_gateway_changes,
        mon.cloudwatch_alarm_route_table_changes, mon.cloudwatch_alarm_vpc_changes,
        mon.cloudwatch_alarm_organizations_changes), strict=True)
}


def trail(name: str = "org-trail", **extra: Any) -> Json:
    data: Json = {
        "Name": name, "HomeRegion": HOME, "IsMultiRegionTrail": True, "IsOrganizationTrail": False,
        "TrailARN": f"arn:aws:cloudtrail:{HOME}:{ACCOUNT_ID}:trail/{name}",
        "CloudWatchLogsLogGroupArn": GROUP_ARN,
        "CloudWatchLogsRoleArn": f"arn:aws:iam::{ACCOUNT_ID}:role/cloudtrail-to-cloudwatch",
        "Status": {"IsLogging": True, "LatestCloudWatchLogsDeliveryTime": "2026-11-28T10:00:00+00:00"},
        "EventSelectors": ALL_MANAGEMENT, "AdvancedEventSelectors": [],
    }
    data.update(extra)
    return {k: v for k, v in data.items() if v is not DROP}


DROP: Any = object()


def metric_filter(pattern: str = IAM_REFERENCE, name: str = "iam-policy-changes",
                  metric: str = "IAMPolicyChanges",
                  namespace: str = "CISBenchmark", group: str = GROUP) -> Json:
    return {"filterName": name, "filterPattern": pattern, "logGroupName": group,
            "metricTransformations": [
                {"metricName": metric, "metricNamespace": namespace, "metricValue": "1"}]}


def alarm(metric: str = "IAMPolicyChanges", namespace: str = "CISBenchmark",
          actions: tuple[str, ...] = (TOPIC,), enabled: bool = True,
          name: str = "iam-policy-changes") -> Json:
    return {"AlarmName": name, "AlarmArn": f"arn:aws:cloudwatch:{HOME}:{ACCOUNT_ID}:alarm:{name}",
            "MetricName": metric, "Namespace": namespace, "ActionsEnabled": enabled,
            "AlarmActions": list(actions),
            "Threshold": 1.0, "ComparisonOperator": "GreaterThanOrEqualToThreshold", "Metrics": []}


def subscription(topic: str = TOPIC, confirmed: bool = True) -> Json:
    return {"TopicArn": topic, "Protocol": "email", "Endpoint": "security@acme.example", "Owner": ACCOUNT_ID,
            "SubscriptionArn": f"{topic}:0f4c3b1a-7d2e-4c55" if confirmed else "PendingConfirmation"}


def account(*, trails: list[Json] | None = None, filters: list[Json] | None = None,
            alarms: list[Json] | None = None, topics: tuple[str, ...] = (TOPIC,),
            subscriptions: list[Json] | None = None) -> Json:
    """A one-region account whose chain is complete for IAM policy changes unless told otherwise."""
    subscriptions = [subscription()] if subscriptions is None else subscriptions
    return {"account_id": ACCOUNT_ID, "regions": {HOME: {
        "cloudtrail": {"trails": [trail()] if trails is None else trails},
        "logs": {"metric_filters": [metric_filter()] if filters is None else filters},
        "cloudwatch": {"alarms": [alarm()] if alarms is None else alarms},
        "sns": {"topics": [topic_entry(t, subscriptions) for t in topics], "subscriptions": subscriptions},
    }}}


def default_topic_policy(topic: str) -> str:
    """The policy SNS gives a new topic: the owner account may do everything (AWS:SourceOwner)."""
    return json.dumps({"Version": "2008-10-17", "Id": "__default_policy_ID", "Statement": [{
        "Sid": "__default_statement_ID", "Effect": "Allow", "Principal": {"AWS": "*"},
        "Action": ["SNS:Publish", "SNS:Subscribe", "SNS:GetTopicAttributes"], "Resource": topic,
        "Condition": {"StringEquals": {"AWS:SourceOwner": ACCOUNT_ID}}}]})


def topic_entry(topic: str, subscriptions: list[Json], policy: str | None = None) -> Json:
    """A topic as the collector stores it: GetTopicAttributes' map, consistent with the subscriptions."""
    confirmed = sum(1 for s in subscriptions
                    if s["TopicArn"] == topic and s["SubscriptionArn"].startswith("arn:"))
    return {"TopicArn": topic, "Attributes": {
        "TopicArn": topic, "Policy": policy or default_topic_policy(topic), "Owner": ACCOUNT_ID,
        "SubscriptionsConfirmed": str(confirmed), "SubscriptionsPending": "0"}}


def with_region(doc: Json, region: str, services: Json) -> Json:
    doc = copy.deepcopy(doc)
    doc["regions"][region] = services
    return doc


def denied(doc: Json, service: str, key: str, region: str = HOME, code: str = "AccessDenied") -> Json:
    doc = copy.deepcopy(doc)
    data = doc["regions"][region][service]
    del data[key]
    data["_errors"] = {key: code}
    return doc


def for_control(control: mon.AlarmControl, pattern: str | None = None) -> Json:
    """A complete chain for any control (its reference pattern unless told otherwise)."""
    return account(filters=[metric_filter(control.reference if pattern is None else pattern,
                                          name=control.metric, metric=control.metric)],
                   alarms=[alarm(control.metric, name=control.metric)])


def case(check: Check, status: Status, name: str, doc: Json) -> Case:
    return Case(check, status, name, doc, doc)


WRITE_ONLY = trail(EventSelectors=[{"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True}])
DENY_CLOUDWATCH = json.dumps({"Version": "2012-10-17", "Statement": [
    json.loads(default_topic_policy(TOPIC))["Statement"][0],
    {"Sid": "OnlyOurApps", "Effect": "Deny", "Principal": {"Service": "cloudwatch.amazonaws.com"},
     "Action": "sns:Publish", "Resource": TOPIC}]})


def with_topic(entry: Json, subscriptions: list[Json]) -> Json:
    doc = account()
    doc["regions"][HOME]["sns"] = {"topics": [entry], "subscriptions": subscriptions}
    return doc


MISSING_DETACH = IAM_REFERENCE.replace(" || ($.eventName = DetachGroupPolicy)", "")
assert MISSING_DETACH != IAM_REFERENCE
REFORMATTED = (
    '{ $.eventName = "AttachUserPolicy" || $.eventName = "DetachUserPolicy" '
    '|| $.eventName = "AttachGroupPolicy" || $.eventName = "DetachGroupPolicy" '
    '|| $.eventName = "AttachRolePolicy" || $.eventName = "DetachRolePolicy" '
    "|| (($.eventName = PutUserPolicy) || ($.eventName = PutGroupPolicy) || ($.eventName = PutRolePolicy)) "
    "|| $.eventName = DeleteUserPolicy || $.eventName = DeleteGroupPolicy || $.eventName = DeleteRolePolicy "
    "|| $.eventName = CreatePolicy || $.eventName = DeletePolicy || $.eventName = CreatePolicyVersion "
    "|| $.eventName = DeletePolicyVersion }"
)
WILDCARDS = ('{ ($.eventSource = "iam.amazonaws.com") && (($.eventName = Put*Policy) '
             "|| ($.eventName = Delete*Policy*) || ($.eventName = Attach*Policy) "
             "|| ($.eventName = Detach*Policy) || ($.eventName = CreatePolicy*)) }")
STATUS_DENIED = {**{k: v for k, v in trail().items() if k != "Status"}, "_errors": {"Status": "AccessDenied"}}
OTHER_TOPIC = f"arn:aws:sns:{HOME}:{ACCOUNT_ID}:acme-unused"
ORG_GROUP = "arn:aws:logs:eu-west-1:999988887777:log-group:org-cloudtrail:*"

CASES = [
    # --- the whole chain, for IAM policy changes (MON-4 / CIS 5.4)
    case(IAM, Status.PASS, "reference-pattern", account()),
    case(IAM, Status.PASS, "reordered-unparenthesized-quoted", account(filters=[metric_filter(REFORMATTED)])),
    case(IAM, Status.PASS, "wildcards-scoped-to-iam", account(filters=[metric_filter(WILDCARDS)])),
    case(IAM, Status.PASS, "one-good-filter-among-broken",
         account(filters=[metric_filter("{ $.eventName = ", name="typo"), metric_filter()])),
    case(IAM, Status.PASS, "metric-math-alarm", account(alarms=[{
        **alarm(), "MetricName": None, "Namespace": None,
        "Metrics": [{"Id": "m1", "MetricStat": {"Metric": {"MetricName": "IAMPolicyChanges",
                                                           "Namespace": "CISBenchmark"}}}]}])),
    case(IAM, Status.PASS, "second-topic-has-the-subscriber",
         account(alarms=[alarm(actions=(OTHER_TOPIC, TOPIC))], topics=(OTHER_TOPIC, TOPIC))),
    case(IAM, Status.PASS, "single-region-trail-beside-the-good-one",
         account(trails=[trail("local", IsMultiRegionTrail=False), trail()])),
    case(IAM, Status.PASS, "default-selectors", account(trails=[trail(EventSelectors=None)])),
    case(IAM, Status.PASS, "complete-chain-outweighs-gap-elsewhere",
         with_region(account(), OTHER, {"cloudtrail": {"_errors": {"trails": "AccessDenied"}}})),
    case(IAM, Status.FAIL, "no-trail", account(trails=[])),
    case(IAM, Status.FAIL, "single-region-trail-only", account(trails=[trail(IsMultiRegionTrail=False)])),
    case(IAM, Status.FAIL, "trail-not-logging", account(trails=[trail(Status={"IsLogging": False})])),
    case(IAM, Status.PASS, "trail-write-only-suffices-for-change-events", account(trails=[WRITE_ONLY])),
    case(IAM, Status.FAIL, "trail-read-only", account(trails=[trail(EventSelectors=[
        {"ReadWriteType": "ReadOnly", "IncludeManagementEvents": True}])])),
    case(mon.cloudwatch_alarm_unauthorized_api_calls, Status.FAIL, "trail-write-only-blinds-unauthorized",
         {**(w := for_control(mon.UNAUTHORIZED_API_CALLS)), "regions": {HOME: {
             **w["regions"][HOME], "cloudtrail": {"trails": [WRITE_ONLY]}}}}),
    case(IAM, Status.FAIL, "topic-policy-denies-cloudwatch", account(topics=())
         | {"regions": {HOME: {**account()["regions"][HOME], "sns": {
             "topics": [topic_entry(TOPIC, [subscription()], DENY_CLOUDWATCH)],
             "subscriptions": [subscription()]}}}}),
    case(IAM, Status.PASS, "cross-account-subscriber-counted-by-the-topic", with_topic(
        {**topic_entry(TOPIC, []), "Attributes": {**topic_entry(TOPIC, [])["Attributes"],
                                                    "SubscriptionsConfirmed": "1"}}, [])),
    case(IAM, Status.UNKNOWN, "topic-attributes-denied", with_topic(
        {"TopicArn": TOPIC, "_errors": {"Attributes": "AccessDenied"}}, [subscription()])),
    # No listed subscriber, but the topic's own count (cross-account subscribers) is unreadable.
    case(IAM, Status.UNKNOWN, "no-listed-subscriber-attributes-denied", with_topic(
        {"TopicArn": TOPIC, "_errors": {"Attributes": "AccessDenied"}}, [])),
    case(IAM, Status.FAIL, "trail-not-to-cloudwatch",
         account(trails=[trail(CloudWatchLogsLogGroupArn=DROP)])),
    case(IAM, Status.FAIL, "trail-delivery-error", account(trails=[trail(Status={
        "IsLogging": True, "LatestCloudWatchLogsDeliveryError": "AccessDeniedException"})])),
    case(IAM, Status.FAIL, "no-filter", account(filters=[])),
    case(IAM, Status.FAIL, "filter-on-another-log-group", account(filters=[metric_filter(group="app-logs")])),
    case(IAM, Status.FAIL, "filter-misses-one-event", account(filters=[metric_filter(MISSING_DETACH)])),
    case(IAM, Status.FAIL, "filter-too-broad",
         account(filters=[metric_filter('{ $.eventSource = "iam.amazonaws.com" }')])),
    case(IAM, Status.FAIL, "malformed-pattern",
         account(filters=[metric_filter("{ ($.eventName = CreatePolicy }")])),
    case(IAM, Status.FAIL, "no-alarm", account(alarms=[])),
    case(IAM, Status.FAIL, "alarm-on-other-metric", account(alarms=[alarm(metric="RootAccountUsage")])),
    case(IAM, Status.FAIL, "alarm-in-other-namespace", account(alarms=[alarm(namespace="Acme")])),
    case(IAM, Status.FAIL, "alarm-actions-disabled", account(alarms=[alarm(enabled=False)])),
    case(IAM, Status.FAIL, "alarm-without-actions", account(alarms=[alarm(actions=())])),
    case(IAM, Status.FAIL, "alarm-only-non-sns-action", account(alarms=[alarm(actions=(
        f"arn:aws:ssm:{HOME}:{ACCOUNT_ID}:opsitem:3",))])),
    case(IAM, Status.FAIL, "topic-does-not-exist", account(topics=())),
    case(IAM, Status.FAIL, "topic-without-subscription", account(subscriptions=[])),
    case(IAM, Status.FAIL, "subscription-pending", account(subscriptions=[subscription(confirmed=False)])),
    case(IAM, Status.FAIL, "subscription-to-another-topic", account(topics=(TOPIC, OTHER_TOPIC),
                                                                    subscriptions=[subscription(OTHER_TOPIC)])),
    case(IAM, Status.UNKNOWN, "no-region-scanned", {"account_id": ACCOUNT_ID, "regions": {}}),
    case(IAM, Status.UNKNOWN, "trails-denied", denied(account(trails=[]), "cloudtrail", "trails")),
    case(IAM, Status.UNKNOWN, "trails-denied-in-other-region",
         with_region(account(trails=[]), OTHER, {"cloudtrail": {"_errors": {"trails": "AccessDenied"}}})),
    case(IAM, Status.UNKNOWN, "cloudtrail-not-collected-in-other-region",
         with_region(account(alarms=[]), OTHER, {})),
    case(IAM, Status.UNKNOWN, "trail-status-denied",
         account(trails=[STATUS_DENIED])),
    case(IAM, Status.UNKNOWN, "metric-filters-denied", denied(account(), "logs", "metric_filters")),
    case(IAM, Status.UNKNOWN, "alarms-denied", denied(account(), "cloudwatch", "alarms")),
    case(IAM, Status.UNKNOWN, "topics-denied", denied(account(), "sns", "topics")),
    case(IAM, Status.UNKNOWN, "subscriptions-throttled", denied(account(), "sns", "subscriptions",
                                                               code="Throttling")),
    case(IAM, Status.UNKNOWN, "log-group-region-not-scanned", account(trails=[trail(
        CloudWatchLogsLogGroupArn=GROUP_ARN.replace(HOME, "ap-southeast-2"))])),
    case(IAM, Status.UNKNOWN, "organization-trail-to-management-account",
         account(trails=[trail(IsOrganizationTrail=True, CloudWatchLogsLogGroupArn=ORG_GROUP)])),
    # --- LOG-4
    Case(cloudtrail_trail_cloudwatch_logs_delivery, Status.PASS, "delivering", trail()),
    Case(cloudtrail_trail_cloudwatch_logs_delivery, Status.PASS, "never-delivered-yet-no-error",
         trail(Status={"IsLogging": True})),
    Case(cloudtrail_trail_cloudwatch_logs_delivery, Status.FAIL, "no-log-group",
         trail(CloudWatchLogsLogGroupArn=DROP)),
    Case(cloudtrail_trail_cloudwatch_logs_delivery, Status.FAIL, "delivery-error", trail(Status={
        "IsLogging": True, "LatestCloudWatchLogsDeliveryError": "CloudWatchLogsRoleAssumptionFailure"})),
    Case(cloudtrail_trail_cloudwatch_logs_delivery, Status.UNKNOWN, "status-denied", STATUS_DENIED),
]
# Every control: its CIS reference pattern passes, a filter catching nothing fails, denied alarms: UNKNOWN.
for _control in CONTROLS:
    _check = CHECKS[_control.metric]
    CASES += [
        case(_check, Status.PASS, "cis-reference", for_control(_control)),
        case(_check, Status.FAIL, "filter-catches-nothing",
             for_control(_control, '{ $.eventName = "Nothing" }')),
        case(_check, Status.UNKNOWN, "alarms-denied", denied(for_control(_control), "cloudwatch", "alarms")),
    ]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_case(case: Case) -> None:
    assert case.run() is case.expected


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_decisions_carry_evidence(case: Case) -> None:
    outcome = case.check.evaluate(case.resource, case.account)
    if outcome.status is not Status.UNKNOWN:
        assert outcome.evidence


def message(doc: Json, check: Check = IAM) -> str:
    return check.evaluate(doc, doc).message


@pytest.mark.parametrize(("doc", "expected"), [
    (account(trails=[]),
     "No multi-region trail that logs write management events delivers to CloudWatch Logs"),
    (account(filters=[]), f"Log group {GROUP} (trail org-trail) has no metric filter"),
    (account(filters=[metric_filter(MISSING_DETACH)]),
     "No metric filter on log group acme-cloudtrail catches IAM policy changes: the closest, "
     "iam-policy-changes, does not catch DetachGroupPolicy"),
    (account(filters=[metric_filter('{ $.eventName = "ConsoleLogin" }')]),
     "No metric filter on log group acme-cloudtrail catches IAM policy changes: none of its 1 metric "
     "filter(s) matches any of DeleteGroupPolicy, DeleteRolePolicy, DeleteUserPolicy, PutGroupPolicy, "
     "PutRolePolicy and 11 more"),
    (account(filters=[metric_filter('{ $.eventSource = "iam.amazonaws.com" }')]),
     "also matches normal activity (a iam:ListPolicies call)"),
    (account(filters=[metric_filter("{ ($.eventName = CreatePolicy }")]),
     "has a pattern that could not be parsed (expected ')' or an operator, found '}' at position 30), "
     "so it matches nothing"),
    (account(alarms=[]), "no CloudWatch alarm in eu-west-1 watches its metric CISBenchmark/IAMPolicyChanges"),
    (account(alarms=[alarm(enabled=False)]),
     "Alarm iam-policy-changes on CISBenchmark/IAMPolicyChanges has its actions disabled"),
    (account(alarms=[alarm(actions=())]), "has no action that notifies an SNS topic"),
    (account(topics=()), f"notifies SNS topic {TOPIC}, which does not exist"),
    (account(subscriptions=[]),
     "SNS topic acme-security-alerts, notified by alarm iam-policy-changes, has no confirmed subscription"),
    (account(subscriptions=[subscription(confirmed=False)]),
     "has no confirmed subscription (1 pending confirmation)"),
])
def test_fail_names_the_missing_link(doc: Json, expected: str) -> None:
    outcome = IAM.evaluate(doc, doc)
    assert outcome.status is Status.FAIL
    assert expected in outcome.message


def test_the_furthest_link_is_reported() -> None:
    """A chain that reaches the topic beats one that stops at the filter."""
    doc = account(filters=[metric_filter(MISSING_DETACH, name="old"), metric_filter()], subscriptions=[])
    assert "has no confirmed subscription" in message(doc)


def test_pass_evidence_shows_the_whole_chain() -> None:
    outcome = IAM.evaluate(account(), account())
    assert outcome.message == (
        "Metric filter iam-policy-changes on log group acme-cloudtrail catches IAM policy changes "
        "(write management events, which trail org-trail records); "
        "alarm iam-policy-changes notifies SNS topic acme-security-alerts (1 confirmed subscription(s))")
    assert outcome.evidence["event_class"]["needs"] == ["write"]
    evidence = outcome.evidence
    assert evidence["trails"] == ["org-trail"]
    assert evidence["log_group"] == GROUP_ARN
    assert evidence["metric_filter"]["filterPattern"] == IAM_REFERENCE
    assert evidence["alarm"]["AlarmName"] == "iam-policy-changes"
    assert evidence["topic"] == TOPIC
    assert evidence["subscriptions"][0]["Protocol"] == "email"


def test_fail_evidence_lists_trails_and_filters() -> None:
    doc = account(trails=[trail(Status={"IsLogging": False}), trail("local", IsMultiRegionTrail=False)])
    trails = IAM.evaluate(doc, doc).evidence["trails"]
    problems = {t["Name"]: t["problem"] for t in trails}
    assert problems == {"org-trail": "not logging", "local": "single-region trail"}
    doc = account(filters=[metric_filter(MISSING_DETACH)])
    [shown] = IAM.evaluate(doc, doc).evidence["metric_filters"]
    assert shown["problem"] == "does not catch DetachGroupPolicy"


def test_unknown_names_the_gap() -> None:
    assert message(denied(account(), "logs", "metric_filters")) == (
        "logs.metric_filters not collected: eu-west-1: logs.metric_filters: AccessDenied")
    assert "is in account 999988887777: evaluate that account's snapshot" in message(
        account(trails=[trail(CloudWatchLogsLogGroupArn=ORG_GROUP)]))
    assert "ap-southeast-2: logs.metric_filters: region was not scanned" in message(account(trails=[trail(
        CloudWatchLogsLogGroupArn=GROUP_ARN.replace(HOME, "ap-southeast-2"))]))


def test_topic_in_another_region_is_followed() -> None:
    topic = TOPIC.replace(HOME, OTHER)
    doc = with_region(account(alarms=[alarm(actions=(topic,))], topics=()), OTHER, {
        "sns": {"topics": [topic_entry(topic, [subscription(topic)])],
                "subscriptions": [subscription(topic)]}})
    assert IAM.evaluate(doc, doc).status is Status.PASS


def test_unauthorized_calls_need_read_events_and_say_so() -> None:
    doc = for_control(mon.UNAUTHORIZED_API_CALLS)
    doc["regions"][HOME]["cloudtrail"]["trails"] = [WRITE_ONLY]
    outcome = mon.cloudwatch_alarm_unauthorized_api_calls.evaluate(doc, doc)
    assert "read and write management events" in outcome.message
    [seen] = outcome.evidence["trails"]
    assert "the read events the alarm is about never reach it" in seen["problem"]
    assert outcome.evidence["event_class"]["events"]["read"] == ["GetSecretValue", "ListUsers"]


@pytest.mark.parametrize("control", CONTROLS, ids=lambda c: c.metric)
def test_each_alarm_event_class_follows_cloudtrail(control: mon.AlarmControl) -> None:
    """Change and sign-in alarms catch write events; unauthorized calls and root activity reads too."""
    both = {"UnauthorizedAPICalls", "RootAccountUsage"}
    assert control.event_classes == ({"read", "write"} if control.metric in both else {"write"})


def test_a_trail_excluding_kms_events_blinds_only_the_key_deletion_alarm() -> None:
    no_kms = trail(EventSelectors=[{"ReadWriteType": "All", "IncludeManagementEvents": True,
                                    "ExcludeManagementEventSources": ["kms.amazonaws.com"]}])
    doc = for_control(mon.CMK_DISABLE_OR_DELETION)
    doc["regions"][HOME]["cloudtrail"]["trails"] = [no_kms]
    outcome = mon.cloudwatch_alarm_cmk_disable_or_deletion.evaluate(doc, doc)
    assert outcome.status is Status.FAIL
    assert "excludes kms.amazonaws.com management events" in outcome.evidence["trails"][0]["problem"]
    assert IAM.evaluate(account(trails=[no_kms]), account(trails=[no_kms])).status is Status.PASS
    advanced = trail(EventSelectors=[], AdvancedEventSelectors=[{"FieldSelectors": [
        {"Field": "eventCategory", "Equals": ["Management"]},
        {"Field": "eventSource", "NotEquals": ["kms.amazonaws.com"]}]}])
    doc["regions"][HOME]["cloudtrail"]["trails"] = [advanced]
    assert mon.cloudwatch_alarm_cmk_disable_or_deletion.evaluate(doc, doc).status is Status.FAIL


def test_a_topic_policy_denying_cloudwatch_is_named() -> None:
    doc = with_topic(topic_entry(TOPIC, [subscription()], DENY_CLOUDWATCH), [subscription()])
    outcome = IAM.evaluate(doc, doc)
    assert "denies CloudWatch sns:Publish" in outcome.message and "OnlyOurApps" in outcome.message


def test_log4_messages() -> None:
    unset = cloudtrail_trail_cloudwatch_logs_delivery.evaluate(trail(CloudWatchLogsLogGroupArn=DROP))
    assert unset.message == "Trail org-trail: no CloudWatch Logs log group is configured"
    failing = cloudtrail_trail_cloudwatch_logs_delivery.evaluate(trail(Status={
        "IsLogging": True, "LatestCloudWatchLogsDeliveryError": "CloudWatchLogsRoleAssumptionFailure"}))
    assert failing.message == ("Trail org-trail: delivery to CloudWatch Logs fails "
                               "(CloudWatchLogsRoleAssumptionFailure)")
    assert failing.evidence["CloudWatchLogsLogGroupArn"] == GROUP_ARN


def test_every_control_has_a_check_and_remediation_with_its_pattern() -> None:
    assert len(CHECKS) == 15
    for control in CONTROLS:
        remedy = CHECKS[control.metric].remediation
        assert control.reference in remedy.cli
        assert "put-metric-alarm" in remedy.cli and remedy.console and remedy.terraform

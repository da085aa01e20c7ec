"""The alarm chain behind CIS 5.1-5.15 and MON-1..6, followed link by link through the snapshot.

An alert on (say) IAM policy changes works only if every link holds: a multi-region trail logging
the management events the alarm is about (see below) delivers to a CloudWatch Logs log group; a
metric filter on that group really matches the events (decided by evaluating its parsed pattern on
sample events, see checks/monitoring/filter_pattern.py); a CloudWatch alarm in the group's region
watches the filter's metric and has an enabled action to an SNS topic; the topic has a confirmed
subscriber and lets CloudWatch publish. The first complete
chain passes. Otherwise the failure names the link that is missing on the chain that got
furthest, and any data we could not read on the way makes the result UNKNOWN instead.

Which trail qualifies is judged by whether the alarm's events reach the filter. CloudTrail classes
every management event as read (readOnly: Describe*, Get*, List* ...) or write, and a trail may
record only one class. The events an alarm must catch decide what it needs: the change alarms
(IAM, bucket policy, security group, NACL, gateway, route table, VPC, CloudTrail, Config, KMS key
deletion, Organizations) and sign-in alarms catch write events only, so a multi-region trail
recording write management events suffices; unauthorized calls (AccessDenied on Describe/List/Get
is reconnaissance) and root activity also catch read events, so a write-only trail leaves them blind.

The SNS topic must deliver: a confirmed subscription (ListSubscriptions, or the topic's own
SubscriptionsConfirmed count, which includes other accounts' subscribers) and no topic-policy
statement denying CloudWatch sns:Publish.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from awsaudit.checks._registry import Missing, need
from awsaudit.checks._view import AccountView
from awsaudit.checks.logging.cloudtrail import READ, WRITE, _management_events, delivery_problem
from awsaudit.checks.monitoring.filter_pattern import Pattern, PatternError, parse
from awsaudit.iam.conditions import Context
from awsaudit.iam.evaluate import Caller, PolicySet, Request, evaluate
from awsaudit.iam.policy import PolicyError, parse_policy
from awsaudit.model import Json, Outcome, Remediation, fail, ok

NAMESPACE = "CISBenchmark"
"""Namespace suggested in remediation (any namespace passes, as long as the alarm watches it)."""

READ_PREFIXES = ("Describe", "Get", "List", "Head", "Lookup", "BatchGet", "Search")
"""Event names CloudTrail records as read events (readOnly: true)."""
READ_ONLY_EVENTS: dict[str, bool] = {
    "ConsoleLogin": False,  # sign-in events are write events (readOnly: false), success or failure
    "Decrypt": True, "GenerateDataKey": True,  # KMS reads whose names carry no read verb
}
"""CloudTrail's read/write class of the event names whose class the prefix rule gets wrong."""
CLOUDWATCH = "cloudwatch.amazonaws.com"


def read_only(event_name: str) -> bool:
    """CloudTrail's readOnly flag for an event name (Describe*/Get*/List* ... are read events)."""
    if event_name in READ_ONLY_EVENTS:
        return READ_ONLY_EVENTS[event_name]
    return event_name.startswith(READ_PREFIXES)


@dataclass(frozen=True, slots=True)
class Sample:
    """A CloudTrail event the filter must (or must not) match, and how a finding names it."""

    label: str
    event: Json


@dataclass(frozen=True, slots=True)
class AlarmControl:
    """What one alarm control must catch, as data: sample events instead of a reference string."""

    topic: str  # e.g. "IAM policy changes"
    metric: str  # metric and alarm name suggested in remediation
    reference: str  # the CIS reference filter pattern (remediation text; tests prove it passes)
    catch: tuple[Sample, ...]  # each must match
    ignore: tuple[Sample, ...]  # normal activity: none may match, else the alarm cannot single out the topic

    @property
    def event_classes(self) -> frozenset[str]:
        """The management-event classes (read, write) of the events the alarm must catch: what a
        trail must record for them to reach the filter."""
        return frozenset(READ if s.event.get("readOnly") else WRITE for s in self.catch)

    def event_class_evidence(self) -> Json:
        """The event class, said in every finding: which class each caught event has."""
        by_class: dict[str, list[str]] = {}
        for sample in self.catch:
            by_class.setdefault(READ if sample.event.get("readOnly") else WRITE, []).append(
                str(sample.event.get("eventName")))
        return {"needs": sorted(self.event_classes),
                "events": {k: sorted(set(v)) for k, v in sorted(by_class.items())}}


@dataclass(frozen=True, slots=True)
class Coverage:
    """What a filter pattern does with a control's samples."""

    error: str | None = None
    missed: tuple[str, ...] = ()
    overbroad: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        return self.error is None and not self.missed and not self.overbroad

    @property
    def closeness(self) -> tuple[bool, int]:
        return self.error is None, -len(self.missed) - len(self.overbroad)

    def explain(self) -> str:
        if self.error is not None:
            return f"has a pattern that could not be parsed ({self.error}), so it matches nothing"
        problems = []
        if self.missed:
            problems.append(f"does not catch {listing(self.missed)}")
        if self.overbroad:
            problems.append(f"also matches normal activity ({listing(self.overbroad)})")
        return " and ".join(problems)


def listing(labels: tuple[str, ...], shown: int = 5) -> str:
    """A readable list for a finding: the first few labels, then how many more."""
    if len(labels) <= shown:
        return ", ".join(labels)
    return f"{', '.join(labels[:shown])} and {len(labels) - shown} more"


@lru_cache(maxsize=4096)
def _parsed(pattern: str) -> Pattern | str:
    """The parsed pattern, or the parse error; cached since every control reads the same filters."""
    try:
        return parse(pattern)
    except PatternError as exc:
        return str(exc)


def coverage(pattern: str, control: AlarmControl) -> Coverage:
    parsed = _parsed(pattern)
    if isinstance(parsed, str):
        return Coverage(error=parsed)
    return Coverage(
        missed=tuple(s.label for s in control.catch if not parsed.matches(s.event)),
        overbroad=tuple(s.label for s in control.ignore if parsed.matches(s.event)),
    )


def remediation(control: AlarmControl) -> Remediation:
    hcl_pattern = control.reference.replace("\\", "\\\\").replace('"', '\\"')
    resource = control.metric.lower()
    return Remediation(
        console=(
            "Open CloudWatch > Log groups and choose the log group your multi-region trail delivers to "
            "(CloudTrail > Trails > the trail > CloudWatch Logs; configure it there first if it is empty).",
            f"Metric filters > Create metric filter: pattern {control.reference}; metric namespace "
            f"{NAMESPACE}, metric name {control.metric}, metric value 1.",
            "Create an alarm on that metric in the same region: statistic Sum, period 5 minutes, "
            "threshold greater than or equal to 1.",
            "As the alarm action, notify an SNS topic; subscribe the security team and confirm the "
            "subscription (a pending subscription receives nothing).",
        ),
        cli=(
            f"aws logs put-metric-filter --log-group-name {{log_group}} --filter-name {control.metric} "
            f"--metric-transformations metricName={control.metric},metricNamespace={NAMESPACE},metricValue=1 "
            f"--filter-pattern '{control.reference}' && "
            f"aws cloudwatch put-metric-alarm --alarm-name {control.metric} --metric-name {control.metric} "
            f"--namespace {NAMESPACE} --statistic Sum --period 300 --evaluation-periods 1 --threshold 1 "
            "--comparison-operator GreaterThanOrEqualToThreshold --alarm-actions {topic_arn}"
        ),
        terraform=(
            f'resource "aws_cloudwatch_log_metric_filter" "{resource}" {{\n'
            f'  name           = "{control.metric}"\n'
            "  log_group_name = aws_cloudwatch_log_group.cloudtrail.name\n"
            f'  pattern        = "{hcl_pattern}"\n'
            "  metric_transformation {\n"
            f'    name      = "{control.metric}"\n'
            f'    namespace = "{NAMESPACE}"\n'
            '    value     = "1"\n'
            "  }\n"
            "}\n\n"
            f'resource "aws_cloudwatch_metric_alarm" "{resource}" {{\n'
            f'  alarm_name          = "{control.metric}"\n'
            f"  metric_name         = aws_cloudwatch_log_metric_filter.{resource}"
            ".metric_transformation[0].name\n"
            f'  namespace           = "{NAMESPACE}"\n'
            '  statistic           = "Sum"\n'
            "  period              = 300\n"
            "  evaluation_periods  = 1\n"
            "  threshold           = 1\n"
            '  comparison_operator = "GreaterThanOrEqualToThreshold"\n'
            "  alarm_actions       = [aws_sns_topic.security_alerts.arn]\n"
            "}"
        ),
    )


def alarm_chain(view: AccountView, control: AlarmControl) -> Outcome:
    """PASS on the first complete chain; else FAIL at the furthest link, or UNKNOWN on a data gap."""
    chain = _Chain(view, control)
    for group_arn, trails in chain.log_groups().items():
        outcome = chain.from_log_group(group_arn, trails)
        if outcome is not None:
            return outcome
    if chain.gaps:
        keys = sorted({key for key, _ in chain.gaps})
        raise Missing(", ".join(keys), "; ".join(dict.fromkeys(reason for _, reason in chain.gaps)))
    return fail(chain.best_message, evidence=chain.best_evidence)


def _arn_part(arn: str, index: int) -> str:
    parts = arn.split(":", 6)
    return parts[index] if len(parts) > index else ""


def _group_name(arn: str) -> str:
    """arn:aws:logs:REGION:ACCOUNT:log-group:NAME (CloudTrail adds ":*") -> NAME."""
    return _arn_part(arn, 6).removesuffix(":*")


def _confirmed(subscription: Json) -> bool:
    """ListSubscriptions shows "PendingConfirmation" (or "Deleted") instead of an ARN until confirmed."""
    return str(subscription.get("SubscriptionArn", "")).startswith("arn:")


def _watches(alarm: Json, metric: Json) -> bool:
    """Does the alarm watch this metric, directly or as a term of metric math?"""
    wanted = (metric.get("metricName"), metric.get("metricNamespace"))
    if (alarm.get("MetricName"), alarm.get("Namespace")) == wanted:
        return True
    for query in alarm.get("Metrics") or []:
        watched = (query.get("MetricStat") or {}).get("Metric") or {}
        if (watched.get("MetricName"), watched.get("Namespace")) == wanted:
            return True
    return False


def _alarm_summary(alarm: Json) -> Json:
    keys = ("AlarmName", "AlarmArn", "MetricName", "Namespace", "ActionsEnabled", "AlarmActions", "Threshold",
            "ComparisonOperator")
    return {k: alarm.get(k) for k in keys}


def _filter_summary(metric_filter: Json) -> Json:
    return {k: metric_filter.get(k) for k in ("filterName", "filterPattern", "metricTransformations")}


def _excluded_sources(trail: Json) -> set[str]:
    """Event sources every management-event selector of the trail leaves out (basic
    ExcludeManagementEventSources, advanced eventSource NotEquals): their events never arrive."""
    excluded: set[str] | None = None
    for selector in trail.get("EventSelectors") or []:
        if selector.get("IncludeManagementEvents", True):
            dropped = set(selector.get("ExcludeManagementEventSources") or [])
            excluded = dropped if excluded is None else excluded & dropped
    for selector in trail.get("AdvancedEventSelectors") or []:
        fields = {f.get("Field"): f for f in selector.get("FieldSelectors", [])}
        if "Management" in (fields.get("eventCategory") or {}).get("Equals", []):
            dropped = set((fields.get("eventSource") or {}).get("NotEquals") or [])
            excluded = dropped if excluded is None else excluded & dropped
    return excluded or set()


def _count(value: Any) -> int:
    """SubscriptionsConfirmed is a number in text ("2"); anything else counts as none."""
    try:
        return max(0, int(str(value)))
    except ValueError:
        return 0


def _denies_cloudwatch(document: Any, topic: str, alarm: str, evidence: Json) -> str | None:
    """The statement of the topic policy that denies CloudWatch publishing the alarm, or None.

    Evaluated by the policy engine as CloudWatch's request (service principal, sns:Publish on the
    topic, the alarm's account and ARN as source); an unreadable policy cannot be shown to deny.
    """
    if not document:
        return None
    try:
        policy = parse_policy(document, f"topic {_arn_part(topic, 5)} policy", "resource")
    except PolicyError:
        return None
    account = _arn_part(topic, 4)
    alarm_arn = str((evidence.get("alarm") or {}).get("AlarmArn") or
                    f"arn:aws:cloudwatch:{_arn_part(topic, 3)}:{account}:alarm:{alarm}")
    context = Context.of({"aws:SourceAccount": account, "aws:SourceArn": alarm_arn}, open=True)
    request = Request("sns:Publish", topic, context, Caller(CLOUDWATCH, account, "service"))
    decision = evaluate(request, PolicySet(resource=policy, resource_account=account))
    if not decision.allowed and decision.reason.startswith("explicit deny"):
        return ", ".join(str(m) for m in decision.matches)
    return None


@dataclass
class _Chain:
    view: AccountView
    control: AlarmControl
    gaps: list[tuple[str, str]] = field(default_factory=list)
    best_stage: int = -1
    best_message: str = ""
    best_evidence: Json = field(default_factory=dict)

    def fell_short(self, stage: int, message: str, evidence: Json) -> None:
        """Remember the failing chain that got furthest: its missing link is the finding."""
        if stage > self.best_stage:
            self.best_stage, self.best_message, self.best_evidence = stage, message, evidence

    def collection(self, region: str, service: str, key: str) -> list[Json] | None:
        """A region's collection, or None after recording why it is missing."""
        loc = self.view.locate(f"{service}.{key}", region)
        if not loc.found:
            self.gaps.append((f"{service}.{key}", f"{region}: {service}.{key}: {loc.gap}"))
            return None
        items: list[Json] = loc.data
        return items

    def foreign(self, arn: str, what: str, key: str) -> bool:
        """True (and a gap) when the resource is in another account, whose data is not ours to read."""
        own = self.view.id
        other = _arn_part(arn, 4)
        if own and other and other != own:
            self.gaps.append((key, f"{what} {arn} is in account {other}: evaluate that account's snapshot"))
            return True
        return False

    def log_groups(self) -> dict[str, list[str]]:
        """{log group ARN: [trail names]} for every qualifying trail (multi-region, logging, all
        management events, delivering to CloudWatch Logs)."""
        if not self.view.regions:
            self.gaps.append(("cloudtrail.trails", "no region was scanned"))
        groups: dict[str, list[str]] = {}
        seen: list[Json] = []
        for region in self.view.regions:
            for trail in self.collection(region, "cloudtrail", "trails") or []:
                name = str(trail.get("Name"))
                problem = self._disqualified(region, trail)
                seen.append({"Name": name, "HomeRegion": trail.get("HomeRegion", region),
                             "CloudWatchLogsLogGroupArn": trail.get("CloudWatchLogsLogGroupArn"),
                             "problem": problem or "qualifies"})
                if problem is None:
                    groups.setdefault(str(trail["CloudWatchLogsLogGroupArn"]), []).append(name)
        if not groups:
            self.fell_short(0, f"No multi-region trail that logs {self.wanted()} delivers to "
                               "CloudWatch Logs, so no metric filter can see the events",
                            {"trails": seen, "event_class": self.control.event_class_evidence()})
        return groups

    def wanted(self) -> str:
        """The management events the alarm needs, in words."""
        if self.control.event_classes == frozenset({READ, WRITE}):
            return "read and write management events"
        return f"{'/'.join(sorted(self.control.event_classes))} management events"

    def _disqualified(self, region: str, trail: Json) -> str | None:
        if not trail.get("IsMultiRegionTrail"):
            return "single-region trail"
        try:
            if not need(trail, "Status").get("IsLogging"):
                return "not logging"
            covered, _ = _management_events(trail)
            sources = {str(s.event.get("eventSource")) for s in self.control.catch}
            if dropped := sorted(sources & _excluded_sources(trail)):
                return (f"excludes {', '.join(dropped)} management events: the events the alarm is about "
                        "never reach it")
            if missing := self.control.event_classes - covered:
                recorded = f"{'/'.join(sorted(covered))} management events only" if covered else "no " \
                    "management events"
                return (f"records {recorded}: the {'/'.join(sorted(missing))} events the alarm is about "
                        "never reach it")
            return delivery_problem(trail)
        except Missing as missing:
            self.gaps.append(("cloudtrail.trails", f"{region}: trail {trail.get('Name')}: {missing}"))
            return str(missing)

    def from_log_group(self, group_arn: str, trails: list[str]) -> Outcome | None:
        region, name = _arn_part(group_arn, 3), _group_name(group_arn)
        evidence: Json = {"trails": trails, "log_group": group_arn,
                          "event_class": self.control.event_class_evidence()}
        if self.foreign(group_arn, "log group", "logs.metric_filters"):
            return None
        filters = self.collection(region, "logs", "metric_filters")
        if filters is None:
            return None
        on_group = [f for f in filters if f.get("logGroupName") == name]
        covering: list[Json] = []
        near: list[tuple[Json, Coverage]] = []
        for metric_filter in on_group:
            found = coverage(str(metric_filter.get("filterPattern") or ""), self.control)
            if found.complete:
                covering.append(metric_filter)
            else:
                near.append((metric_filter, found))
        if not on_group:
            self.fell_short(1, f"Log group {name} (trail {', '.join(trails)}) has no metric filter, so "
                               f"nothing catches {self.control.topic}", {**evidence, "metric_filters": []})
        elif not covering:
            closest, why = max(near, key=lambda pair: pair[1].closeness)
            if why.error is None and len(why.missed) == len(self.control.catch):
                detail = (f"none of its {len(near)} metric filter(s) matches any of "
                          f"{listing(tuple(s.label for s in self.control.catch))}")
            else:
                detail = f"the closest, {closest.get('filterName')}, {why.explain()}"
            self.fell_short(
                1, f"No metric filter on log group {name} catches {self.control.topic}: {detail}",
                {**evidence,
                 "metric_filters": [{**_filter_summary(f), "problem": c.explain()} for f, c in near]},
            )
        for metric_filter in covering:
            chained = {**evidence, "metric_filter": _filter_summary(metric_filter)}
            outcome = self.from_filter(region, metric_filter, chained)
            if outcome is not None:
                return outcome
        return None

    def from_filter(self, region: str, metric_filter: Json, evidence: Json) -> Outcome | None:
        for metric in metric_filter.get("metricTransformations") or []:
            alarms = self.collection(region, "cloudwatch", "alarms")
            if alarms is None:
                return None
            label = f"{metric.get('metricNamespace')}/{metric.get('metricName')}"
            watching = [a for a in alarms if _watches(a, metric)]
            if not watching:
                self.fell_short(2, f"Metric filter {metric_filter.get('filterName')} catches "
                                   f"{self.control.topic}, but no CloudWatch alarm in {region} watches its "
                                   f"metric {label}", evidence)
            for alarm in watching:
                outcome = self.from_alarm(alarm, label, {**evidence, "alarm": _alarm_summary(alarm)})
                if outcome is not None:
                    return outcome
        return None

    def from_alarm(self, alarm: Json, label: str, evidence: Json) -> Outcome | None:
        name = alarm.get("AlarmName")
        topics = [a for a in alarm.get("AlarmActions") or [] if _arn_part(str(a), 2) == "sns"]
        if alarm.get("ActionsEnabled") is not True:
            self.fell_short(3, f"Alarm {name} on {label} has its actions disabled", evidence)
            return None
        if not topics:
            self.fell_short(3, f"Alarm {name} on {label} has no action that notifies an SNS topic", evidence)
            return None
        for topic in topics:
            outcome = self.from_topic(str(topic), str(name), {**evidence, "topic": topic})
            if outcome is not None:
                return outcome
        return None

    def from_topic(self, topic: str, alarm: str, evidence: Json) -> Outcome | None:
        if self.foreign(topic, "SNS topic", "sns.subscriptions"):
            return None
        region = _arn_part(topic, 3)
        topics = self.collection(region, "sns", "topics")
        subscriptions = self.collection(region, "sns", "subscriptions")
        if topics is None or subscriptions is None:
            return None
        if topic not in {t.get("TopicArn") for t in topics}:
            self.fell_short(4, f"Alarm {alarm} notifies SNS topic {topic}, which does not exist", evidence)
            return None
        subscribed = [s for s in subscriptions if s.get("TopicArn") == topic]
        confirmed = [s for s in subscribed if _confirmed(s)]
        shown: list[Any] = [{k: s.get(k) for k in ("Protocol", "Endpoint", "SubscriptionArn")}
                            for s in subscribed]
        entry = next(t for t in topics if t.get("TopicArn") == topic)
        name = _arn_part(topic, 5)
        try:
            attributes: Json = need(entry, "Attributes")
        except Missing as missing:
            attributes = {}
            self.gaps.append(("sns.topics", f"topic {topic} attributes: {missing.reason}"))
        counted = _count(attributes.get("SubscriptionsConfirmed"))
        if not confirmed and not counted:
            pending = f" ({len(subscribed)} pending confirmation)" if subscribed else ""
            self.fell_short(4, f"SNS topic {name}, notified by alarm {alarm}, has no "
                               f"confirmed subscription{pending}", {**evidence, "subscriptions": shown,
                                                                    "SubscriptionsConfirmed": counted})
            return None
        if not attributes:
            return None  # the topic policy could not be read: a deny of CloudWatch is not ruled out
        denial = _denies_cloudwatch(attributes.get("Policy"), topic, alarm, evidence)
        if denial:
            self.fell_short(4, f"SNS topic {name}, notified by alarm {alarm}, has a policy that denies "
                               f"CloudWatch sns:Publish ({denial}): the alarm notifies nobody",
                            {**evidence, "topic_policy": attributes.get("Policy")})
            return None
        subscribers = max(len(confirmed), counted)
        return ok(
            f"Metric filter {evidence['metric_filter']['filterName']} on log group "
            f"{_group_name(evidence['log_group'])} catches {self.control.topic} "
            f"({self.wanted()}, which trail {', '.join(evidence['trails'])} records); alarm {alarm} "
            f"notifies SNS topic {name} ({subscribers} confirmed subscription(s))",
            evidence={**evidence, "subscriptions": shown, "SubscriptionsConfirmed": counted},
        )

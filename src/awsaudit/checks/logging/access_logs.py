"""Access-log checks outside CloudTrail: VPC flow logs (LOG-6, CIS 4.7) and the access logs of
web front-ends (CIS 4.10)."""

from __future__ import annotations

from awsaudit.checks._registry import ACCOUNT, Missing, check
from awsaudit.checks._view import AccountView
from awsaudit.checks.network.vpc import regional
from awsaudit.model import Json, Objective, Outcome, Remediation, Severity, fail, manual, ok

# --- LOG-6 / CIS 4.7: VPC flow logs ---------------------------------------------------------------

def _interface_count(vpc: Json, account: Json) -> int | None:
    """Network interfaces in the VPC (None when unknown): context for the message, never the verdict."""
    try:
        interfaces = regional(vpc, account, "ec2", "network_interfaces")
    except Missing:
        return None
    return sum(1 for i in interfaces if i.get("VpcId") == vpc.get("VpcId"))


@check(
    "vpc_flow_logs_enabled",
    title="VPC flow logs are enabled for the VPC",
    severity=Severity.MEDIUM,
    objective=Objective.INTEGRITY,
    over="ec2.vpcs",
    remediation=Remediation(
        console=(
            "VPC console > Your VPCs > select {VpcId} > Flow logs > Create flow log",
            "Filter: All (at least Reject); destination: a CloudWatch Logs group (with an IAM role that "
            "vpc-flow-logs.amazonaws.com can assume) or an S3 bucket",
            "Create; check after a few minutes that the flow log's status is Active and delivery succeeds",
        ),
        cli="aws ec2 create-flow-logs --resource-type VPC --resource-ids {VpcId} --traffic-type ALL "
            "--log-destination-type s3 --log-destination arn:aws:s3:::FLOW_LOG_BUCKET/",
        terraform='resource "aws_flow_log" "vpc" {\n'
                  "  vpc_id               = aws_vpc.main.id\n"
                  '  traffic_type         = "ALL"\n'
                  '  log_destination_type = "s3"\n'
                  "  log_destination      = aws_s3_bucket.flow_logs.arn\n"
                  "}",
    ),
)
def vpc_flow_logs_enabled(vpc: Json, account: Json) -> Outcome:
    """Flow logs are the only record of which addresses talked to which, on which ports: without
    them an intrusion, a port scan or data leaving through an unexpected path cannot be traced or
    scoped afterwards (LOG-6, CIS 4.7).

    A flow log on the VPC itself counts (subnet or interface flow logs cover only part of it);
    it must be active and not failing delivery. Any traffic type (ALL, REJECT, ACCEPT) passes and
    is shown. Every VPC is judged, also an unused one: the message says whether it holds network
    interfaces (deleting an unused default VPC is also a fix).
    """
    vpc_id = vpc.get("VpcId")
    logs = [f for f in regional(vpc, account, "ec2", "flow_logs") if f.get("ResourceId") == vpc_id]
    evidence = {"VpcId": vpc_id, "IsDefault": vpc.get("IsDefault"), "FlowLogs": [
        {key: f.get(key) for key in ("FlowLogId", "FlowLogStatus", "TrafficType", "LogDestinationType",
                                     "LogDestination", "LogGroupName", "DeliverLogsStatus")} for f in logs]}
    active = [f for f in logs if f.get("FlowLogStatus", "ACTIVE") == "ACTIVE"]
    delivering = [f for f in active if f.get("DeliverLogsStatus") != "FAILED"]
    if delivering:
        first = delivering[0]
        return ok(f"Flow log {first.get('FlowLogId')} records {first.get('TrafficType')} traffic",
                  evidence=evidence)
    if active:
        return fail(f"Flow log {active[0].get('FlowLogId')} fails to deliver: "
                    f"{active[0].get('DeliverLogsErrorMessage', 'no reason given')}", evidence=evidence)
    count = _interface_count(vpc, account)
    use = ("" if count is None else
           f" ({count} network interface(s) in it)" if count else " (no network interface: unused)")
    return fail(f"No active flow log on the VPC{use}", evidence={**evidence, "NetworkInterfaces": count})


# --- CIS 4.10: web front-ends ---------------------------------------------------------------------

def _load_balancers(view: AccountView) -> dict[str, list[str]]:
    """Load balancers seen through their network interfaces ("ELB app/NAME/ID"), per region."""
    found: dict[str, list[str]] = {}
    for region, interface in view.all("ec2.network_interfaces"):
        description = str(interface.get("Description", ""))
        if description.startswith("ELB "):
            found.setdefault(region, []).append(description.removeprefix("ELB "))
    return {region: sorted(set(names)) for region, names in found.items()}


@check(
    "logs_web_frontend_access_logging",
    title="Web front-ends (CloudFront, load balancers, API Gateway) have access logging enabled",
    severity=Severity.MEDIUM,
    objective=Objective.INTEGRITY,
    over=ACCOUNT,
    remediation=Remediation(
        console=(
            "EC2 > Load Balancers > select each > Attributes > Edit: Access logs on, to an S3 bucket",
            "CloudFront > Distributions > each > Logging: standard logging on (or real-time logs)",
            "API Gateway > APIs > each stage > Logs and tracing: access logging on, to a log group",
        ),
        cli="aws elbv2 modify-load-balancer-attributes --load-balancer-arn LB_ARN --attributes "
            "Key=access_logs.s3.enabled,Value=true Key=access_logs.s3.bucket,Value=ACCESS_LOG_BUCKET",
        terraform='resource "aws_lb" "web" {\n'
                  "  # ...\n"
                  "  access_logs {\n"
                  "    bucket  = aws_s3_bucket.access_logs.id\n"
                  "    enabled = true\n"
                  "  }\n"
                  "}",
    ),
)
def logs_web_frontend_access_logging(account: Json, view: AccountView) -> Outcome:
    """Access logs of the internet-facing entry points record every request with client address,
    path, status and user agent: the evidence for web attacks, credential stuffing and abuse that
    CloudTrail never sees (CIS 4.10). Their settings (load balancer attributes, CloudFront and API
    Gateway configuration) are not collected yet, so this is for the auditor to review; the load
    balancers seen in the VPCs (through their network interfaces) are listed as a starting point."""
    balancers = _load_balancers(view)
    seen = "; ".join(f"{region}: {', '.join(names)}" for region, names in balancers.items())
    return manual("Review access logging on every load balancer"
                  + (f" ({seen})" if seen else " (none seen in the VPCs)")
                  + ", CloudFront distribution and API Gateway stage (not collected by this scan)",
                  evidence={"LoadBalancers": balancers})

"""elbv2 collector: the region's application and network load balancers with their listeners, and
the target groups with the health of their registered targets.

The network model needs both halves: an internet-facing balancer answers the internet on its
listener ports (through its own interfaces, security groups and subnets), and forwards to the
targets registered in the target groups its listeners name, so those targets are reachable
through the balancer even when nothing else lets the internet in. Listeners and target health
are per-resource calls; a failed one leaves only that resource's key absent, with the error.
"""

from __future__ import annotations

from typing import Any

from awsaudit.collect._call import ABSENT, Context, call
from awsaudit.model import Json

SCOPE = "regional"
PRODUCES: tuple[str, ...] = ("load_balancers", "target_groups")
ACTIONS: tuple[str, ...] = (
    "elasticloadbalancing:DescribeListeners",
    "elasticloadbalancing:DescribeLoadBalancers",
    "elasticloadbalancing:DescribeTargetGroups",
    "elasticloadbalancing:DescribeTargetHealth",
)


def collect(ctx: Context) -> Json:
    client: Any = ctx.client("elbv2")
    data: Json = {}
    balancers = call(ctx, client, "describe_load_balancers", into=data, key="load_balancers",
                     paginate="LoadBalancers")
    if balancers is not ABSENT:
        data["load_balancers"] = ctx.each(lambda b: _balancer(ctx, client, b), balancers)
    groups = call(ctx, client, "describe_target_groups", into=data, key="target_groups",
                  paginate="TargetGroups")
    if groups is not ABSENT:
        data["target_groups"] = ctx.each(lambda g: _target_group(ctx, client, g), groups)
    return data


def _balancer(ctx: Context, client: Any, balancer: Json) -> Json:
    balancer["_arn"] = balancer["LoadBalancerArn"]
    call(ctx, client, "describe_listeners", into=balancer, key="Listeners", resource=balancer["_arn"],
         paginate="Listeners", LoadBalancerArn=balancer["LoadBalancerArn"])
    return balancer


def _target_group(ctx: Context, client: Any, group: Json) -> Json:
    group["_arn"] = group["TargetGroupArn"]
    call(ctx, client, "describe_target_health", into=group, key="TargetHealth", resource=group["_arn"],
         select="TargetHealthDescriptions", TargetGroupArn=group["TargetGroupArn"])
    return group

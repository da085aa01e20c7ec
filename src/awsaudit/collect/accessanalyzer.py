"""IAM Access Analyzer collector: the analyzers of the region.

Access Analyzer must run in every region (CIS 2.18), so the region is the resource: one
document per region with AWS's `analyzers` list. A region with no analyzer is then still
evaluated (and fails) instead of having nothing to report on.
"""

from __future__ import annotations

from awsaudit.collect._call import Context, call
from awsaudit.model import Json

SCOPE = "regional"
PRODUCES: tuple[str, ...] = ("region",)
ACTIONS: tuple[str, ...] = ("access-analyzer:ListAnalyzers",)


def collect(ctx: Context) -> Json:
    region: Json = {"_arn": ctx.arn("access-analyzer", "region")}
    call(ctx, ctx.client("accessanalyzer"), "list_analyzers", into=region, key="analyzers",
         resource=region["_arn"], paginate="analyzers")
    return {"region": region}

"""Lambda collector: the region's functions (ACCT-2: a management account that runs code).

ListFunctions returns each function's configuration; no per-function call is needed for what
the checks ask today (which functions exist, where).
"""

from __future__ import annotations

from awsaudit.collect._call import ABSENT, Context, call
from awsaudit.model import Json

SERVICE = "lambda"
SCOPE = "regional"
PRODUCES: tuple[str, ...] = ("functions",)
ACTIONS: tuple[str, ...] = ("lambda:ListFunctions",)


def collect(ctx: Context) -> Json:
    data: Json = {}
    functions = call(ctx, ctx.client("lambda"), "list_functions", into=data, key="functions",
                     paginate="Functions")
    if functions is not ABSENT:
        for function in functions:
            function["_arn"] = function.get("FunctionArn") or ctx.arn(
                "lambda", f"function:{function['FunctionName']}")
    return data

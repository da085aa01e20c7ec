"""Lambda collector: the region's functions (ACCT-2: a management account that runs code).

ListFunctions returns each function's configuration; no per-function call is needed for what
the checks ask today (which functions exist, where). It also returns each function's environment
variables, where database passwords and API keys often sit: their values never enter the
snapshot (the names stay, for review), see docs/hostile-input.md.
"""

from __future__ import annotations

from awsaudit.collect._call import ABSENT, Context, call
from awsaudit.model import Json

SERVICE = "lambda"
REDACTED = "[redacted by awsaudit]"
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
            _redact_environment(function)
    return data


def _redact_environment(function: Json) -> None:
    """Keep the variable names, drop their values: a snapshot is handed over, secrets are not."""
    variables = (function.get("Environment") or {}).get("Variables")
    if isinstance(variables, dict):
        function["Environment"]["Variables"] = dict.fromkeys(variables, REDACTED)

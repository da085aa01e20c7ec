"""`awsaudit iam ...`: who-can, can, paths and simulate, on a saved snapshot or a live account.

The commands of the IAM policy engine (awsaudit.iam, a library with no CLI of its own). Errors
are AuditErrors (InputError: exit 2, one line), printed by awsaudit.cli._base.handle_errors.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from awsaudit.checks._missing import reason as missing_reason
from awsaudit.cli._base import credentials, handle_errors, say
from awsaudit.errors import InputError
from awsaudit.iam import catalogue
from awsaudit.iam.coverage import allowed_somewhere, kind_candidates
from awsaudit.iam.escalation import analyse, summarise
from awsaudit.iam.evaluate import Decision, PolicySet, Request, evaluate
from awsaudit.iam.principals import Entity, IamAccount, build
from awsaudit.iam.simulate import SimulationError, dumps, parse, run, unknown_actions
from awsaudit.model import Json
from awsaudit.untrusted import limits

F = TypeVar("F", bound=Callable[..., Any])
COLLECTIONS = ("users", "groups", "roles", "policies")
WARNINGS_SHOWN = 20
"""Unknown-action warnings printed one by one; the rest are counted in one line."""


def _source_options(func: F) -> F:
    func = click.option("--snapshot", "snapshot_file", type=click.Path(dir_okay=False, path_type=Path),
                        help="Analyse a saved snapshot (default: collect IAM live).")(func)
    func = click.option("--profile", help="AWS named profile for a live collection.")(func)
    func = click.option("--region", help="Home region for a live collection (IAM is global).")(func)
    func = click.option("--account", "account_id", help="Account to analyse (snapshot of several).")(func)
    return click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")(func)


def _collect(profile: str | None, region: str | None) -> Json:
    from awsaudit.collect.scan import DEFAULT_HOME_REGION, ScanOptions, scan_account  # noqa: PLC0415

    source = credentials(profile, region)
    home = region or source.session().region_name or DEFAULT_HOME_REGION
    return scan_account(source, ScanOptions(services=("iam",), regions=(home,)))


def load_account(snapshot_file: Path | None, profile: str | None, region: str | None,
                 account_id: str | None) -> IamAccount:
    """The IAM model of one account, from a snapshot or a live IAM-only collection."""
    from awsaudit import snapshot as snapshot_io  # noqa: PLC0415
    from awsaudit.checks._org_context import context_of  # noqa: PLC0415

    snap = snapshot_io.load(snapshot_file) if snapshot_file else _collect(profile, region)
    accounts: dict[str, Json] = snap.get("accounts", {})
    if account_id is None:
        if len(accounts) != 1:
            raise InputError(f"the snapshot holds {len(accounts)} accounts; choose one with --account "
                             f"({', '.join(sorted(accounts)) or 'none'})")
        account_id = next(iter(accounts))
    if account_id not in accounts:
        raise InputError(f"account {account_id} is not in the snapshot ({', '.join(sorted(accounts))})")
    iam = (accounts[account_id].get("global") or {}).get("iam")
    if not isinstance(iam, dict):
        raise InputError(f"account {account_id}: IAM was not collected")
    for key in COLLECTIONS:
        if key not in iam:
            reason = missing_reason(iam, key)
            raise InputError(f"account {account_id}: IAM {key} not collected ({reason}); cannot analyse")
    organization = context_of(snap)  # the SCPs and RCPs that bind a member account, when known
    levels = organization.guardrails(account_id).levels if organization is not None else ()
    return build(iam, account_id, snap.get("partition", "aws"), levels)


def _principal(account: IamAccount, ref: str) -> Entity:
    found = account.find(ref)
    if found is None:
        raise InputError(f"no single user or role matches {ref!r} (use user/NAME, role/NAME or an ARN)")
    return found


def _check_action(action: str) -> None:
    service, sep, name = action.partition(":")
    if not sep or not service or not name:
        raise InputError(f"{action!r} is not an IAM action (expected service:Action, e.g. iam:PassRole)")
    if not catalogue.is_known(action):
        say(f"awsaudit: warning: {action} is not in the IAM action catalogue {catalogue.version()}; "
                   "matched literally", err=True)


def _policies(entity: Entity, account: IamAccount, action: str, resource: str | None) -> PolicySet:
    """The principal's policies, plus the role's trust policy when the request is to assume it."""
    role = account.roles.get(resource or "")
    if action.lower() == "sts:assumerole" and role is not None and role.trust is not None:
        return PolicySet(entity.policies, entity.boundary, account.scps, resource=role.trust, trust=True)
    return entity.policy_set(account.scps)


def _ask(entity: Entity, account: IamAccount, action: str, resource: str | None,
         context: dict[str, Any] | None = None, *, open_context: bool = True) -> tuple[str, Decision] | None:
    ctx = entity.context(context, open=open_context)
    policies = _policies(entity, account, action, resource)
    if resource is not None:
        decision = evaluate(Request(action, resource, ctx, entity.caller), policies)
        return (resource, decision) if decision.allowed else None
    candidates = kind_candidates(catalogue.resource_kinds(action, entity.partition, entity.account),
                                 policies.all_policies(), ctx)
    return allowed_somewhere(action, candidates, policies, ctx, entity.caller)


@click.group("iam")
def iam() -> None:
    """Analyse IAM permissions: who can do what, escalation paths, offline simulation."""


@iam.command("who-can")
@click.argument("action")
@click.argument("resource", required=False)
@_source_options
@handle_errors
def who_can(*, action: str, resource: str | None, snapshot_file: Path | None, profile: str | None,
            region: str | None, account_id: str | None, as_json: bool) -> None:
    """Principals that can perform ACTION (on RESOURCE; default: on some resource of its kind).

    "conditional" marks an answer that holds only under a condition the snapshot cannot decide
    (MFA, source IP, tags of the resource ...).
    """
    _check_action(action)
    account = load_account(snapshot_file, profile, region, account_id)
    rows = []
    for entity in account.principals():
        hit = _ask(entity, account, action, resource)
        if hit is not None:
            rows.append({"principal": entity.arn, "resource": hit[0], "conditional": hit[1].conditional,
                         "reason": hit[1].reason})
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        say(f"Nobody can {action}" + (f" on {resource}" if resource else ""))
    for row in rows:
        flag = " (conditional)" if row["conditional"] else ""
        say(f"{row['principal']}  on {row['resource']}{flag}  [{row['reason']}]")


def _context(pairs: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, list[str]] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise InputError(f"--context {pair!r}: expected key=value")
        out.setdefault(key, []).append(value)
    return {k: v[0] if len(v) == 1 else v for k, v in out.items()}


@iam.command("can")
@click.argument("principal")
@click.argument("action")
@click.argument("resource", required=False)
@click.option("--context", "context_pairs", multiple=True, metavar="KEY=VALUE",
              help="Request context key (repeatable; repeat a key for a multivalued one).")
@_source_options
@handle_errors
def can(*, principal: str, action: str, resource: str | None, context_pairs: tuple[str, ...],
        snapshot_file: Path | None, profile: str | None, region: str | None, account_id: str | None,
        as_json: bool) -> None:
    """Whether PRINCIPAL (user/NAME, role/NAME or ARN) may perform ACTION on RESOURCE.

    Evaluated like the IAM policy simulator: the request context is exactly the principal's
    own keys plus --context; a condition on any other key sees it absent.
    """
    _check_action(action)
    account = load_account(snapshot_file, profile, region, account_id)
    entity = _principal(account, principal)
    ctx = entity.context(_context(context_pairs), open=False)
    if resource is None:
        hit = _ask(entity, account, action, None, _context(context_pairs), open_context=False)
        target = hit[0] if hit else "any resource"
        decision = hit[1] if hit else Decision(False, "not allowed on any resource of its kind")
    else:
        target = resource
        decision = evaluate(Request(action, resource, ctx, entity.caller),
                            _policies(entity, account, action, resource))
    result = {"principal": entity.arn, "action": action, "resource": target, "allowed": decision.allowed,
              "reason": decision.reason, "statements": [str(m) for m in decision.matches]}
    if as_json:
        click.echo(json.dumps(result, indent=2))
        return
    say(f"{'ALLOWED' if decision.allowed else 'DENIED'}: {entity.ref} {action} on {target}")
    say(f"  {decision.reason}")
    for match in decision.matches:
        say(f"  - {match}")


@iam.command("paths")
@click.argument("principal")
@_source_options
@handle_errors
def paths(*, principal: str, snapshot_file: Path | None, profile: str | None, region: str | None,
          account_id: str | None, as_json: bool) -> None:
    """Privilege-escalation path from PRINCIPAL to administrator, with the permissions each step uses."""
    account = load_account(snapshot_file, profile, region, account_id)
    entity = _principal(account, principal)
    analysis = analyse(account)
    steps = analysis.path(entity.arn)
    names = {e.arn: e.ref for e in account.principals()}
    result = {"principal": entity.arn, "admin": analysis.is_admin(entity.arn),
              "path": [{"from": s.source, "to": s.target, "method": s.method,
                        "permissions": list(s.permissions), "note": s.note} for s in steps or []],
              "edges": [{"to": s.target, "method": s.method, "permissions": list(s.permissions)}
                        for s in analysis.edges_from(entity.arn)]}
    if as_json:
        click.echo(json.dumps(result, indent=2))
        return
    if result["admin"]:
        say(f"{entity.ref} is an administrator (every action on every resource)")
    elif steps:
        say(f"{entity.ref} can become administrator: {summarise(steps, names)}")
        for number, step in enumerate(steps, 1):
            note = f" ({step.note})" if step.note else ""
            say(f"  {number}. {step.method}: {'; '.join(step.permissions)}{note}")
    else:
        say(f"No privilege-escalation path to administrator from {entity.ref}")
    for gap in entity.gaps:
        say(f"awsaudit: warning: {gap}", err=True)


@iam.command("simulate")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@handle_errors
def simulate(*, file: Path) -> None:
    """Evaluate a principal's policies offline (see docs/iam-engine.md for the document format)."""
    try:
        text = limits.read_text(file, "simulation document")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{file}: cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        simulation = parse(limits.loads(text, limits.MAX_DEPTH))
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno} column {exc.colno}"
        raise InputError(f"{file}: not valid JSON: {exc.msg} at {where}") from None
    except limits.NestingTooDeepError as exc:
        raise InputError(f"{file}: not a usable document: JSON {exc}") from None
    except SimulationError as exc:
        raise InputError(f"{file}: {exc}") from None
    unknown = unknown_actions(simulation)
    for action in unknown[:WARNINGS_SHOWN]:
        say(f"awsaudit: warning: action {action} is not in the IAM action catalogue "
            f"{catalogue.version()}; matched literally", err=True)
    if len(unknown) > WARNINGS_SHOWN:  # a 5 MB policy used to print 22,000 warning lines
        say(f"awsaudit: warning: and {len(unknown) - WARNINGS_SHOWN:,} more actions not in the catalogue "
            f"({len(unknown):,} in all; matched literally)", err=True)
    click.echo(dumps(run(simulation)))

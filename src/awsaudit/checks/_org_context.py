"""OrgContext: what the management account's shard tells every account's checks about the Organization.

A member account can read only DescribeOrganization; its OU, the SCPs and RCPs that bind it, the
organization trail that records its events and the budgets that watch its spending are visible
from the management account alone. When a snapshot holds the management account's shard, the
engine derives this context once (a first streaming pass over the shards, keeping only the
management shard's organization data and a few small extracts of the others) and hands it to
every account's view as `view.organization`. Without it, checks that need it say UNKNOWN.

Nothing here judges: it indexes the organization (accounts with their OU path, policies with
their targets, organization trails, organization-wide Config aggregators, delegated
administrators) so that checks can.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from awsaudit.iam.policy import Policy, PolicyError, parse_policy
from awsaudit.model import Json

SCP, RCP = "SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"
FULL_ACCESS = frozenset({"FullAWSAccess", "RCPFullAWSAccess"})
ALLOW_ALL: Json = {"Version": "2012-10-17",
                   "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
ORG_PARTS = ("accounts", "organizational_units", "policies", "delegated_administrators")


@dataclass(frozen=True, slots=True)
class OrgAccount:
    """One account of the organization as the management account lists it."""

    id: str
    name: str
    status: str
    chain: tuple[str, ...]
    """The account, its OUs and the root: every target whose policies apply to it (node first)."""
    path: str
    """'Root/Workloads/Prod/acme-prod': the names from the root down to the account."""


@dataclass(frozen=True, slots=True)
class Located:
    """A resource found in one account's shard (an organization trail, an aggregator)."""

    account: str
    region: str
    item: Json


@dataclass(frozen=True, slots=True)
class Guardrails:
    """The SCP and RCP levels that bind one account, ready for the IAM engine (root first)."""

    scps: tuple[tuple[Policy, ...], ...] = ()
    rcps: tuple[tuple[Policy, ...], ...] = ()
    names: tuple[str, ...] = ()
    """The policies that restrict something (full-access policies left out), for evidence."""
    gap: str = ""
    """Why the guardrails are not known (the levels are then empty: evaluated without them)."""
    note: str = ""

    @property
    def levels(self) -> tuple[tuple[Policy, ...], ...]:
        """SCP levels then the RCP level: how IamAccount.scps carries both (see guardrails())."""
        return (*self.scps, *self.rcps)

    def evidence(self) -> Json:
        if self.gap:
            return {"not known": self.gap}
        if self.note:
            return {"note": self.note}
        return {"applied": list(self.names) or "full access only"}


@dataclass
class OrgContext:
    """The organization, indexed from the management account's shard; read-only once built."""

    management_id: str
    organization: Json
    """DescribeOrganization (Id, Arn, FeatureSet, MasterAccountId ...)."""
    org_resource: Json
    """The management account's `organizations.organization` document (Roots, features ...)."""
    data: Json
    """The management account's organizations data (accounts, OUs, policies, delegated admins)."""
    budgets: list[Json] | None
    """The management account's budgets; None: not collected (see gaps['budgets'])."""
    trails: tuple[Located, ...] = ()
    aggregators: tuple[Located, ...] = ()
    scanned: frozenset[str] = frozenset()
    """Every account that has a shard in the snapshot."""
    gaps: dict[str, str] = field(default_factory=dict)
    accounts: dict[str, OrgAccount] = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)
    """Root, OU and account id -> its path of names ('Root/Workloads/Prod')."""
    _guardrails: dict[str, Guardrails] = field(default_factory=dict, repr=False)
    _parsed: dict[tuple[str, str], Policy] = field(default_factory=dict, repr=False)
    """(policy id, node) -> the parsed policy: shared by every account under that node."""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        for part in ORG_PARTS:
            if part not in self.data:
                self.gaps[part] = str((self.data.get("_errors") or {}).get(part) or "not collected")
        if "Roots" not in self.org_resource:
            self.gaps["Roots"] = str((self.org_resource.get("_errors") or {}).get("Roots") or "not collected")
        if self.budgets is None:
            why = self.data.get("_budgets_gap", "not collected")
            self.gaps.setdefault("budgets", f"the management account's budgets: {why}")
        roots = self.org_resource.get("Roots") or []
        self.accounts = _index_accounts(self.data, roots)
        parent, names = _parents(self.data), _names(self.data, roots)
        self.paths = {node: "/".join(names.get(n, n) for n in reversed(_chain(node, parent)))
                      for node in names}

    # --- reading -----------------------------------------------------------------------------

    @property
    def id(self) -> str:
        return str(self.organization.get("Id", ""))

    def label(self) -> str:
        """'organization o-abc (management account 111111111111)', for messages."""
        return f"organization {self.id} (management account {self.management_id})"

    def account(self, account_id: str) -> OrgAccount | None:
        return self.accounts.get(account_id)

    def members(self) -> list[OrgAccount]:
        """Every account but the management account, sorted by path."""
        members = (a for a in self.accounts.values() if a.id != self.management_id)
        return sorted(members, key=lambda a: a.path)

    def enabled_types(self) -> frozenset[str] | None:
        """The authorization policy types enabled on the root; None when the roots were not read."""
        roots = self.org_resource.get("Roots")
        if not isinstance(roots, list):
            return None
        return frozenset(t.get("Type") for root in roots for t in root.get("PolicyTypes") or []
                         if t.get("Status") == "ENABLED") & {SCP, RCP}

    def policies_on(self, node: str, kind: str) -> list[Json]:
        return [p for p in self.data.get("policies") or []
                if p.get("Type") == kind and any(t.get("TargetId") == node for t in p.get("Targets") or [])]

    def delegated(self) -> dict[str, list[str]]:
        """account id -> the service principals it is delegated administrator for."""
        found: dict[str, list[str]] = {}
        for admin in self.data.get("delegated_administrators") or []:
            services = [str(s.get("ServicePrincipal")) for s in admin.get("DelegatedServices") or []]
            found[str(admin.get("Id"))] = services
        return found

    def organization_trails(self) -> list[Located]:
        """Organization trails that log: multi-region and IsLogging (as their owner reads them)."""
        return [t for t in self.trails if t.item.get("IsMultiRegionTrail")
                and (t.item.get("Status") or {}).get("IsLogging")]

    def trail(self, arn: str) -> Located | None:
        """An organization trail by ARN, as its owner account collected it."""
        return next((t for t in self.trails if t.item.get("TrailARN") == arn), None)

    def guardrails(self, account_id: str) -> Guardrails:
        """The SCPs and RCPs that bind the account, parsed; built once per account.

        SCPs never apply to the management account. Every level of the path (root, each OU, the
        account) must allow a request, so a policy whose document or targets could not be read
        makes the whole set unknown: guessing a level could turn an allowed request into a denied
        one, and an admin into a non-admin. Unknown guardrails are evaluated as none (can only
        over-report) and the gap is named; so is a node without any policy in the data (AWS
        refuses to detach a node's last SCP, so its policies are simply not known).
        RCPs are folded into one level after the SCPs: AWS
        attaches RCPFullAWSAccess to every root, OU and account and it cannot be detached, so
        only their Deny statements decide.
        """
        with self._lock:
            if account_id not in self._guardrails:
                self._guardrails[account_id] = self._build_guardrails(account_id)
            return self._guardrails[account_id]

    def _build_guardrails(self, account_id: str) -> Guardrails:
        if account_id == self.management_id:
            return Guardrails(note="SCPs and RCPs never apply to the management account")
        for part in ("Roots", "accounts", "organizational_units", "policies"):
            if part in self.gaps:
                return Guardrails(gap=f"organization {part} not collected: {self.gaps[part]}")
        member = self.accounts.get(account_id)
        if member is None:
            return Guardrails(gap=f"account {account_id} is not listed in {self.label()}")
        enabled = self.enabled_types() or frozenset()
        names: list[str] = []
        levels: dict[str, list[tuple[Policy, ...]]] = {SCP: [], RCP: []}
        for kind in (SCP, RCP):
            if kind not in enabled:
                continue
            for policy in self.data.get("policies") or []:
                if policy.get("Type") == kind and "Targets" not in policy:
                    return Guardrails(gap=f"targets of {policy.get('Name')} not collected")
            for node in reversed(member.chain):
                level: list[Policy] = []
                for policy in self.policies_on(node, kind):
                    if "Content" not in policy:
                        return Guardrails(gap=f"document of {policy.get('Name')} not collected")
                    where = self.paths.get(node, node)
                    short = "SCP" if kind == SCP else "RCP"
                    label = f"{short} {policy.get('Name')} ({policy.get('Id')}) on {where}"
                    key = (str(policy.get("Id")), node)
                    try:
                        if key not in self._parsed:
                            self._parsed[key] = parse_policy(policy["Content"], label, "scp")
                    except PolicyError as exc:
                        return Guardrails(gap=str(exc))
                    level.append(self._parsed[key])
                    if not (policy.get("AwsManaged") and policy.get("Name") in FULL_ACCESS):
                        names.append(label)
                if level:  # AWS keeps at least one SCP on every node: an empty one is not in our data
                    levels[kind].append(tuple(level))
        rcps: tuple[tuple[Policy, ...], ...] = ()
        if levels[RCP]:
            merged = [p for level in levels[RCP] for p in level]
            if not any(p.name.startswith("RCP RCPFullAWSAccess") for p in merged):
                merged.append(parse_policy(ALLOW_ALL, "RCP RCPFullAWSAccess (attached by AWS)", "scp"))
            rcps = (tuple(merged),)
        return Guardrails(tuple(levels[SCP]), rcps, tuple(names))


def _parents(data: Json) -> dict[str, str]:
    parent: dict[str, str] = {}
    for kind in ("organizational_units", "accounts"):
        for item in data.get(kind) or []:
            parents = item.get("Parents") or []
            if parents and isinstance(parents[0], dict):
                parent[str(item.get("Id"))] = str(parents[0].get("Id"))
    return parent


def _chain(node: str, parent: Mapping[str, str]) -> list[str]:
    chain = [node]
    while chain[-1] in parent and parent[chain[-1]] not in chain:
        chain.append(parent[chain[-1]])
    return chain


def _names(data: Json, roots: list[Json]) -> dict[str, str]:
    names = {str(r.get("Id")): str(r.get("Name", "Root")) for r in roots}
    for kind in ("organizational_units", "accounts"):
        names.update({str(i.get("Id")): str(i.get("Name", i.get("Id"))) for i in data.get(kind) or []})
    return names


def _index_accounts(data: Json, roots: list[Json]) -> dict[str, OrgAccount]:
    parent = _parents(data)
    names = _names(data, roots)
    found: dict[str, OrgAccount] = {}
    for item in data.get("accounts") or []:
        account_id = str(item.get("Id"))
        chain = tuple(_chain(account_id, parent))
        found[account_id] = OrgAccount(account_id, str(item.get("Name", account_id)),
                                       str(item.get("Status", "ACTIVE")), chain,
                                       "/".join(names.get(n, n) for n in reversed(chain)))
    return found


# --- building (one streaming pass over the shards) ------------------------------------------------


def _organizations(doc: Json) -> Json:
    part = doc.get("global") if isinstance(doc.get("global"), dict) else {}
    data = part.get("organizations") if isinstance(part, dict) else None
    return data if isinstance(data, dict) else {}


def is_management_shard(account_id: str, doc: Json) -> bool:
    """The shard of the organization's management account (it alone can list the structure)."""
    resource = _organizations(doc).get("organization")
    org = resource.get("Organization") if isinstance(resource, dict) else None
    return isinstance(org, dict) and org.get("MasterAccountId") == account_id


def _regions(doc: Json) -> Iterable[tuple[str, Json]]:
    regions = doc.get("regions")
    for region, part in sorted(regions.items()) if isinstance(regions, dict) else ():
        if isinstance(part, dict):
            yield region, part


def _org_trails(account_id: str, doc: Json) -> list[Located]:
    """Organization trails the account owns (an organization trail shows in every member account
    too, as a shadow: only the owner's copy has the status its owner reads)."""
    found = []
    for region, part in _regions(doc):
        service = part.get("cloudtrail")
        trails = service.get("trails") if isinstance(service, dict) else None
        for trail in trails if isinstance(trails, list) else []:
            arn = str(trail.get("TrailARN") or trail.get("_arn") or "")
            if trail.get("IsOrganizationTrail") and arn.split(":")[4:5] == [account_id]:
                found.append(Located(account_id, region, trail))
    return found


def _org_aggregators(account_id: str, doc: Json) -> list[Located]:
    found = []
    for region, part in _regions(doc):
        config = part.get("config")
        record = config.get("region") if isinstance(config, dict) else None
        aggregators = record.get("ConfigurationAggregators") if isinstance(record, dict) else None
        for aggregator in aggregators if isinstance(aggregators, list) else []:
            if isinstance(aggregator, dict) and aggregator.get("OrganizationAggregationSource"):
                found.append(Located(account_id, region, aggregator))
    return found


class OrgContextBuilder:
    """Feed it every shard (add), then build(): only the management shard's organization data,
    its budgets and the organization trails and aggregators of every shard are kept."""

    def __init__(self) -> None:
        self._management: tuple[str, Json, Json, list[Json] | None] | None = None
        self._trails: list[Located] = []
        self._aggregators: list[Located] = []
        self._scanned: set[str] = set()

    def add(self, account_id: str, doc: Json) -> None:
        if not isinstance(doc, dict):
            return
        self._scanned.add(account_id)
        self._trails.extend(_org_trails(account_id, doc))
        self._aggregators.extend(_org_aggregators(account_id, doc))
        if is_management_shard(account_id, doc):
            data = _organizations(doc)
            part = doc.get("global") or {}
            budgets_data = part.get("budgets") if isinstance(part.get("budgets"), dict) else {}
            budgets = budgets_data.get("budgets") if isinstance(budgets_data, dict) else None
            kept = {k: v for k, v in data.items() if k != "organization"}
            if not isinstance(budgets, list):
                why = (budgets_data.get("_errors") or {}) if isinstance(budgets_data, dict) else {}
                kept["_budgets_gap"] = str(why.get("budgets") or why.get("*") or "not collected")
            self._management = (account_id, data.get("organization") or {}, kept,
                                budgets if isinstance(budgets, list) else None)

    def build(self) -> OrgContext | None:
        """The context, or None when no shard is the management account's."""
        if self._management is None:
            return None
        account_id, resource, data, budgets = self._management
        return OrgContext(account_id, dict(resource.get("Organization") or {}), resource, data, budgets,
                          tuple(self._trails), tuple(self._aggregators), frozenset(self._scanned))


def build_context(shards: Iterable[tuple[str, Json]]) -> OrgContext | None:
    """One pass over (account id, document) pairs; memory: the management shard's extracts."""
    builder = OrgContextBuilder()
    for account_id, doc in shards:
        builder.add(account_id, doc)
    return builder.build()


def context_of(snapshot: Json) -> OrgContext | None:
    """The context of an in-memory snapshot (tests, the demo, single-document snapshots)."""
    accounts: Any = snapshot.get("accounts")
    return build_context(sorted(accounts.items()) if isinstance(accounts, dict) else [])

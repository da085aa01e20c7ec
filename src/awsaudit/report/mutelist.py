"""The mutelist: accepted risks, each with a reason and optionally an owner and an expiry date.

A YAML file (see docs/reports.md):

    mutes:
      - check: ec2_sg_no_public_ssh          # glob; also account, region (string or list)
        resource: "arn:aws:ec2:eu-west-1:*:security-group/sg-0abc*"   # glob, or "regex:<pattern>"
        tags: {environment: sandbox}          # every tag must match (value is a glob)
        reason: Sandbox bastion, rebuilt nightly (SEC-142)
        owner: platform@acme.example
        expires: 2026-06-30                   # mutes up to and including that day (UTC)

Matching FAIL, UNKNOWN and MANUAL findings become MUTED (PASS has nothing to mute) and stay in
every output with the reason. An expired entry mutes nothing; it and an entry that muted nothing
(stale) are reported in every output and on stderr, so the list cannot silently rot.

The file is read by walking PyYAML's node tree (never constructing objects), which gives a line
number for every problem and keeps account IDs such as 012345678901 as written, not as octal.
A mutelist is plain data, so YAML aliases (the "billion laughs" expansion) are refused, and the
file is read up to untrusted.limits.TEXT_FILE_LIMIT. `regex:` entries run on RE2 (google-re2),
which matches in linear time: a pattern such as `(a+)+$` cannot hang the audit on a long ARN.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import fnmatch
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import re2  # type: ignore[import-untyped]
import yaml

from awsaudit.errors import InputError
from awsaudit.model import Finding, Json, Status
from awsaudit.untrusted import limits

MATCH_KEYS = ("account", "check", "region", "resource", "tags")
KEYS = (*MATCH_KEYS, "reason", "owner", "expires")
MUTABLE = frozenset({Status.FAIL, Status.UNKNOWN, Status.MANUAL})
REGEX = "regex:"
PLAIN_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "timestamp", "seq", "map")
)
TAG_KEYS = ("Tags", "TagSet", "TagList")
"""Where AWS puts a resource's tags ({Key, Value} lists or a plain mapping), as collected."""


class MutelistError(InputError):
    """A malformed mutelist: one line naming the file, the line and the problem (exit 2)."""

    def __init__(self, origin: str, line: int | None, problem: str) -> None:
        where = f"{origin}:{line}" if line is not None else origin
        # PyYAML's messages span lines ("...\n  in <unicode string>, position 8"): one line here.
        super().__init__(f"{where}: mutelist: {' '.join(problem.split())}")


class Regex(Protocol):
    """What a compiled RE2 pattern offers here (google-re2 ships no type information)."""

    def fullmatch(self, text: str) -> object | None: ...


def _re2_options() -> Any:
    options = re2.Options()
    options.log_errors = False  # RE2 would log a bad pattern on stderr; we say it in one line
    return options


_OPTIONS = _re2_options()


@dataclass(frozen=True, slots=True)
class Pattern:
    """A glob (fnmatch, case-sensitive) or, written `regex:...`, a regular expression (full match).

    The regex dialect is RE2's (Python's syntax without backreferences and lookaround): matching
    takes time linear in the value, whatever the pattern.
    """

    text: str
    regex: Regex | None = None

    def matches(self, value: str) -> bool:
        if self.regex is not None:
            return self.regex.fullmatch(value) is not None
        return fnmatch.fnmatchcase(value, self.text)


@dataclass(frozen=True, slots=True)
class Entry:
    line: int
    reason: str
    accounts: tuple[Pattern, ...] = ()
    checks: tuple[Pattern, ...] = ()
    regions: tuple[Pattern, ...] = ()
    resources: tuple[Pattern, ...] = ()
    tags: tuple[tuple[str, Pattern], ...] = ()
    owner: str | None = None
    expires: dt.date | None = None

    def matches(self, finding: Finding, tags: Mapping[str, str] | None) -> bool:
        """Every criterion given must match; an empty criterion matches anything."""
        if self.tags and (
            tags is None or not all(key in tags and pattern.matches(tags[key]) for key, pattern in self.tags)
        ):
            return False
        return all(
            not patterns or any(p.matches(value) for p in patterns)
            for patterns, value in (
                (self.accounts, finding.account),
                (self.checks, finding.check_id),
                (self.regions, finding.region),
                (self.resources, finding.resource),
            )
        )

    def expired(self, today: dt.date) -> bool:
        return self.expires is not None and today > self.expires

    def to_json(self) -> Json:
        def texts(patterns: tuple[Pattern, ...]) -> list[str]:
            return [p.text for p in patterns]

        return {
            "line": self.line,
            "reason": self.reason,
            "owner": self.owner,
            "expires": self.expires.isoformat() if self.expires else None,
            "account": texts(self.accounts),
            "check": texts(self.checks),
            "region": texts(self.regions),
            "resource": texts(self.resources),
            "tags": {key: p.text for key, p in self.tags},
        }

    def label(self) -> str:
        """How warnings name the entry: its line and what it targets."""
        parts = [
            f"{name}={','.join(p.text for p in patterns)}"
            for name, patterns in (
                ("check", self.checks),
                ("account", self.accounts),
                ("region", self.regions),
                ("resource", self.resources),
            )
            if patterns
        ]
        parts += [f"tag:{key}={p.text}" for key, p in self.tags]
        return f"line {self.line} ({'; '.join(parts)})"


@dataclass(frozen=True, slots=True)
class Mutelist:
    origin: str
    entries: tuple[Entry, ...]


@dataclass(frozen=True, slots=True)
class EntryResult:
    """What one entry did in this audit."""

    entry: Entry
    state: str  # "active" (muted something), "expired" or "stale" (muted nothing)
    muted: int  # findings it muted (for an expired entry: findings it would have muted)
    passing: int  # PASS findings it matched (a stale entry whose problem was fixed)

    def to_json(self) -> Json:
        return {**self.entry.to_json(), "state": self.state, "muted": self.muted, "passing": self.passing}

    def warning(self) -> str | None:
        entry = self.entry
        if self.state == "expired":
            assert entry.expires is not None
            return (
                f"mutelist entry {entry.label()} expired on {entry.expires.isoformat()} "
                f"(owner: {entry.owner or 'none'}); its {self.muted} finding(s) count again"
            )
        if self.state == "stale":
            why = (
                f"it matched only {self.passing} passing finding(s): the problem looks fixed"
                if self.passing
                else "it matched no finding"
            )
            return f"mutelist entry {entry.label()} is stale: {why}; remove it"
        return None


@dataclass(frozen=True, slots=True)
class MuteReport:
    """The mutelist's effect on one audit: shown in every report and on stderr."""

    origin: str
    today: dt.date
    results: tuple[EntryResult, ...]

    def of_state(self, state: str) -> list[EntryResult]:
        return [r for r in self.results if r.state == state]

    def warnings(self) -> list[str]:
        return [w for r in self.results if (w := r.warning()) is not None]

    def to_json(self) -> Json:
        return {
            "file": self.origin,
            "evaluated_on": self.today.isoformat(),
            "entries": len(self.results),
            "muted": sum(r.muted for r in self.results if r.state == "active"),
            "expired": [r.to_json() for r in self.of_state("expired")],
            "stale": [r.to_json() for r in self.of_state("stale")],
            "active": [r.to_json() for r in self.of_state("active")],
        }


# --- loading -------------------------------------------------------------------------------------


def load(path: Path) -> Mutelist:
    try:
        text = limits.read_text(path, "mutelist")
    except (OSError, UnicodeDecodeError) as exc:
        raise MutelistError(str(path), None, f"cannot read: {exc}") from None
    except limits.InputTooLargeError:
        raise MutelistError(str(path), None,
                            f"the file is larger than {limits.TEXT_FILE_LIMIT // limits.MIB} MiB") from None
    return parse(text, str(path))


class _PlainLoader(yaml.SafeLoader):
    """SafeLoader that refuses aliases: `*name` may nest anchors into an exponential expansion."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]  # PyYAML stubs leave it untyped
            raise yaml.MarkedYAMLError(
                None, None, "YAML aliases (*name) are not allowed in a mutelist", event.start_mark
            )
        return super().compose_node(parent, index)


def parse(text: str, origin: str = "mutelist") -> Mutelist:
    """Validate the whole file; the first problem raises MutelistError with its line."""
    try:
        root = yaml.compose(text, Loader=_PlainLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = " ".join(p for p in (exc.context, exc.problem) if p) or "invalid YAML"
        raise MutelistError(origin, mark.line + 1 if mark else None, f"invalid YAML: {problem}") from None
    except yaml.YAMLError as exc:
        raise MutelistError(origin, None, f"invalid YAML: {exc}") from None
    if root is None:
        raise MutelistError(origin, None, "the file is empty (expected a top-level `mutes:` list)")
    top = _mapping(root, origin, "the top level", ("mutes", "version"))
    if "mutes" not in top:
        raise MutelistError(origin, _line(root), "missing the top-level `mutes:` list")
    if "version" in top and _scalar(top["version"], origin, "version") != "1":
        raise MutelistError(origin, _line(top["version"]), "only `version: 1` is supported")
    mutes = top["mutes"]
    if _is_null(mutes):
        return Mutelist(origin, ())
    if not isinstance(mutes, yaml.SequenceNode):
        raise MutelistError(origin, _line(mutes), "`mutes` must be a list of entries")
    return Mutelist(origin, tuple(_entry(node, origin) for node in mutes.value))


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def _plain(node: yaml.Node, origin: str) -> yaml.Node:
    """Refuse application tags (`!!python/...`, `!custom`): a mutelist is plain data."""
    if node.tag not in PLAIN_TAGS:
        raise MutelistError(origin, _line(node), f"unsupported YAML tag {node.tag!r}")
    return node


def _is_null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null"


def _mapping(node: yaml.Node, origin: str, what: str, allowed: tuple[str, ...]) -> dict[str, yaml.Node]:
    if not isinstance(_plain(node, origin), yaml.MappingNode):
        raise MutelistError(origin, _line(node), f"{what} must be a mapping of keys to values")
    result: dict[str, yaml.Node] = {}
    for key_node, value_node in node.value:
        key = _scalar(key_node, origin, "a key")
        if key in result:
            raise MutelistError(origin, _line(key_node), f"duplicate key {key!r} in {what}")
        if allowed and key not in allowed:
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else f" (allowed: {', '.join(allowed)})"
            raise MutelistError(origin, _line(key_node), f"unknown key {key!r} in {what}{hint}")
        result[key] = value_node
    return result


def _scalar(node: yaml.Node, origin: str, what: str) -> str:
    """The text exactly as written (an account ID stays 012345678901, not an octal number)."""
    if not isinstance(_plain(node, origin), yaml.ScalarNode) or _is_null(node):
        raise MutelistError(origin, _line(node), f"{what} must be a single value")
    return str(node.value)


def _text(node: yaml.Node, origin: str, what: str) -> str:
    value = _scalar(node, origin, what).strip()
    if not value:
        raise MutelistError(origin, _line(node), f"{what} must not be empty")
    return value


def _patterns(node: yaml.Node, origin: str, key: str) -> tuple[Pattern, ...]:
    items = node.value if isinstance(_plain(node, origin), yaml.SequenceNode) else [node]
    if not items:
        raise MutelistError(origin, _line(node), f"`{key}` must not be an empty list")
    return tuple(_pattern(item, origin, key) for item in items)


def _pattern(node: yaml.Node, origin: str, key: str) -> Pattern:
    text = _text(node, origin, f"`{key}`")
    if not text.startswith(REGEX):
        return Pattern(text)
    try:
        return Pattern(text, re2.compile(text[len(REGEX) :], options=_OPTIONS))
    except re2.error as exc:
        why = exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(exc.args[0], bytes) else exc
        raise MutelistError(
            origin, _line(node), f"`{key}`: invalid regular expression (RE2 syntax): {why}"
        ) from None


def _expires(node: yaml.Node, origin: str) -> dt.date:
    text = _scalar(node, origin, "`expires`")
    try:
        if len(text) != 10:
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        raise MutelistError(
            origin, _line(node), f"`expires` must be a date written YYYY-MM-DD, not {text!r}"
        ) from None


def _entry(node: yaml.Node, origin: str) -> Entry:
    fields = _mapping(node, origin, "a mutelist entry", KEYS)
    line = _line(node)
    if "reason" not in fields:
        raise MutelistError(origin, line, "entry has no `reason` (every mute must say why)")
    if not any(key in fields for key in MATCH_KEYS):
        raise MutelistError(
            origin, line, f"entry matches everything: give at least one of {', '.join(MATCH_KEYS)}"
        )
    tags: tuple[tuple[str, Pattern], ...] = ()
    if "tags" in fields:
        tag_nodes = _mapping(fields["tags"], origin, "`tags`", ())
        if not tag_nodes:
            raise MutelistError(origin, _line(fields["tags"]), "`tags` must not be empty")
        tags = tuple((key, _pattern(value, origin, f"tags.{key}")) for key, value in tag_nodes.items())

    def patterns(key: str) -> tuple[Pattern, ...]:
        return _patterns(fields[key], origin, key) if key in fields else ()

    return Entry(
        line=line,
        reason=_text(fields["reason"], origin, "`reason`"),
        accounts=patterns("account"),
        checks=patterns("check"),
        regions=patterns("region"),
        resources=patterns("resource"),
        tags=tags,
        owner=_text(fields["owner"], origin, "`owner`") if "owner" in fields else None,
        expires=_expires(fields["expires"], origin) if "expires" in fields else None,
    )


# --- applying ------------------------------------------------------------------------------------


def _tag_map(raw: Any) -> dict[str, str] | None:
    """The tags as a mapping; None (AWS said "no tag set", e.g. S3's NoSuchTagSet) is no tags."""
    if raw is None:
        return {}
    if isinstance(raw, dict):
        return {str(k): str(v) for k, v in raw.items()}
    if isinstance(raw, list):
        return {str(t["Key"]): str(t.get("Value", "")) for t in raw if isinstance(t, dict) and "Key" in t}
    return None


def _resources(node: Any) -> Iterator[Json]:
    if isinstance(node, dict):
        if "_arn" in node:
            yield node
        for key, value in node.items():
            if not str(key).startswith("_"):
                yield from _resources(value)
    elif isinstance(node, list):
        for item in node:
            yield from _resources(item)


def account_tags(account: Json) -> dict[str, dict[str, str]]:
    """{ARN: {tag key: value}} for every resource of one account document whose tags were collected.

    Findings do not carry tags; a resource missing here has no tag data, and a tag criterion
    never matches it (absent is not "untagged"). Per account, so a scan keeps only the tags it
    needs while evaluating one account shard at a time.
    """
    tags: dict[str, dict[str, str]] = {}
    for resource in _resources(account):
        for key in TAG_KEYS:
            if key in resource and (found := _tag_map(resource[key])) is not None:
                tags[str(resource["_arn"])] = found
                break
    return tags


def resource_tags(snapshot: Json) -> dict[str, dict[str, str]]:
    """account_tags() over every account of a snapshot."""
    tags: dict[str, dict[str, str]] = {}
    for account in snapshot.get("accounts", {}).values():
        tags.update(account_tags(account))
    return tags


def apply(
    mutelist: Mutelist,
    findings: Iterable[Finding],
    tags: Mapping[str, Mapping[str, str]],
    today: dt.date,
) -> tuple[list[Finding], MuteReport]:
    """Mute what the active entries match (first matching entry wins); report every entry's effect.

    `tags` are {ARN: tags} of the findings' resources (resource_tags(snapshot), or what a
    scan record kept of them).
    """
    active = [e for e in mutelist.entries if not e.expired(today)]
    muted = dict.fromkeys(mutelist.entries, 0)
    passing = dict.fromkeys(mutelist.entries, 0)
    result: list[Finding] = []
    for original in findings:
        matching = [e for e in mutelist.entries if e.matches(original, tags.get(original.resource))]
        for entry in matching:
            if original.status in MUTABLE:
                muted[entry] += 1
            elif original.status is Status.PASS:
                passing[entry] += 1
        winner = next((e for e in matching if e in active), None)
        finding = original
        if winner is not None and original.status in MUTABLE:
            finding = dataclasses.replace(
                original,
                status=Status.MUTED,
                mute={
                    "reason": winner.reason,
                    "owner": winner.owner,
                    "expires": winner.expires.isoformat() if winner.expires else None,
                    "line": winner.line,
                    "file": mutelist.origin,
                    "status": str(original.status),
                },
            )
        result.append(finding)
    results = tuple(
        EntryResult(
            entry,
            "expired" if entry.expired(today) else ("active" if muted[entry] else "stale"),
            muted[entry],
            passing[entry],
        )
        for entry in mutelist.entries
    )
    return result, MuteReport(mutelist.origin, today, results)

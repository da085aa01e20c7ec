"""Audit tunables (company IP ranges, ports, thresholds): defaults, and loading awsaudit.toml.

Checks receive a Settings by asking for a `settings` parameter; they never read files or
the environment themselves, so a snapshot audited twice with the same settings gives the
same findings.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import reprlib
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from awsaudit.errors import InputError
from awsaudit.untrusted import limits

DEFAULT_FILE = Path("awsaudit.toml")

VNC_PORTS = (5500, *range(5900, 5911))


@dataclass(frozen=True, slots=True)
class Settings:
    company_cidrs: tuple[str, ...] = ()
    """Networks the company administers from (NET-5). Empty: NET-5 cannot be decided."""
    admin_ports: tuple[int, ...] = (22, 3389, 5985, 5986, *VNC_PORTS)
    """Ports of administrative interfaces (NET-5)."""
    database_ports: tuple[int, ...] = (
        1433,
        1521,
        2483,
        2484,
        3306,
        5432,
        5984,
        6379,
        7000,
        7001,
        7199,
        8086,
        9042,
        9160,
        9200,
        9300,
        11211,
        27017,
        27018,
        27019,
        50000,
    )
    """Database ports that must never be open to the internet (NET-3)."""
    public_ports: tuple[int, ...] = (80, 443)
    """Ports meant to be public; open to the internet they are not a default-deny (NET-4) failure."""
    access_key_max_age_days: int = 90
    """Active access keys older than this must be rotated (IAM-6, CIS 2.12)."""
    unused_credentials_days: int = 45
    """Passwords and keys unused for longer than this must be disabled (IAM-6, CIS 2.11)."""
    password_min_length: int = 14
    """Minimum password length of the account password policy (IAM-5, CIS 2.8)."""
    password_reuse_prevention: int = 24
    """How many previous passwords may not be reused (IAM-5, CIS 2.9)."""
    root_usage_days: int = 90
    """Root password or key use within this many days is a finding (IAM-3, CIS 2.7)."""
    bucket_review_days: int = 90
    """A bucket whose configuration was last assessed (scanned into the history store) longer ago
    than this is a finding (S3-3): changes in between went unreviewed."""
    designated_admins: tuple[str, ...] = ()
    """Principal ARNs (or user/NAME, role/NAME) of the designated administrators: allowed to hold admin
    (IAM-8) and to both define and assign permissions (IAM-9)."""

    def to_toml(self) -> str:
        """The settings as a commented awsaudit.toml (what `awsaudit config --show-defaults` prints)."""
        lines = ["# awsaudit.toml: audit tunables. Every key is optional; these are the defaults.", ""]
        docs = _field_docs()
        for f in fields(self):
            lines.append("# " + " ".join(docs.get(f.name, "").split()))
            lines.append(f"{f.name} = {_toml_value(getattr(self, f.name))}")
            lines.append("")
        return "\n".join(lines)


DEFAULTS = Settings()


def _field_docs() -> dict[str, str]:
    """Field docstrings, read from this module's source (they are the documentation of each key)."""
    import ast  # noqa: PLC0415 - only for `config --show-defaults`
    import inspect  # noqa: PLC0415
    import itertools  # noqa: PLC0415

    tree = ast.parse(inspect.getsource(Settings))
    body = tree.body[0].body  # type: ignore[attr-defined]
    docs: dict[str, str] = {}
    for node, nxt in itertools.pairwise(body):
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(nxt, ast.Expr)
        ):
            docs[node.target.id] = str(nxt.value.value)  # type: ignore[attr-defined]
    return docs


def _toml_value(value: Any) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


_SHORT = reprlib.Repr()
_SHORT.maxstring = _SHORT.maxother = 60
_SHORT.maxlist = 8


def _short(value: Any) -> str:
    """A value as the error quotes it: cut, so a 10 MB list is not a 10 MB error line."""
    return _SHORT.repr(value)


def _coerce(name: str, default: Any, value: Any, origin: str) -> Any:
    where = f"{origin}: key '{name}'"
    if isinstance(default, int):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise InputError(f"{where} must be a non-negative integer, not {_short(value)}")
        return value
    if isinstance(default, tuple):
        if not isinstance(value, list):
            raise InputError(f"{where} must be a list, not {_short(value)}")
        if name.endswith("_ports"):
            if not all(isinstance(p, int) and not isinstance(p, bool) and 0 <= p <= 65535 for p in value):
                raise InputError(f"{where} must list port numbers 0-65535, not {_short(value)}")
            return tuple(value)
        if not all(isinstance(v, str) for v in value):
            raise InputError(f"{where} must list strings, not {_short(value)}")
        if name == "company_cidrs":
            return parse_cidrs(value, where)
        return tuple(value)
    raise InputError(f"{where} has an unsupported type")  # pragma: no cover - every field is typed above


def parse_cidrs(values: list[str] | tuple[str, ...], where: str) -> tuple[str, ...]:
    """Validate and normalise CIDRs (IPv4 and IPv6); one readable error for the first bad one."""
    result = []
    for value in values:
        try:
            result.append(str(ipaddress.ip_network(value.strip(), strict=False)))
        except ValueError:
            raise InputError(
                f"{where}: {_short(value)} is not a CIDR (e.g. 203.0.113.0/24 or 2001:db8::/32)"
            ) from None
    return tuple(result)


def from_mapping(data: dict[str, Any], origin: str) -> Settings:
    known = {f.name: f for f in fields(Settings)}
    changes: dict[str, Any] = {}
    for name, value in data.items():
        if name not in known:
            raise InputError(f"{origin}: unknown key {_short(name)} (known keys: {', '.join(known)})")
        changes[name] = _coerce(name, getattr(DEFAULTS, name), value, origin)
    return dataclasses.replace(DEFAULTS, **changes)


def load(path: Path | None) -> Settings:
    """Settings from `path`, or from ./awsaudit.toml if it exists, or the defaults."""
    if path is None:
        if not DEFAULT_FILE.is_file():
            return DEFAULTS
        path = DEFAULT_FILE
    try:
        data = tomllib.loads(limits.read_text(path, "config file"))
    except OSError as exc:
        raise InputError(f"{path}: cannot read config: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not valid TOML: not UTF-8 text") from None
    except RecursionError:  # tomllib recurses into nested arrays and inline tables
        raise InputError(f"{path}: not valid TOML: nested too deeply") from None
    return from_mapping(data, str(path))

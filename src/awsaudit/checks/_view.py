"""AccountView: how checks read one account of a snapshot, and where its heavy models live.

Checks used to walk `account["regions"]` by hand, each with its own idea of what a missing
service or a crashed collector (`_errors: {"*": code}`) means. The view is the one reading:
a collection is found in the global part or in every scanned region, and whatever could not be
read raises `Missing` with the code the collector recorded. Models that many checks share (the
IAM model, its escalation analysis, later the network graph) are built at most once per account,
under a lock, and a model that cannot be built is a `Missing` for every check that asks for it.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from awsaudit.checks._missing import Missing, reason
from awsaudit.checks._org_context import OrgContext
from awsaudit.model import Json

GLOBAL = "global"
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Location:
    """Where a service's collection sits: a region (or "global"), the data, or why there is none."""

    region: str
    data: Any
    gap: str = ""

    @property
    def found(self) -> bool:
        return not self.gap


@dataclass(frozen=True, slots=True)
class ModelSpec(Generic[T]):
    """A per-account model: a name for messages and a builder that may raise Missing."""

    name: str
    build: Callable[[AccountView], T]


class AccountView:
    """One account document, indexed for checks; read-only."""

    def __init__(
        self, account_id: str, doc: Json, partition: str = "aws", collected_at: dt.datetime | None = None,
        organization: OrgContext | None = None,
    ) -> None:
        self.id = account_id
        self.organization = organization
        """The Organization as its management account's shard describes it (None: that shard is
        not in the snapshot); see checks/_org_context.py."""
        self.doc = doc if isinstance(doc, dict) else {}
        self.partition = partition
        self.collected_at = collected_at
        self._models: dict[str, Any] = {}
        self._failed: dict[str, Missing] = {}
        self._lock = threading.RLock()
        self._arns: dict[str, Json] | None = None

    @classmethod
    def of(cls, account: Json | AccountView, collected_at: dt.datetime | None = None,
           organization: OrgContext | None = None) -> AccountView:
        """A view of a bare account document (tests and callers outside the engine)."""
        if isinstance(account, AccountView):
            return account
        doc = account if isinstance(account, dict) else {}
        arn = str(doc.get("_arn", ""))
        partition = arn.split(":")[1] if arn.count(":") > 2 and arn.split(":")[1] else "aws"
        return cls(str(doc.get("account_id") or ""), doc, partition, collected_at, organization)


    # --- the account's parts ------------------------------------------------------------------

    @property
    def global_part(self) -> Json:
        part = self.doc.get(GLOBAL)
        return part if isinstance(part, dict) else {}

    @property
    def region_parts(self) -> dict[str, Json]:
        parts = self.doc.get("regions")
        if not isinstance(parts, dict):
            return {}
        return {name: part if isinstance(part, dict) else {} for name, part in parts.items()}

    @property
    def regions(self) -> list[str]:
        """The scanned regions, sorted."""
        return sorted(self.region_parts)

    def service(self, service: str, region: str | None = None) -> Json:
        """A service's data: global when region is None, else in that region; Missing if absent."""
        part = self.global_part if region is None else self.region_parts.get(region)
        where = "" if region is None else f" in {region}"
        if part is None:
            raise Missing(service, f"region {region} was not scanned")
        data = part.get(service)
        if not isinstance(data, dict):
            raise Missing(service, f"{service} was not collected{where}")
        return data

    def locations(self, path: str) -> list[Location]:
        """Every place the collection `service.key` should be: the global part if the service is
        global, else each scanned region. A place without it carries the recorded reason."""
        service, key = path.split(".", 1)
        if service in self.global_part:
            return [_locate(GLOBAL, self.global_part.get(service), service, key)]
        found = [_locate(region, part.get(service), service, key)
                 for region, part in sorted(self.region_parts.items())]
        if any(loc.found or loc.data is not None for loc in found):
            return found
        return [Location(GLOBAL, None, f"{service} was not collected")]

    def locate(self, path: str, region: str | None = None) -> Location:
        """The collection `service.key` in one place (global when region is None), or why not."""
        service, key = path.split(".", 1)
        if region is None:
            return _locate(GLOBAL, self.global_part.get(service), service, key)
        if region not in self.region_parts:
            return Location(region, None, "region was not scanned")
        return _locate(region, self.region_parts[region].get(service), service, key)

    def collection(self, path: str, region: str | None = None) -> Any:
        """The collection in one place (global when region is None); Missing if not collected."""
        loc = self.locate(path, region)
        if not loc.found:
            raise Missing(path, loc.gap if region is None else f"{loc.gap} in {region}")
        return loc.data

    def items(self, path: str) -> tuple[list[tuple[str, Any]], list[str]]:
        """(region, item) of a collection wherever it was collected, and the gaps elsewhere.

        For checks that can decide on part of the data (a FAIL found in one region stands even
        if another region could not be read); a PASS must first see that the gaps are empty.
        """
        found: list[tuple[str, Any]] = []
        gaps: list[str] = []
        if not self.region_parts and path.split(".", 1)[0] not in self.global_part:
            return [], [f"{path}: no region was scanned"]
        for loc in self.locations(path):
            if not loc.found:
                gaps.append(f"{path} in {loc.region}: {loc.gap}")
                continue
            values = loc.data if isinstance(loc.data, list) else [loc.data]
            found.extend((loc.region, item) for item in values)
        return found, gaps

    def all(self, path: str) -> list[tuple[str, Any]]:
        """(region, item) in every place; Missing if any place could not be read."""
        found, gaps = self.items(path)
        if gaps:
            raise Missing(path, "; ".join(gaps))
        return found

    def each(self, path: str) -> Iterator[tuple[str, Any]]:
        yield from self.all(path)

    def by_arn(self, arn: str) -> Json | None:
        """Any collected resource by its `_arn` (index built on first use)."""
        with self._lock:
            if self._arns is None:
                self._arns = {}
                for part in (self.global_part, *self.region_parts.values()):
                    for data in part.values():
                        if not isinstance(data, dict):
                            continue
                        for value in data.values():
                            for item in value if isinstance(value, list) else [value]:
                                if isinstance(item, dict) and isinstance(item.get("_arn"), str):
                                    self._arns.setdefault(item["_arn"], item)
            return self._arns.get(arn)

    # --- models -------------------------------------------------------------------------------

    def model(self, spec: ModelSpec[T]) -> T:
        """The account's model `spec`, built on first use and shared by every check after."""
        with self._lock:
            if spec.name in self._failed:
                raise self._failed[spec.name]
            if spec.name not in self._models:
                try:
                    self._models[spec.name] = spec.build(self)
                except Missing as missing:
                    self._failed[spec.name] = missing
                    raise
            value: T = self._models[spec.name]
            return value


def _locate(region: str, data: Any, service: str, key: str) -> Location:
    if not isinstance(data, dict):
        return Location(region, None, f"{service} was not collected")
    if key not in data:
        return Location(region, data, reason(data, key))
    return Location(region, data[key])

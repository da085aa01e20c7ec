"""The CIS v5.0 and v6.0 framework files: complete, well formed, and aligned with CIS v7.0.

The older versions renumber the same recommendations, so their files point at the v7.0 control
(`same_as`) instead of repeating check lists. These tests pin what the files claim: the number of
recommendations in each benchmark, the fields every control carries, and that every `same_as`
names a real v7.0 control.
"""

from __future__ import annotations

import re
from collections import Counter
from importlib import resources
from typing import Any

import pytest

from awsaudit.checks import load_all
from awsaudit.frameworks import frameworks

# The CIS v7.0.0 control IDs, as listed in the table of ../shared/controls.md.
V7_IDS = (
    "2.1.1", "2.1.2", "2.1.3", "2.1.4", "2.1.5", "2.1.6",
    "2.2", "2.3", "2.4", "2.5", "2.6", "2.7", "2.8", "2.9", "2.10", "2.11", "2.12", "2.13",
    "2.14", "2.15", "2.16", "2.17", "2.18", "2.19", "2.20", "2.21",
    "3.1.1", "3.1.2", "3.1.3", "3.1.4", "3.2.1", "3.2.2", "3.2.3", "3.2.4", "3.3.1",
    "4.1", "4.2", "4.3", "4.4", "4.5", "4.6", "4.7", "4.8", "4.9", "4.10",
    "5.1", "5.2", "5.3", "5.4", "5.5", "5.6", "5.7", "5.8", "5.9", "5.10", "5.11", "5.12",
    "5.13", "5.14", "5.15", "5.16",
    "6.1.1", "6.1.2", "6.2", "6.3", "6.4", "6.5", "6.6", "6.7", "6.8",
)  # fmt: skip

# v7.0 recommendations that v5.0 and v6.0 do not have: the Organizations items, resource
# policies with Principal "*", web front-end access logging, VPC endpoints.
NEW_IN_V7 = frozenset({"2.1.1", "2.1.2", "2.1.3", "2.1.4", "2.1.5", "2.1.6", "2.21", "4.10", "6.8"})

# Recommendations per benchmark (sections 1-5 of v5.0.0, 2-6 of v6.0.0: 21 + 9 + 9 + 16 + 8).
COUNTS = {"cis-5.0": 63, "cis-6.0": 63}

OLDER = tuple(COUNTS)


def _controls(fw_id: str) -> dict[str, dict[str, Any]]:
    controls: dict[str, dict[str, Any]] = frameworks()[fw_id]["controls"]
    return controls


def test_v7_id_list_is_the_controls_md_table() -> None:
    assert len(V7_IDS) == len(set(V7_IDS)) == 70
    assert set(V7_IDS) >= NEW_IN_V7


@pytest.mark.parametrize("fw_id", OLDER)
def test_file_loads_with_its_metadata(fw_id: str) -> None:
    meta = frameworks()[fw_id]["framework"]
    assert meta["id"] == fw_id
    assert meta["title"] == "CIS Amazon Web Services Foundations Benchmark"
    assert meta["version"] == fw_id.removeprefix("cis-") + ".0"
    assert meta["same_checks_as"] == "cis-7.0"


@pytest.mark.parametrize("fw_id", OLDER)
def test_control_count_matches_the_benchmark(fw_id: str) -> None:
    assert len(_controls(fw_id)) == COUNTS[fw_id]


@pytest.mark.parametrize("fw_id", OLDER)
def test_no_duplicate_control_ids(fw_id: str) -> None:
    text = (resources.files("awsaudit.frameworks") / f"{fw_id}.toml").read_text(encoding="utf-8")
    headers = Counter(re.findall(r'^\[controls\."([^"]+)"\]', text, flags=re.MULTILINE))
    assert [cid for cid, n in headers.items() if n > 1] == []
    assert len(headers) == COUNTS[fw_id]


@pytest.mark.parametrize("fw_id", OLDER)
def test_every_control_has_title_profile_and_assessment(fw_id: str) -> None:
    for cid, control in _controls(fw_id).items():
        assert re.fullmatch(r"\d+(\.\d+){1,2}", cid), cid
        assert isinstance(control.get("title"), str) and control["title"].strip(), cid
        assert control.get("profile") in {"L1", "L2"}, cid
        assert control.get("assessment") in {"automated", "manual"}, cid


@pytest.mark.parametrize("fw_id", OLDER)
def test_same_as_names_a_v7_control(fw_id: str) -> None:
    targets = [c["same_as"] for c in _controls(fw_id).values() if "same_as" in c]
    assert set(targets) - set(V7_IDS) == set()
    assert len(targets) == len(set(targets)), "two controls claim the same v7.0 control"
    # Every v7.0 recommendation that existed before is the equivalent of exactly one old one.
    assert set(targets) == set(V7_IDS) - NEW_IN_V7


@pytest.mark.parametrize("fw_id", OLDER)
def test_controls_without_v7_equivalent_list_their_checks(fw_id: str) -> None:
    known = set(load_all())
    for cid, control in _controls(fw_id).items():
        if "same_as" in control:
            assert "checks" not in control, f"{cid}: same_as and checks together"
            continue
        assert isinstance(control.get("checks"), list), cid
        assert set(control["checks"]) <= known, cid
        assert control.get("note", "").strip(), f"{cid}: say why it has no v7.0 equivalent"


def test_v5_and_v6_align_the_same_recommendation_to_the_same_v7_control() -> None:
    def by_title(fw_id: str) -> dict[str, str | None]:
        return {c["title"]: c.get("same_as") for c in _controls(fw_id).values()}

    assert by_title("cis-5.0") == by_title("cis-6.0")


def test_cis_v7_file_has_every_v7_control() -> None:
    assert set(V7_IDS) - set(_controls("cis-7.0")) == set()

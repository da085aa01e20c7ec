"""Fuzzing what the user hands awsaudit: config files (TOML) and mutelists (YAML).

Each gives Settings / a Mutelist, or one InputError line (exit 2); a mutelist then mutes a
thousand findings with long ARNs within a time bound (its regexes run on RE2).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from awsaudit import settings
from awsaudit.errors import InputError
from awsaudit.model import Finding, Objective, Severity, Status
from awsaudit.report import mutelist
from tests.fuzz._support import bound, fuzz, one_line

KEYS = [f.name for f in dataclasses.fields(settings.Settings)]
TOML_VALUES = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63 - 1).map(str),
    st.sampled_from(
        [
            "true",
            "1.5",
            "nan",
            "inf",
            "1979-05-27",
            '"x"',
            "'''multi\nline'''",
            "[]",
            "{}",
            "[1, 2, 65536]",
            '["10.0.0.0/8", "not-a-cidr"]',
            '["a", 1]',
            "[[1], [2]]",
            '"' + "9" * 5000 + '"',
            "[" * 3000 + "]" * 3000,
            '"\\u001b[2J"',
            "{ a = 1 }",
        ]
    ),
    st.lists(st.integers(min_value=-5, max_value=70000), max_size=5).map(str),
    st.text(max_size=20).map(lambda t: '"' + t.replace("\\", "\\\\").replace('"', '\\"') + '"'),
)
TOML_LINE = st.one_of(
    st.builds(
        lambda k, v: f"{k} = {v}", st.sampled_from([*KEYS, "unknown", '"quoted\\nkey"', "a.b"]), TOML_VALUES
    ),
    st.sampled_from(["[table]", "[[array]]", "# comment", "", "=", "key =", "x = 1 = 2"]),
    st.text(max_size=30),
)


@fuzz(300)
@given(lines=st.lists(TOML_LINE, max_size=8))
def test_a_config_file_loads_or_is_one_line(
    lines: list[str], tmp_path_factory: pytest.TempPathFactory
) -> None:
    path = tmp_path_factory.mktemp("config") / "awsaudit.toml"
    path.write_text("\n".join(lines), encoding="utf-8", errors="surrogatepass")
    try:
        with bound(5):
            loaded = settings.load(path)
    except InputError as refused:
        one_line(str(refused))
        assert len(str(refused)) < 2000
        return
    assert isinstance(loaded, settings.Settings)


@fuzz(100)
@given(data=st.binary(max_size=300))
def test_a_binary_config_file_is_one_line(data: bytes, tmp_path_factory: pytest.TempPathFactory) -> None:
    path = tmp_path_factory.mktemp("config") / "awsaudit.toml"
    path.write_bytes(data)
    try:
        settings.load(path)
    except InputError as refused:
        one_line(str(refused))


LONG_ARN = "arn:aws:s3:::" + "a" * 3000
FINDINGS = [
    Finding(
        "s3_bucket_no_public_read",
        "t",
        status,
        Severity.HIGH,
        Objective.CONFIDENTIALITY,
        "m",
        "111122223333",
        "eu-west-1",
        f"{LONG_ARN}{i}",
    )
    for i, status in zip(
        range(1000), [Status.FAIL, Status.PASS, Status.UNKNOWN, Status.MANUAL] * 250, strict=True
    )
]
CATASTROPHIC = ["(a+)+$", "(a|aa)+$", "(a*)*b", "(.*a){20}", "^(([a-z])+.)+[A-Z]([a-z])+$", "(x+x+)+y"]
SCALARS = st.one_of(
    st.sampled_from(
        [
            "'111122223333'",
            "111122223333",
            "eu-*",
            "s3_*",
            "'*'",
            "~",
            "[]",
            "{}",
            "2026-06-30",
            "2026-02-30",
            "yes",
            "!!python/object:os.system ls",
            "&a x",
            "*a",
            "'regex:(['",
            "|\n      multi",
            '"\\x1b[2J"',
        ]
    ),
    st.sampled_from(CATASTROPHIC).map(lambda r: f"'regex:arn:aws:s3:::{r}'"),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=15).map(repr),
)
FIELD = st.builds(lambda k, v: f"    {k}: {v}", st.sampled_from([*mutelist.KEYS, "reson", "tags"]), SCALARS)
ENTRY = st.lists(FIELD, min_size=1, max_size=5).map(lambda fields: "  - " + "\n".join(fields).lstrip())


@fuzz(300)
@given(
    head=st.sampled_from(
        [
            "mutes:\n",
            "version: 1\nmutes:\n",
            "version: 2\nmutes:\n",
            "mute:\n",
            "",
            "- x\n",
            "base: &b {reason: r}\nmutes:\n  - *b\n",
        ]
    ),
    entries=st.lists(ENTRY, max_size=4),
    tail=st.text(max_size=20),
)
def test_a_mutelist_parses_and_applies_in_bounded_time_or_is_one_line(
    head: str, entries: list[str], tail: str
) -> None:
    text = head + "\n".join(entries) + ("\n" + tail if tail else "")
    try:
        with bound(5):
            parsed = mutelist.parse(text, "m.yaml")
    except InputError as refused:
        one_line(str(refused))
        assert str(refused).startswith("m.yaml")
        return
    with bound(5):
        out, report = mutelist.apply(parsed, FINDINGS, {}, dt.date(2026, 1, 1))
    assert len(out) == len(FINDINGS)
    assert all(
        f.status is not Status.MUTED or o.status is not Status.PASS
        for f, o in zip(out, FINDINGS, strict=True)
    )
    report.to_json()


@pytest.mark.parametrize("pattern", CATASTROPHIC)
def test_catastrophic_regexes_mute_in_linear_time(pattern: str) -> None:
    parsed = mutelist.parse(f"mutes:\n  - resource: 'regex:arn:aws:s3:::{pattern}'\n    reason: r\n")
    with bound(2):
        mutelist.apply(parsed, FINDINGS, {}, dt.date(2026, 1, 1))


def test_a_huge_mutelist_file_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from awsaudit.untrusted import limits  # noqa: PLC0415

    monkeypatch.setattr(limits, "TEXT_FILE_LIMIT", 10_000)
    path = tmp_path / "m.yaml"
    path.write_text("mutes:\n" + "  - {check: x, reason: r}\n" * 1000, encoding="utf-8")
    with pytest.raises(InputError) as refused:
        mutelist.load(path)
    one_line(str(refused.value))

"""Bounded input: every reader stops at a documented limit with one line and exit 2."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from awsaudit import settings
from awsaudit.cli import main
from awsaudit.errors import InputError
from awsaudit.untrusted import limits


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def one_line_error(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output[:2000]
    assert lines[0].startswith("awsaudit: error: "), lines[0]
    assert "Traceback" not in output
    return lines[0]


def test_dev_zero_is_refused_at_its_first_byte(tmp_path: Path) -> None:
    code, output = run("audit", "/dev/zero", "-o", str(tmp_path / "out"), "-q")
    assert code == 2
    assert "neither gzip nor a JSON object" in one_line_error(output)


def test_a_gzip_bomb_is_refused_before_it_is_decompressed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(limits.INPUT_LIMIT_ENV, "1")
    bomb = tmp_path / "bomb.json.gz"
    bomb.write_bytes(gzip.compress(b'{"kind": "awsaudit-snapshot", "pad": "' + b"0" * (20 << 20) + b'"}\n'))
    assert bomb.stat().st_size < 100_000
    code, output = run("audit", str(bomb), "-o", str(tmp_path / "out"), "-q")
    assert code == 2
    assert "larger than the 1 MiB limit (raise it with AWSAUDIT_MAX_INPUT_MB)" in one_line_error(output)


def test_a_huge_plain_json_snapshot_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(limits.INPUT_LIMIT_ENV, "1")
    big = tmp_path / "big.json"
    big.write_text('{"pad": "' + "x" * (2 << 20) + '"}', encoding="utf-8")
    code, output = run("audit", str(big), "-o", str(tmp_path / "out"), "-q")
    assert code == 2
    assert "larger than the 1 MiB limit" in one_line_error(output)


def test_the_limit_variable_must_be_a_number(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(limits.INPUT_LIMIT_ENV, "lots")
    code, output = run("audit", "/dev/zero", "-o", str(tmp_path / "out"), "-q")
    assert code == 2
    assert "AWSAUDIT_MAX_INPUT_MB='lots'" in one_line_error(output)


def test_deeply_nested_snapshot_is_one_line(tmp_path: Path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text(
        '{"kind": "awsaudit-snapshot", "schema_version": 2, "x": ' + "[" * 100_000 + "]" * 100_000 + "}",
        encoding="utf-8",
    )
    code, output = run("audit", str(deep), "-o", str(tmp_path / "out"), "-q")
    assert code == 2
    assert "nested too deeply" in one_line_error(output)


def test_a_huge_config_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "TEXT_FILE_LIMIT", 1024)
    config = tmp_path / "awsaudit.toml"
    config.write_text("# padding\n" * 200, encoding="utf-8")
    with pytest.raises(InputError, match="config file is larger than the 1024 bytes limit"):
        settings.load(config)


def test_a_deeply_nested_config_file_is_one_line(tmp_path: Path) -> None:
    config = tmp_path / "awsaudit.toml"
    config.write_text("admin_ports = " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="nested too deeply"):
        settings.load(config)


def test_simulate_refuses_a_100000_level_document_in_one_line(tmp_path: Path) -> None:
    doc = tmp_path / "sim.json"
    doc.write_text('{"policies": ' + "[" * 100_000 + "]" * 100_000 + "}", encoding="utf-8")
    code, output = run("iam", "simulate", str(doc))
    assert code == 2
    assert "nested too deeply" in one_line_error(output)


def test_simulate_refuses_a_document_nested_past_the_limit(tmp_path: Path) -> None:
    condition: object = "x"
    for _ in range(limits.MAX_DEPTH + 5):
        condition = {"k": condition}
    doc = tmp_path / "sim.json"
    doc.write_text(json.dumps({"policies": [condition]}), encoding="utf-8")
    code, output = run("iam", "simulate", str(doc))
    assert code == 2
    assert f"nested deeper than {limits.MAX_DEPTH} levels" in one_line_error(output)


def test_depth_is_counted_without_recursion() -> None:
    value: object = 1
    for _ in range(50_000):
        value = [value]
    assert limits.depth(value, 10) == 11
    assert limits.depth({"a": [1, {"b": 2}]}) == 3
    assert limits.depth("scalar") == 0


def test_simulate_summarises_thousands_of_unknown_actions(tmp_path: Path) -> None:
    """A 5 MB policy of unknown actions used to print one warning line per action (22,000)."""
    actions = [f"madeup{i}:Action{i}" for i in range(200_000)]
    statement = {"Effect": "Deny", "Action": actions, "Resource": "*"}
    document = {
        "principal": "user/alice",
        "queries": [["s3:GetObject", "*"]],
        "policies": [
            {
                "attached_to": "user",
                "name": "big",
                "document": {"Version": "2012-10-17", "Statement": [statement]},
            }
        ],
    }
    path = tmp_path / "sim.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    assert path.stat().st_size > 5_000_000
    result = CliRunner().invoke(main, ["iam", "simulate", str(path)])
    assert result.exit_code == 0, result.stderr[-500:]
    warnings = result.stderr.splitlines()
    assert len(warnings) == 21
    assert "and 199,980 more actions not in the catalogue (200,000 in all" in warnings[-1]
    assert json.loads(result.stdout)["decisions"] == [["s3:GetObject", "*", False]]

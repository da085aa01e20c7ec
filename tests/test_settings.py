"""Tunables: defaults, config files, and one readable error for each kind of mistake."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from awsaudit import settings
from awsaudit.cli import main
from awsaudit.errors import InputError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "awsaudit.toml"
    path.write_text(text)
    return path


def test_defaults_round_trip_through_show_defaults(tmp_path: Path) -> None:
    shown = CliRunner().invoke(main, ["config", "--show-defaults"]).output
    assert settings.load(write(tmp_path, shown)) == settings.DEFAULTS
    assert "company_cidrs = []" in shown and "# Networks the company administers from" in shown


def test_values_are_read_and_normalised(tmp_path: Path) -> None:
    loaded = settings.load(
        write(
            tmp_path,
            'company_cidrs = ["203.0.113.7/24", "2001:db8::/32"]\n'
            "access_key_max_age_days = 30\nadmin_ports = [22]\n",
        )
    )
    assert loaded.company_cidrs == ("203.0.113.0/24", "2001:db8::/32")
    assert loaded.access_key_max_age_days == 30 and loaded.admin_ports == (22,)
    assert loaded.password_min_length == settings.DEFAULTS.password_min_length


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("colour = 1\n", "unknown key 'colour'"),
        ('access_key_max_age_days = "ninety"\n', "'access_key_max_age_days' must be a non-negative integer"),
        ("admin_ports = [22, 70000]\n", "'admin_ports' must list port numbers"),
        ('company_cidrs = ["10.0.0.0/33"]\n', "'10.0.0.0/33' is not a CIDR"),
        ("company_cidrs = [\n", "not valid TOML"),
    ],
)
def test_bad_config_names_the_key_and_problem(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(InputError, match=message) as caught:
        settings.load(path)
    assert str(path) in str(caught.value) and "\n" not in str(caught.value)


def test_bad_config_fails_the_command_before_any_work(tmp_path: Path) -> None:
    path = write(tmp_path, "colour = 1\n")
    result = CliRunner().invoke(main, ["audit", str(tmp_path / "missing.json.gz"), "--config", str(path)])
    assert result.exit_code == 2
    assert "unknown key 'colour'" in result.output

"""The command line: `awsaudit` and its subcommands. The only layer that prints errors and exits.

The group lives here; each command lives in the module of its kind (audit, catalogue, iam) and
is attached below, so no command module imports this one.
"""

from __future__ import annotations

import logging
import sys

import click

from awsaudit import __version__
from awsaudit.cli import audit, catalogue, exposure, history, iam
from awsaudit.untrusted.text import visible


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="awsaudit")
@click.option("--verbose", "-v", count=True, help="More logging on stderr (-v info, -vv debug).")
def main(verbose: int) -> None:
    """Audit an AWS account against a security baseline and CIS AWS Foundations.

    \b
    Start here:
      awsaudit demo                  audit a simulated, misconfigured account (no AWS needed)
      awsaudit scan                  audit the account of your current AWS credentials
      awsaudit collect -o s.json.gz  only collect a snapshot (e.g. on the client's side)
      awsaudit audit s.json.gz       evaluate a saved snapshot offline
      awsaudit report findings.json -o DIR   re-render an earlier scan's reports from its findings.json
      awsaudit checks                list the checks and the controls they assess
      awsaudit iam who-can ACTION    who can do what (IAM policy engine; also `iam paths`, `iam can`)
      awsaudit exposure [--snapshot s.json.gz]  what the internet can really reach (live without a snapshot)
      awsaudit history               the recorded scans (also `history prune`)
      awsaudit diff [OLD] [NEW]      what changed since the last audit (scan ids or snapshot files)

    \b
    Tunables (company IP ranges, ports, thresholds): awsaudit config --show-defaults
    Permissions the scan needs (read-only):           awsaudit permissions

    Exit codes: 0 ok, 1 findings at or above --fail-on, 2 usage or input error, 3 the audit is
    not whole (a service not collected, a check or awsaudit crashed), 130 Ctrl-C, 143 SIGTERM.
    """
    level = logging.WARNING - 10 * min(verbose, 2)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(VisibleFormatter("%(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler])
    for name in WIRE_LOGGERS:  # their DEBUG lines carry request headers: the session token
        logging.getLogger(name).setLevel(max(level, logging.INFO))


WIRE_LOGGERS = ("botocore", "boto3", "urllib3", "s3transfer")
"""Loggers that, at DEBUG, write every request's headers and bodies (X-Amz-Security-Token, the
responses' data): capped at INFO even with -vv, so credentials never reach a log."""


class VisibleFormatter(logging.Formatter):
    """Log lines carry account text (names, error messages): shown with visible(), never as control."""

    def format(self, record: logging.LogRecord) -> str:
        return visible(super().format(record), keep_newlines=True)


for command in (audit.demo, audit.scan, audit.collect, audit.audit, audit.report_command,
                catalogue.config, catalogue.permissions, catalogue.list_checks, iam.iam,
                exposure.exposure, history.history, history.diff):
    main.add_command(command)

"""Errors that end a command, each with the exit code the CLI returns.

    AuditError (exit 3)
    ├── InputError (exit 2)      bad arguments, config, credentials
    │   └── SnapshotError        a file that is not a snapshot we can read
    └── ScanError (exit 3)       the scan could not run at all

Only `cli.py` catches these; it prints `str(error)` as one line and exits with
`error.exit_code`. Per-resource AWS failures are not errors: they are recorded
in the snapshot and become UNKNOWN findings.
"""


class AuditError(Exception):
    exit_code = 3


class InputError(AuditError):
    exit_code = 2


class SnapshotError(InputError):
    pass


class ScanError(AuditError):
    exit_code = 3

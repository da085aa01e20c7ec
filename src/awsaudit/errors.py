"""Errors that end a command, each with the exit code the CLI returns.

    AuditError (exit 3)
    ├── InputError (exit 2)      bad arguments, config, credentials
    │   ├── SnapshotError        a file that is not a snapshot we can read
    │   └── StoreError           a history store that is corrupt, locked, foreign or too new
    ├── ScanError (exit 3)       the scan could not run at all
    └── ScanInterrupted (130)    Ctrl-C: carries what was collected so far, which the CLI saves

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


class ScanInterrupted(AuditError):  # noqa: N818 - a stop, not an error
    """The user stopped the scan; `snapshot` holds everything collected until then."""

    exit_code = 130

    def __init__(self, snapshot: dict[str, object], message: str = "scan interrupted") -> None:
        super().__init__(message)
        self.snapshot = snapshot


class StoreError(InputError):
    """The history store cannot be used (corrupt, locked, foreign, newer schema): exit 2.

    The message names the file and says it was left untouched: the store is never recreated
    over a file we cannot read, since that file may hold the only copy of years of scans.
    """

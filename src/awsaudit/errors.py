"""Errors that end a command, each with the exit code the CLI returns.

    AuditError (exit 3)
    ├── InputError (exit 2)      bad arguments, config, credentials
    │   ├── SnapshotError        a file that is not a snapshot we can read
    │   └── StoreError           a history store that is corrupt, locked, foreign or too new
    ├── ScanError (exit 3)       the scan could not run at all
    ├── ScanInterrupted (130)    Ctrl-C (143 for SIGTERM): carries what was collected so far,
    │                            which the CLI saves, marked incomplete
    └── SnapshotWriteError (3)      the snapshot file could not be written: carries the snapshot,
                                 which the CLI saves elsewhere

    Terminated (a KeyboardInterrupt) SIGTERM during a collection, raised in the main thread so
                                 that it takes Ctrl-C's path (what was collected is kept)

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

    def __init__(self, snapshot: dict[str, object], message: str = "scan interrupted",
                 exit_code: int = 130) -> None:
        super().__init__(message)
        self.snapshot = snapshot
        self.exit_code = exit_code


class SnapshotWriteError(ScanError):
    """Writing the snapshot failed (disk full, folder gone); `snapshot` is the collected data."""

    def __init__(self, snapshot: dict[str, object], message: str) -> None:
        super().__init__(message)
        self.snapshot = snapshot


class Terminated(KeyboardInterrupt):
    """SIGTERM, turned into an interrupt in the main thread: the same path as Ctrl-C, exit 143."""

    signal_exit_code = 143


class StoreError(InputError):
    """The history store cannot be used (corrupt, locked, foreign, newer schema): exit 2.

    The message names the file and says it was left untouched: the store is never recreated
    over a file we cannot read, since that file may hold the only copy of years of scans.
    """

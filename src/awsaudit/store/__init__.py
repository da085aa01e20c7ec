"""The scan history: every scan kept in SQLite, and what changed between two of them.

    db.py         the connection (WAL, busy timeout), the versioned schema and its migrations
    resources.py  the resources of an account document and their configuration fingerprints
    history.py    record a ScanResult with its resources, list, load, prune, trends
    diff.py       findings new / resolved / still open / changed; field-level resource diffs

Downstream of the snapshot and the report record (it stores ScanResult); the checks never
import it: the CLI asks the store and hands what it found to a pure derive step.
"""

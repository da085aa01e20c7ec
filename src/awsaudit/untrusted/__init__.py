"""Defences for what awsaudit reads from others: bounded reads, bounded nesting, and text made
safe for terminals and spreadsheets.

Snapshots, mutelists, config files and policy documents come from clients and from the audited
account, so they may be hostile. See docs/hostile-input.md for every limit and what is escaped.
"""

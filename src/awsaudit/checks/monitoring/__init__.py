"""Monitoring checks (MON-1..6, CIS 5.x): metric-filter alarm chains on CloudTrail events, Security
Hub."""

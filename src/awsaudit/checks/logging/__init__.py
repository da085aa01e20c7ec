"""Logging checks (LOG-1..6, CIS 4.x): CloudTrail, AWS Config, KMS key rotation, VPC flow logs and
access logs."""

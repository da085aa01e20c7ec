"""IAM checks (IAM-1..11, CIS 2.4-2.21): root, users and credentials, password policy, privileges on
the policy engine, trust, resource policies."""

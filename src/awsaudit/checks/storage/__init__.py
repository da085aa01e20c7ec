"""Storage checks (CIS 3.2-3.3, 6.1.1): RDS and EFS encryption and resilience, EBS default encryption."""

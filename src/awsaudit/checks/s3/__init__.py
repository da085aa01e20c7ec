"""S3 checks (S3-1..3, CIS 3.1.x): encryption, public access, HTTPS, MFA Delete, Macie, and review of
configuration changes."""

"""awsaudit: audit AWS accounts and Organizations for security misconfigurations."""

__version__ = "0.1.0"

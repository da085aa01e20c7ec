"""Allow `python -m awsaudit`."""

from awsaudit.cli import main

main()

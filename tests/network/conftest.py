"""The lab fixture: a moto VPC with an attached internet gateway."""

from __future__ import annotations

import boto3
import pytest

from tests.conftest import REGION
from tests.network.lab import Lab


@pytest.fixture
def lab(session: boto3.Session) -> Lab:
    return Lab(session.client("ec2", region_name=REGION))

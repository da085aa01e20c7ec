"""s3 collector (to be written)."""

from awsaudit.collect._call import Context
from awsaudit.model import Json

PRODUCES: tuple[str, ...] = ()
ACTIONS: tuple[str, ...] = ()


def collect(ctx: Context) -> Json:
    return {}

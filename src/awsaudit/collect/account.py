"""account collector: the account's contact information and its alternate contacts (billing,
operations, security), through the Account Management API.

An alternate contact that was never set answers ResourceNotFoundException: stored as None.
"""

from __future__ import annotations

from awsaudit.collect._call import Context, call
from awsaudit.model import Json

SCOPE = "global"
PRODUCES: tuple[str, ...] = ("contacts",)
ACTIONS: tuple[str, ...] = ("account:GetAlternateContact", "account:GetContactInformation")

CONTACT_TYPES = ("BILLING", "OPERATIONS", "SECURITY")
NOT_SET = frozenset({"ResourceNotFoundException"})


def collect(ctx: Context) -> Json:
    client = ctx.client("account")
    arn = f"arn:{ctx.partition}:account::{ctx.account}:account"
    contacts: Json = {"_arn": arn}
    call(ctx, client, "get_contact_information", into=contacts, key="ContactInformation", resource=arn,
         select="ContactInformation", unset=NOT_SET)
    alternate: Json = {}
    for contact_type in CONTACT_TYPES:
        call(ctx, client, "get_alternate_contact", into=alternate, key=contact_type, resource=arn,
             select="AlternateContact", unset=NOT_SET, AlternateContactType=contact_type)
    contacts["AlternateContacts"] = alternate
    return {"contacts": contacts}

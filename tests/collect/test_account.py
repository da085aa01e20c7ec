"""account collector: alternate contacts against moto (unset is None), contact information through
botocore's Stubber (moto has not implemented GetContactInformation), denied calls, evaluation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
from botocore.stub import Stubber

from awsaudit.checks import evaluate
from awsaudit.checks.account.structure import (
    account_contact_details_current,
    account_security_contact_registered,
)
from awsaudit.collect import account
from awsaudit.collect._call import Context
from awsaudit.model import Json, Status
from tests.conftest import ACCOUNT

ARN = f"arn:aws:account::{ACCOUNT}:account"
SECURITY: Json = {"AlternateContactType": "SECURITY", "Name": "Security team", "Title": "SecOps",
                  "EmailAddress": "security@acme.example", "PhoneNumber": "+353-1-555-0199"}
INFO: Json = {"FullName": "Acme Corp", "AddressLine1": "12 Harbour Road", "City": "Dublin",
              "CountryCode": "IE", "PostalCode": "D02", "PhoneNumber": "+353-1-555-0100"}


def test_alternate_contacts_from_moto(ctx: Context, session: boto3.Session) -> None:
    client: Any = session.client("account")
    client.put_alternate_contact(AlternateContactType="SECURITY", Name="Security team", Title="SecOps",
                                 EmailAddress="security@acme.example", PhoneNumber="+353-1-555-0199")

    contacts = account.collect(ctx)["contacts"]

    assert contacts["_arn"] == ARN
    assert contacts["AlternateContacts"] == {"BILLING": None, "OPERATIONS": None, "SECURITY": SECURITY}
    # moto answers GetContactInformation with a 404 "Not yet implemented": recorded, not guessed.
    assert "ContactInformation" not in contacts
    assert [e["operation"] for e in ctx.errors] == ["GetContactInformation"]


def test_everything_through_stubber(ctx: Context) -> None:
    client = ctx.client("account")
    with Stubber(client) as stub:
        stub.add_response("get_contact_information", {"ContactInformation": INFO})
        stub.add_client_error("get_alternate_contact", "ResourceNotFoundException", http_status_code=404,
                              expected_params={"AlternateContactType": "BILLING"})
        stub.add_client_error("get_alternate_contact", "AccessDeniedException", http_status_code=403,
                              expected_params={"AlternateContactType": "OPERATIONS"})
        stub.add_response("get_alternate_contact", {"AlternateContact": SECURITY},
                          expected_params={"AlternateContactType": "SECURITY"})
        contacts = account.collect(ctx)["contacts"]
        stub.assert_no_pending_responses()

    assert contacts["ContactInformation"] == INFO
    assert contacts["AlternateContacts"] == {"BILLING": None, "SECURITY": SECURITY,
                                             "_errors": {"OPERATIONS": "AccessDeniedException"}}
    assert [(e["operation"], e["resource"], e["code"]) for e in ctx.errors] == [
        ("GetAlternateContact", ARN, "AccessDeniedException")]


def test_denied_security_contact(ctx: Context, deny: Callable[..., None]) -> None:
    deny("GetAlternateContact", "GetContactInformation")

    contacts = account.collect(ctx)["contacts"]

    assert contacts["_errors"] == {"ContactInformation": "AccessDenied"}
    assert contacts["AlternateContacts"]["_errors"] == dict.fromkeys(("BILLING", "OPERATIONS", "SECURITY"),
                                                                     "AccessDenied")
    assert len(ctx.errors) == 4


def test_collected_contacts_evaluate(ctx: Context, session: boto3.Session) -> None:
    client = ctx.client("account")
    with Stubber(client) as stub:
        stub.add_response("get_contact_information", {"ContactInformation": INFO})
        for _ in range(3):
            stub.add_client_error("get_alternate_contact", "ResourceNotFoundException", http_status_code=404)
        data = account.collect(ctx)
    snapshot = {"accounts": {ACCOUNT: {"account_id": ACCOUNT, "global": {"account": data}}}}

    findings = {f.check_id: f for f in evaluate(
        snapshot, [account_contact_details_current, account_security_contact_registered])}

    assert findings["account_security_contact_registered"].status is Status.FAIL
    assert findings["account_security_contact_registered"].resource == ARN
    assert findings["account_contact_details_current"].status is Status.MANUAL
    assert findings["account_contact_details_current"].evidence["ContactInformation"] == INFO

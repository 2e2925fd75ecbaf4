"""The provider journey through `make run` (embedded mode, in-process outbox), over real HTTP:
register -> staff approve -> a service described, submitted, published -> a resident finds it
under a theme and hands off with consent -> the provider's system exchanges the code -> the
OWNER invites the resident, cancels, invites again, and the resident joins."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from mock_wechat.client import MiniProgram, UploadRefused, document_id
from mock_wechat.journey import login_journey, provider_journey
from tests.identity import id_number, phone_number


@asynccontextmanager
async def people(
    dev_server: tuple[str, str], owner_name: str, resident_name: str
) -> AsyncIterator[tuple[MiniProgram, MiniProgram, str]]:
    """An owner-to-be, signed in (registering needs nothing more), and a resident with a
    bound phone and a verified real name (both shareable), with the resident's phone."""
    api, mock = dev_server
    async with (
        httpx.AsyncClient(base_url=api, timeout=30) as api_client,
        httpx.AsyncClient(base_url=mock) as phone,
    ):
        owner = MiniProgram(api_client, phone, owner_name)
        resident = MiniProgram(api_client, phone, resident_name)
        await owner.login()
        number = phone_number()
        await login_journey(resident, phone=number, id_number=id_number())
        yield owner, resident, number


async def test_make_run_serves_the_provider_journey(dev_server: tuple[str, str]) -> None:
    async with people(dev_server, "provider-owner", "buyer") as (owner, resident, number):
        steps = await provider_journey(owner, resident, resident_phone=number)
        demo = await resident.search_provider_services("过户")

    assert steps == [
        "registerProvider        -> Provider PENDING",
        "reviewProvider          -> APPROVED",
        "me.roles                -> PROVIDER,RESIDENT",
        "createProviderService   -> ProviderService DRAFT",
        "submitProviderService   -> SUBMITTED",
        "reviewProviderService   -> {'status': 'PUBLISHED'}",
        "theme.providerServices  -> found (social service)",
        "grantHandoffConsent     -> HandoffGrant H5",
        "provider API exchange   -> HTTP 200 ['NAME', 'PHONE'] 张* +86138****",
        "myConsents              -> exchanged=True",
        "withdrawHandoffConsent  -> HandoffConsent active=False",
        f"inviteProviderMember    -> ProviderInvitation {number[:3]}****{number[-4:]}",
        "cancelProviderInvitation -> ProviderInvitation cancelled=True",
        "myProviderInvitations   -> 成都蓉城家政服务有限公司（演示） EDITOR",
        "acceptProviderInvitation -> AcceptProviderInvitationError INVITATION_CANCELLED",
        "acceptProviderInvitation -> Provider APPROVED",
    ]
    # The demo seed's social services, marked as demo data, found by keyword.
    names = sorted(edge["node"]["name"] for edge in demo["edges"])
    assert {"自来水过户（演示）", "电力过户（演示）", "燃气过户（演示）"} <= set(names)


async def test_the_provider_journey_runs_again_for_the_same_people(
    dev_server: tuple[str, str],
) -> None:
    """A second run registers a second organisation with the same owner, who then belongs to
    two: the journey names its organisation wherever the API would otherwise have to guess."""
    async with people(dev_server, "provider-owner-again", "buyer-again") as (
        owner,
        resident,
        number,
    ):
        runs = [await provider_journey(owner, resident, resident_phone=number) for _ in range(2)]

    for steps in runs:
        assert "createProviderService   -> ProviderService DRAFT" in steps
        assert "reviewProviderService   -> {'status': 'PUBLISHED'}" in steps
        assert any(step.startswith("provider API exchange   -> HTTP 200") for step in steps)
        assert steps[-1] == "acceptProviderInvitation -> Provider APPROVED"


def test_a_refused_upload_ends_the_journey_saying_why() -> None:
    refused = {
        "ticket": {
            "__typename": "RequestDocumentUploadError",
            "code": "RATE_LIMITED",
            "message": "上传过于频繁，请稍后再试。",
            "retryAfterSeconds": 3575,
        },
        "upload": None,
        "confirm": None,
    }
    with pytest.raises(UploadRefused, match=r"RATE_LIMITED .* 3575 s"):
        document_id(refused)
    assert document_id({"ticket": {}, "upload": 204, "confirm": {"id": "RG9j"}}) == "RG9j"

"""The provider journey through `make run` (embedded mode, in-process outbox), over real HTTP:
register -> staff approve -> a service described, submitted, published -> a resident finds it
under a theme and hands off with consent -> the provider's system exchanges the code -> the
OWNER invites the resident, cancels, invites again, and the resident joins."""

from __future__ import annotations

import httpx

from mock_wechat.client import MiniProgram
from mock_wechat.journey import login_journey, provider_journey
from tests.identity import id_number, phone_number


async def test_make_run_serves_the_provider_journey(dev_server: tuple[str, str]) -> None:
    api, mock = dev_server
    async with (
        httpx.AsyncClient(base_url=api, timeout=30) as api_client,
        httpx.AsyncClient(base_url=mock) as phone,
    ):
        owner = MiniProgram(api_client, phone, "provider-owner")
        resident = MiniProgram(api_client, phone, "buyer")
        await owner.login()  # registering needs a signed-in resident, nothing more
        number = phone_number()
        await login_journey(
            resident, phone=number, id_number=id_number()
        )  # phone bound and real name verified: both shareable
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

"""A provider's members: OWNERs invite by phone (the invitation never says whether the number
has an account), the invitee accepts from an account with that phone bound (also one bound
later), OWNERs change roles and remove members but never the last OWNER; EDITORs write and
submit services while only OWNERs manage members, keys and webhooks."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from strawberry import relay

from storage.models.providers import ProviderEvent, ProviderEventType, ProviderInvitation
from tests.conftest import RunningApp
from tests.documents.conftest import signed_in
from tests.providers.conftest import (
    CREATE,
    CREATE_KEY,
    REGISTER_WEBHOOK,
    SUBMIT,
    Member,
    ensure_themes,
    member_of_approved_provider,
    resident,
    service_input,
)

INVITE = """
mutation($input: InviteProviderMemberInput!) { inviteProviderMember(input: $input) {
  __typename
  ... on ProviderInvitation { id role phoneMasked providerName expiresAt }
  ... on InviteProviderMemberError { code field }
} }
"""
ACCEPT = """
mutation($input: AcceptProviderInvitationInput!) { acceptProviderInvitation(input: $input) {
  __typename
  ... on Provider { id members { role owner phoneMasked } }
  ... on AcceptProviderInvitationError { code field }
} }
"""
CHANGE_ROLE = """
mutation($input: ChangeProviderMemberRoleInput!) { changeProviderMemberRole(input: $input) {
  __typename
  ... on ProviderMember { id role owner }
  ... on ChangeProviderMemberRoleError { code field }
} }
"""
REMOVE = """
mutation($input: RemoveProviderMemberInput!) { removeProviderMember(input: $input) {
  __typename
  ... on Provider { members { id role } }
  ... on RemoveProviderMemberError { code field }
} }
"""
MINE = "{ myProviderInvitations { id role providerName phoneMasked } }"
INSIDE = """
query($id: ID!) { node(id: $id) { ... on Provider {
  members { id role owner phoneMasked } invitations { id role phoneMasked } apiKeys { id }
} } }
"""


async def _invite(
    running: RunningApp, owner: Member, phone: str, role: str = "EDITOR"
) -> dict[str, Any]:
    result = await running.gql.data(
        INVITE,
        {"input": {"providerId": owner.provider_id, "phone": phone, "role": role}},
        token=owner.token,
    )
    return dict(result["inviteProviderMember"])


async def _members(running: RunningApp, owner: Member) -> list[dict[str, Any]]:
    found = await running.gql.data(INSIDE, {"id": owner.provider_id}, token=owner.token)
    return list(found["node"]["members"])


async def _editor(
    running: RunningApp, wechat: httpx.AsyncClient, owner: Member, user: str, phone: str
) -> Any:
    program = await resident(running, wechat, user, phone=phone)
    invitation = await _invite(running, owner, phone)
    accepted = await running.gql.data(
        ACCEPT, {"input": {"invitationId": invitation["id"]}}, token=program.token
    )
    assert accepted["acceptProviderInvitation"]["__typename"] == "Provider", accepted
    return program


async def test_an_invitee_with_the_phone_bound_joins_as_an_editor(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    owner = await member_of_approved_provider(seeded, wechat)
    invitee = await resident(seeded, wechat, "invitee", phone="13912340001")

    invitation = await _invite(seeded, owner, "+86 139-1234-0001")
    seen = await seeded.gql.data(MINE, token=invitee.token)
    inside = await seeded.gql.data(INSIDE, {"id": owner.provider_id}, token=owner.token)
    accepted = await seeded.gql.data(
        ACCEPT, {"input": {"invitationId": invitation["id"]}}, token=invitee.token
    )
    roles = await seeded.gql.data("{ me { roles } }", token=invitee.token)
    again = await seeded.gql.data(MINE, token=invitee.token)

    assert invitation["__typename"] == "ProviderInvitation"
    assert invitation["role"] == "EDITOR"
    assert invitation["phoneMasked"] == "139****0001"
    assert seen["myProviderInvitations"] == [
        {
            "id": invitation["id"],
            "role": "EDITOR",
            "providerName": invitation["providerName"],
            "phoneMasked": "139****0001",
        }
    ]
    assert inside["node"]["invitations"] == [
        {"id": invitation["id"], "role": "EDITOR", "phoneMasked": "139****0001"}
    ]
    members = accepted["acceptProviderInvitation"]["members"]
    assert [(m["role"], m["owner"]) for m in members] == [("OWNER", True), ("EDITOR", False)]
    assert members[1]["phoneMasked"] == "139****0001"
    assert "PROVIDER" in roles["me"]["roles"]
    assert again["myProviderInvitations"] == []
    events = await ProviderEvent.filter(type=ProviderEventType.MEMBER_ADDED).count()
    assert events == 1


async def test_an_invitation_does_not_tell_whether_the_phone_has_an_account(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    owner = await member_of_approved_provider(seeded, wechat)
    await resident(seeded, wechat, "known", phone="13912340002")

    known = await _invite(seeded, owner, "13912340002")
    unknown = await _invite(seeded, owner, "13912340003")
    # Someone signs up afterwards and binds the invited phone: the invitation waits for them.
    later = await signed_in(seeded, wechat, "later")
    before_binding = await seeded.gql.data(MINE, token=later.token)
    refused = await seeded.gql.data(
        ACCEPT, {"input": {"invitationId": unknown["id"]}}, token=later.token
    )
    await later.bind_phone("13912340003")
    after_binding = await seeded.gql.data(MINE, token=later.token)
    accepted = await seeded.gql.data(
        ACCEPT, {"input": {"invitationId": unknown["id"]}}, token=later.token
    )

    def shape(answer: dict[str, Any]) -> set[str]:
        return set(answer) - {"id", "phoneMasked"}

    assert known["__typename"] == unknown["__typename"] == "ProviderInvitation"
    assert shape(known) == shape(unknown)
    assert {k: known[k] for k in shape(known) if k != "expiresAt"} == {
        k: unknown[k] for k in shape(unknown) if k != "expiresAt"
    }
    assert before_binding["myProviderInvitations"] == []
    assert refused["acceptProviderInvitation"] == {
        "__typename": "AcceptProviderInvitationError",
        "code": "PHONE_NOT_BOUND",
        "field": "invitationId",
    }
    assert [i["id"] for i in after_binding["myProviderInvitations"]] == [unknown["id"]]
    assert accepted["acceptProviderInvitation"]["__typename"] == "Provider"
    # Only the blind index and the masked number are kept.
    row = await ProviderInvitation.get(phone_masked="139****0003")
    assert "13912340003" not in row.phone_index


async def test_only_the_invited_phone_accepts_once_before_it_expires(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    owner = await member_of_approved_provider(seeded, wechat)
    invitee = await resident(seeded, wechat, "invitee", phone="13912340004")
    stranger = await resident(seeded, wechat, "stranger", phone="13912340005")
    first = await _invite(seeded, owner, "13912340004")
    second = await _invite(seeded, owner, "13912340004")
    expired = await _invite(seeded, owner, "13912340004")
    await ProviderInvitation.filter(id=_uuid(expired["id"])).update(
        expires_at=seeded.resources.clock() - timedelta(minutes=1)
    )

    async def accept(program: Any, invitation: dict[str, Any]) -> dict[str, Any]:
        result = await seeded.gql.data(
            ACCEPT, {"input": {"invitationId": invitation["id"]}}, token=program.token
        )
        return dict(result["acceptProviderInvitation"])

    by_stranger = await accept(stranger, first)
    too_late = await accept(invitee, expired)
    joined = await accept(invitee, first)
    twice = await accept(invitee, first)
    already = await accept(invitee, second)
    bad_phone = await seeded.gql.data(
        INVITE,
        {"input": {"providerId": owner.provider_id, "phone": "028-86668888"}},
        token=owner.token,
    )

    assert by_stranger["code"] == "NOT_FOUND"
    assert too_late["code"] == "INVITATION_EXPIRED"
    assert joined["__typename"] == "Provider"
    assert twice["code"] == "INVITATION_EXPIRED"
    assert already["code"] == "ALREADY_MEMBER"
    assert bad_phone["inviteProviderMember"] == {
        "__typename": "InviteProviderMemberError",
        "code": "INVALID_PHONE",
        "field": "phone",
    }


async def test_editors_write_services_and_only_owners_manage_members_keys_and_webhooks(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    await ensure_themes("HOUSING")
    owner = await member_of_approved_provider(seeded, wechat)
    editor = await _editor(seeded, wechat, owner, "editor", "13912340006")
    provider_id = owner.provider_id

    created = await seeded.gql.data(
        CREATE, {"input": service_input(providerId=provider_id)}, token=editor.token
    )
    service = created["createProviderService"]
    submitted = await seeded.gql.data(
        SUBMIT, {"input": {"serviceId": service["id"]}}, token=editor.token
    )
    key = await seeded.gql.data(
        CREATE_KEY,
        {"input": {"providerId": provider_id, "name": "k", "scopes": ["SERVICES_READ"]}},
        token=editor.token,
    )
    hook = await seeded.gql.data(
        REGISTER_WEBHOOK,
        {
            "input": {
                "providerId": provider_id,
                "url": "https://hooks.example.com/x",
                "events": ["SERVICE_REVIEWED"],
            }
        },
        token=editor.token,
    )
    invite = await seeded.gql.data(
        INVITE,
        {"input": {"providerId": provider_id, "phone": "13912340007"}},
        token=editor.token,
    )
    members = await _members(seeded, owner)
    promote_self = await seeded.gql.data(
        CHANGE_ROLE, {"input": {"memberId": members[1]["id"], "role": "OWNER"}}, token=editor.token
    )
    inside = await seeded.gql.data(INSIDE, {"id": provider_id}, token=editor.token)

    assert service["__typename"] == "ProviderService"
    assert submitted["submitProviderService"]["status"] == "SUBMITTED"
    assert key["createApiKey"]["code"] == "FORBIDDEN"
    assert hook["registerWebhook"]["code"] == "FORBIDDEN"
    assert invite["inviteProviderMember"]["code"] == "FORBIDDEN"
    assert promote_self["changeProviderMemberRole"]["code"] == "FORBIDDEN"
    # An editor sees who the members are, not the keys nor the invitations.
    assert len(inside["node"]["members"]) == 2
    assert inside["node"]["apiKeys"] == []
    assert inside["node"]["invitations"] == []


async def test_owners_change_roles_and_remove_members_but_never_the_last_owner(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    await ensure_themes("HOUSING")
    owner = await member_of_approved_provider(seeded, wechat)
    editor = await _editor(seeded, wechat, owner, "editor", "13912340008")
    first, second = await _members(seeded, owner)

    async def change(member: dict[str, Any], role: str, token: str) -> dict[str, Any]:
        result = await seeded.gql.data(
            CHANGE_ROLE, {"input": {"memberId": member["id"], "role": role}}, token=token
        )
        return dict(result["changeProviderMemberRole"])

    async def remove(member: dict[str, Any], token: str) -> dict[str, Any]:
        result = await seeded.gql.data(REMOVE, {"input": {"memberId": member["id"]}}, token=token)
        return dict(result["removeProviderMember"])

    last_demoted = await change(first, "EDITOR", owner.token)
    last_removed = await remove(first, owner.token)
    promoted = await change(second, "OWNER", owner.token)
    # Two OWNERs now: the first may step down, and the second removes them.
    stepped_down = await change(first, "EDITOR", owner.token)
    removed = await remove(first, editor.token)
    lone_owner_leaving = await remove(second, editor.token)
    gone = await seeded.gql.data("{ me { roles } }", token=owner.token)
    refused = await seeded.gql.data(
        CREATE, {"input": service_input(providerId=owner.provider_id)}, token=owner.token
    )

    assert last_demoted == {
        "__typename": "ChangeProviderMemberRoleError",
        "code": "LAST_OWNER",
        "field": "role",
    }
    assert last_removed["code"] == "LAST_OWNER"
    assert promoted == {
        "__typename": "ProviderMember",
        "id": second["id"],
        "role": "OWNER",
        "owner": True,
    }
    assert stepped_down["role"] == "EDITOR"
    assert removed["members"] == [{"id": second["id"], "role": "OWNER"}]
    assert lone_owner_leaving["code"] == "LAST_OWNER"
    assert "PROVIDER" not in gone["me"]["roles"]
    assert refused["createProviderService"]["code"] == "NOT_FOUND"
    kinds = await ProviderEvent.filter(
        type__in=[ProviderEventType.MEMBER_ROLE_CHANGED, ProviderEventType.MEMBER_REMOVED]
    ).values_list("type", flat=True)
    assert sorted(str(k) for k in kinds) == [
        "MEMBER_REMOVED",
        "MEMBER_ROLE_CHANGED",
        "MEMBER_ROLE_CHANGED",
    ]


async def test_someone_else_learns_nothing_of_a_provider(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    owner = await member_of_approved_provider(seeded, wechat)
    other = await member_of_approved_provider(seeded, wechat, "other")
    members = await _members(seeded, owner)

    invite = await seeded.gql.data(
        INVITE,
        {"input": {"providerId": owner.provider_id, "phone": "13912340009"}},
        token=other.token,
    )
    remove = await seeded.gql.data(
        REMOVE, {"input": {"memberId": members[0]["id"]}}, token=other.token
    )

    assert invite["inviteProviderMember"]["code"] == "NOT_FOUND"
    assert remove["removeProviderMember"]["code"] == "NOT_FOUND"
    assert await ProviderInvitation.all().count() == 0


def _uuid(global_id: str) -> str:
    return relay.from_base64(global_id)[1]


CANCEL = """
mutation($input: CancelProviderInvitationInput!) { cancelProviderInvitation(input: $input) {
  __typename
  ... on ProviderInvitation { id cancelledAt }
  ... on CancelProviderInvitationError { code field }
} }
"""


async def test_an_owner_cancels_an_open_invitation_and_it_can_no_longer_be_accepted(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    owner = await member_of_approved_provider(seeded, wechat)
    invitee = await resident(seeded, wechat, "invitee", phone="13912340011")
    invitation = await _invite(seeded, owner, "13912340011")
    variables = {"input": {"invitationId": invitation["id"]}}

    cancelled = await seeded.gql.data(CANCEL, variables, token=owner.token)
    again = await seeded.gql.data(CANCEL, variables, token=owner.token)
    accepted = await seeded.gql.data(ACCEPT, variables, token=invitee.token)
    seen = await seeded.gql.data(MINE, token=invitee.token)
    inside = await seeded.gql.data(INSIDE, {"id": owner.provider_id}, token=owner.token)

    assert cancelled["cancelProviderInvitation"]["__typename"] == "ProviderInvitation"
    assert cancelled["cancelProviderInvitation"]["cancelledAt"] is not None
    assert again["cancelProviderInvitation"] == cancelled["cancelProviderInvitation"]
    assert accepted["acceptProviderInvitation"] == {
        "__typename": "AcceptProviderInvitationError",
        "code": "INVITATION_CANCELLED",
        "field": "invitationId",
    }
    assert seen["myProviderInvitations"] == []
    assert inside["node"]["invitations"] == []
    assert [m["role"] for m in inside["node"]["members"]] == ["OWNER"]
    events = await ProviderEvent.filter(type=ProviderEventType.INVITATION_CANCELLED)
    assert [(e.note, e.actor_id is not None) for e in events] == [("139****0011 EDITOR", True)]


async def test_only_an_owner_cancels_and_an_accepted_invitation_stays_accepted(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    owner = await member_of_approved_provider(seeded, wechat)
    editor = await _editor(seeded, wechat, owner, "editor", "13912340012")
    open_one = await _invite(seeded, owner, "13912340013")
    stranger = await resident(seeded, wechat, "stranger", phone="13912340014")
    accepted_id = (await ProviderInvitation.get(phone_masked="139****0012")).id

    by_editor = await seeded.gql.data(
        CANCEL, {"input": {"invitationId": open_one["id"]}}, token=editor.token
    )
    by_stranger = await seeded.gql.data(
        CANCEL, {"input": {"invitationId": open_one["id"]}}, token=stranger.token
    )
    too_late = await seeded.gql.data(
        CANCEL,
        {"input": {"invitationId": relay.to_base64("ProviderInvitation", accepted_id)}},
        token=owner.token,
    )

    assert by_editor["cancelProviderInvitation"]["code"] == "FORBIDDEN"
    assert by_stranger["cancelProviderInvitation"]["code"] == "NOT_FOUND"
    assert too_late["cancelProviderInvitation"]["code"] == "INVALID_STATE"
    assert await ProviderInvitation.filter(cancelled_at__isnull=False).count() == 0

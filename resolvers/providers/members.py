"""A provider's people: OWNERs invite by phone, change roles and remove members (never the
last OWNER); the invitee accepts from an account with the invited phone bound.

An invitation never tells the OWNER whether the phone belongs to an account: it is made the
same way either way and waits (INVITATION_DAYS) for whoever binds that phone and accepts it.
The number is kept only as the accounts' blind index and masked, like an account's own."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from resolvers import policy
from resolvers.accounts.service import sessions
from resolvers.notifications.service import enqueue_inbox
from resolvers.principal import Principal
from resolvers.providers import onboarding, validation
from resolvers.providers.errors import ProviderError
from resolvers.providers.errors import ProviderErrorCode as Code
from resolvers.resources import Resources
from storage.models.accounts import Role
from storage.models.providers import (
    Provider,
    ProviderEventType,
    ProviderInvitation,
    ProviderMember,
    ProviderMemberRole,
    ProviderStatus,
)
from storage.repositories import providers as repo
from storage.transactions import IntegrityError, atomic

INVITATION_DAYS = 7
INVITATIONS_PER_DAY = 20  # per provider: an OWNER cannot spray invitations at numbers


def _phone_index(resources: Resources, e164: str) -> str:
    return resources.keyring.blind_index(e164, purpose="phone")


async def invite(
    resources: Resources,
    principal: Principal,
    provider_id: UUID,
    phone: str,
    role: ProviderMemberRole,
) -> ProviderInvitation:
    """An OWNER invites whoever holds `phone` as OWNER or EDITOR. If an account has that phone
    bound now, its inbox says so; the OWNER is told nothing about it either way."""
    await onboarding.authorize_member(
        resources,
        principal,
        policy.Action.PROVIDER_MEMBER_INVITE,
        provider_id,
        ProviderError(Code.NOT_FOUND, "providerId"),
    )
    assert principal.account_id is not None
    e164, masked = validation.mobile_e164(phone, "phone")
    index = _phone_index(resources, e164)
    await onboarding.limit(
        resources, "provider-invite", str(provider_id), limit=INVITATIONS_PER_DAY, window=86400
    )
    now = resources.clock()
    async with atomic():
        provider = await repo.lock_provider(provider_id)
        assert provider is not None
        invitation = await repo.create_invitation(
            provider_id=provider_id,
            phone_index=index,
            phone_masked=masked,
            role=role,
            invited_by_id=principal.account_id,
            created_at=now,
            expires_at=now + timedelta(days=INVITATION_DAYS),
        )
        await repo.add_event(
            provider_id=provider_id,
            type=ProviderEventType.MEMBER_INVITED,
            actor_id=principal.account_id,
            note=f"{masked} {role.value}",
            at=now,
        )
        holders = await repo.account_ids_by_phone_index(index)
        if holders:
            await enqueue_inbox(
                key=f"provider-invitation:{invitation.id}",
                now=now,
                topic="PROVIDER_INVITATION",
                title="服务机构成员邀请",
                body=f"“{provider.name}”邀请您成为机构成员，请在“我的邀请”中查看并接受。"[:200],
                subject_id=invitation.id,
                account_ids=holders,
            )
    return invitation


async def accept(resources: Resources, principal: Principal, invitation_id: UUID) -> Provider:
    """The invitee joins with the invited role. Only an account whose bound phone is the
    invited one may accept (PHONE_NOT_BOUND without any; NOT_FOUND for another number's
    invitation). Joining an approved provider gives the PROVIDER role at once."""
    await policy.authorize(resources, principal, policy.Action.PROVIDER_INVITATION_ACCEPT)
    assert principal.account_id is not None
    account = await repo.account(principal.account_id)
    if account is None or not account.phone_index:
        raise ProviderError(Code.PHONE_NOT_BOUND, "invitationId")
    now = resources.clock()
    try:
        async with atomic():
            invitation = await repo.lock_invitation(invitation_id)
            if invitation is None or invitation.phone_index != account.phone_index:
                raise ProviderError(Code.NOT_FOUND, "invitationId")
            if invitation.cancelled_at is not None:
                raise ProviderError(Code.INVITATION_CANCELLED, "invitationId")
            if invitation.accepted_at is not None or invitation.expires_at <= now:
                raise ProviderError(Code.INVITATION_EXPIRED, "invitationId")
            provider = await repo.lock_provider(invitation.provider_id)
            assert provider is not None
            if account.id in (await repo.member_roles(provider.id))[0]:
                raise ProviderError(Code.ALREADY_MEMBER, "invitationId")
            await repo.accept_invitation(invitation.id, account_id=account.id, now=now)
            await repo.add_member(
                provider.id, account.id, owner=invitation.role is ProviderMemberRole.OWNER
            )
            await repo.add_event(
                provider_id=provider.id,
                type=ProviderEventType.MEMBER_ADDED,
                actor_id=account.id,
                note=invitation.role.value,
                at=now,
            )
            joined_approved = provider.status is ProviderStatus.APPROVED
            if joined_approved:
                await repo.grant_role([account.id], Role.PROVIDER)
    except IntegrityError:
        raise ProviderError(Code.ALREADY_MEMBER, "invitationId") from None
    if joined_approved:
        await sessions.refresh_principals(resources, [account.id])
    return provider


async def cancel_invitation(
    resources: Resources, principal: Principal, invitation_id: UUID
) -> ProviderInvitation:
    """An OWNER takes back an invitation nobody accepted yet; whoever tries to accept it
    afterwards is told it was cancelled. Cancelling it again changes nothing; an accepted
    one is a membership now (INVALID_STATE: remove the member instead)."""
    found = await repo.invitation_by_id(invitation_id)
    await onboarding.authorize_member(
        resources,
        principal,
        policy.Action.PROVIDER_INVITATION_CANCEL,
        found.provider_id if found else None,
        ProviderError(Code.NOT_FOUND, "invitationId"),
    )
    assert found is not None
    assert principal.account_id is not None
    now = resources.clock()
    async with atomic():
        invitation = await repo.lock_invitation(invitation_id)
        assert invitation is not None
        if invitation.cancelled_at is not None:
            return invitation
        if invitation.accepted_at is not None:
            raise ProviderError(Code.INVALID_STATE, "invitationId")
        await repo.cancel_invitation(invitation.id, account_id=principal.account_id, now=now)
        await repo.add_event(
            provider_id=invitation.provider_id,
            type=ProviderEventType.INVITATION_CANCELLED,
            actor_id=principal.account_id,
            note=f"{invitation.phone_masked} {invitation.role.value}",
            at=now,
        )
        invitation.cancelled_at, invitation.cancelled_by_id = now, principal.account_id
    return invitation


async def _member_of(
    resources: Resources, principal: Principal, member_id: UUID, action: policy.Action
) -> ProviderMember:
    member = await repo.member_by_id(member_id)
    await onboarding.authorize_member(
        resources,
        principal,
        action,
        member.provider_id if member else None,
        ProviderError(Code.NOT_FOUND, "memberId"),
    )
    assert member is not None
    return member


def _owners_left(members: list[ProviderMember], changed: UUID, *, owner: bool | None) -> int:
    """The OWNERs once `changed` is made an OWNER or not (None: removed)."""
    return sum(1 for m in members if (bool(owner) if m.id == changed else m.owner))


async def change_role(
    resources: Resources, principal: Principal, member_id: UUID, role: ProviderMemberRole
) -> ProviderMember:
    """An OWNER makes a member OWNER or EDITOR; the last OWNER stays one (LAST_OWNER)."""
    found = await _member_of(
        resources, principal, member_id, policy.Action.PROVIDER_MEMBER_CHANGE_ROLE
    )
    now = resources.clock()
    async with atomic():
        members = await repo.lock_members(found.provider_id)
        member = next((m for m in members if m.id == member_id), None)
        if member is None:
            raise ProviderError(Code.NOT_FOUND, "memberId")
        owner = role is ProviderMemberRole.OWNER
        if member.owner != owner:
            if _owners_left(members, member.id, owner=owner) == 0:
                raise ProviderError(Code.LAST_OWNER, "role")
            await repo.set_member_role(member.id, role)
            await repo.add_event(
                provider_id=member.provider_id,
                type=ProviderEventType.MEMBER_ROLE_CHANGED,
                actor_id=principal.account_id,
                note=role.value,
                at=now,
            )
            member.owner = owner
    return member


async def remove(resources: Resources, principal: Principal, member_id: UUID) -> Provider:
    """An OWNER removes a member (themselves too, while another OWNER stays). Someone left a
    member of no provider loses the PROVIDER role at once."""
    found = await _member_of(resources, principal, member_id, policy.Action.PROVIDER_MEMBER_REMOVE)
    now = resources.clock()
    async with atomic():
        members = await repo.lock_members(found.provider_id)
        member = next((m for m in members if m.id == member_id), None)
        if member is None:
            raise ProviderError(Code.NOT_FOUND, "memberId")
        if _owners_left(members, member.id, owner=None) == 0:
            raise ProviderError(Code.LAST_OWNER, "memberId")
        await repo.remove_member(member.id)
        await repo.add_event(
            provider_id=member.provider_id,
            type=ProviderEventType.MEMBER_REMOVED,
            actor_id=principal.account_id,
            at=now,
        )
        lost_role = await repo.memberships_count(member.account_id) == 0 and (
            await repo.revoke_role(member.account_id, Role.PROVIDER)
        )
        provider = await repo.provider_by_id(member.provider_id)
        assert provider is not None
        await enqueue_inbox(
            key=f"provider:{provider.id}",
            now=now,
            topic="PROVIDER_MEMBER",
            title="已移出服务机构",
            body=f"您已不再是“{provider.name}”的成员。"[:200],
            subject_id=provider.id,
            account_ids=[member.account_id],
        )
    if lost_role:
        await sessions.refresh_principals(resources, [member.account_id])
    return provider

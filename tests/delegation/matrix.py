"""Subjects of 帮办代办, community helpers and joint inspections for the authorisation matrix
(tests/security): delegations whose agent or principal is the matrix's `owner`, helpers and
their registers in 锦江区, inspections of the owner's accepted applications."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from storage.models.accounts import Account
from storage.models.applications import ApplicationStatus
from storage.models.delegation import (
    AgentKind,
    CommunityHelper,
    Delegation,
    DelegationStatus,
    HelperClient,
)
from storage.models.inspections import Inspection, InspectionParticipant, InspectionResponse
from tests.security.subjects import HYGIENE, World, application, community_in, gid, serial


async def _delegation(world: World, *, agent: str, principal: str, status: str) -> Delegation:
    now = datetime.now(UTC)
    return await Delegation.create(
        principal_id=world.accounts[principal].id,
        agent_id=world.accounts[agent].id,
        agent_kind=AgentKind.RESIDENT,
        service_codes=[HYGIENE],
        valid_until=(now + timedelta(days=30)).date(),
        status=DelegationStatus(status),
        granted_at=now,
        accepted_at=now if status == "ACTIVE" else None,
    )


async def received_pending(world: World, actor: str) -> dict[str, Any]:
    """A PENDING delegation to the owner, from another resident."""
    row = await _delegation(world, agent="owner", principal="other_resident", status="PENDING")
    return {"delegationId": gid("Delegation", row.id)}


async def given(world: World, actor: str) -> dict[str, Any]:
    """An ACTIVE delegation the owner gave another resident."""
    row = await _delegation(world, agent="other_resident", principal="owner", status="ACTIVE")
    return {"delegationId": gid("Delegation", row.id)}


async def received_active(world: World, actor: str) -> dict[str, Any]:
    """An agent's submission under an ACTIVE delegation the owner received."""
    row = await _delegation(world, agent="owner", principal="other_resident", status="ACTIVE")
    return {
        "delegationId": gid("Delegation", row.id),
        "serviceCode": HYGIENE,
        "regionCode": "510104",
        "documentIds": [],
        "channel": "MINI_PROGRAM",
    }


async def _staff(world: World) -> Account:
    return await Account.create(
        roles=["STAFF"], username=f"helper-{serial()}", display_name="社区代办员"
    )


async def new_helper(world: World, actor: str) -> dict[str, Any]:
    community = await community_in("510104")
    return {"communityCode": community.code, "username": (await _staff(world)).username}


async def _helper(world: World) -> CommunityHelper:
    community = await community_in("510104")
    return await CommunityHelper.create(
        community_id=community.id,
        account_id=(await _staff(world)).id,
        registered_by_id=world.accounts["admin"].id,
    )


async def helper_and_phone(world: World, actor: str) -> dict[str, Any]:
    return {"helperId": gid("CommunityHelper", (await _helper(world)).id), "phone": "13912345678"}


async def helper_client(world: World, actor: str) -> dict[str, Any]:
    helper = await _helper(world)
    client = await HelperClient.create(
        helper_id=helper.id,
        resident_id=world.accounts["owner"].id,
        added_by_id=world.accounts["admin"].id,
        added_at=datetime.now(UTC),
    )
    return {
        "helperId": gid("CommunityHelper", helper.id),
        "clientId": gid("HelperClient", client.id),
    }


# -- joint inspections (一次踏勘) of an accepted application of the owner's


async def _inspection(world: World, status: str, *, started: bool) -> str:
    accepted = await application(world, ApplicationStatus.ACCEPTED, task=True)
    now = datetime.now(UTC)
    starts = now - timedelta(hours=1) if started else now + timedelta(days=2)
    row = await Inspection.create(
        application_id=accepted.id,
        lead_department_id=accepted.department_id,
        status=status,
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        address="锦江区春熙路1号",
        proposed_by_id=world.accounts["admin"].id,
        created_at=now,
    )
    assert accepted.department_id is not None
    await InspectionParticipant.create(
        inspection_id=row.id,
        department_id=accepted.department_id,
        response=InspectionResponse.PENDING if status == "PROPOSED" else "CONFIRMED",
    )
    return gid("Inspection", row.id)


async def inspection_to_propose(world: World, actor: str) -> dict[str, Any]:
    accepted = await application(world, ApplicationStatus.ACCEPTED, task=True)
    start = datetime.now(UTC) + timedelta(days=2)
    return {
        "applicationId": gid("Application", accepted.id),
        "startsAt": start.isoformat(),
        "endsAt": (start + timedelta(hours=2)).isoformat(),
        "address": "锦江区春熙路1号",
    }


async def inspection_to_answer(world: World, actor: str) -> dict[str, Any]:
    return {
        "inspectionId": await _inspection(world, "PROPOSED", started=False),
        "decision": "CONFIRM",
    }


async def inspection_visited(world: World, actor: str) -> dict[str, Any]:
    return {
        "inspectionId": await _inspection(world, "SCHEDULED", started=True),
        "outcome": "PASSED",
        "finding": "现场符合要求",
    }

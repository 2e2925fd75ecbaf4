"""Who may do what, as clients meet it: every mutation and every staff query of the schema,
called through the ASGI app by each kind of caller, is allowed exactly where the policy table
(resolvers/policy.py) says, and otherwise refused with UNAUTHENTICATED or FORBIDDEN (NOT_FOUND
for something the caller may not even read), with nothing changed.

What each caller holds toward a subject is worked out here, from how the subject was made
(whose it is, which department it belongs to, where it applies); the table then says what to
expect. A mutation or staff query without a case here, or without an action in the table,
fails the test."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from graphql import GraphQLNonNull, GraphQLObjectType, GraphQLUnionType

from resolvers.policy import POLICY, Action
from schema.authorised import action_of
from schema.root import Mutation, Query, Subscription, build_schema
from schema.sdl import graphql_schema
from storage.models.accounts import Account
from storage.models.applications import ApplicationStatus
from storage.models.catalogue import Department, Region
from storage.models.scenarios import Scenario
from tests.catalogue.editing import guide_input
from tests.delegation import matrix as delegation
from tests.providers.conftest import credit_code, service_input
from tests.security import window
from tests.security.subjects import (
    CENTRE,
    CHUNXI_STREET,
    HYGIENE,
    JINJIANG_APPROVALS,
    URBAN,
    WATER,
    World,
    api_key,
    appeal,
    application,
    article,
    call,
    community_in,
    consent,
    document,
    editor_of,
    fingerprint,
    gid,
    provider_service,
    rectification,
    serial,
    webhook,
    world,
)

__all__ = ["world"]  # the module's fixture

ACTORS = (
    "anonymous",
    "owner",  # the resident the subject belongs to
    "other_resident",
    "handling_officer",  # an officer of the department the subject belongs to
    "other_department",  # an officer of another department of the same region
    "other_region",  # an officer of a department of another district
    "provider_member",  # an OWNER of the provider the subject belongs to
    "provider_editor",  # an EDITOR of that provider
    "other_provider_member",
    "reviewer",
    "supervisor",  # an officer of the 12345 centre
    "admin",
)
RESIDENTS = {
    "owner",
    "other_resident",
    "provider_member",
    "provider_editor",
    "other_provider_member",
}
OFFICERS = {"handling_officer", "other_department", "other_region"}
STAFF = OFFICERS | {"reviewer", "supervisor", "admin"}
REFUSALS = {"UNAUTHENTICATED", "FORBIDDEN", "NOT_FOUND"}


@dataclass(frozen=True)
class Facts:
    """How the subject was made: whose it is, the department it belongs to (the one whose
    officer is `handling_officer`), further departments working on it, where it applies."""

    owner: str | None = None
    department: str = JINJIANG_APPROVALS
    handlers: tuple[str, ...] = ()
    region: str | None = None
    provider: str | None = None
    centre: str | None = None  # the actor who manages (and works at) the subject's centre


Make = Callable[[World, str], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class Case:
    name: str  # the root field
    make: Make  # the operation's variables for one call, by the actor about to call
    facts: Facts = field(default_factory=Facts)
    fresh_session: bool = False  # the call ends its session (logout)
    query: str | None = None  # staff queries: the document


# -- who holds what


@dataclass
class Officers:
    handling: Department
    other: Department
    elsewhere: Department


async def officers_for(facts: Facts) -> Officers:
    handling = await Department.get(code=facts.department)
    excluded = [handling.code, *facts.handlers, CENTRE]
    other = (
        await Department.filter(region_id=handling.region_id)
        .exclude(code__in=excluded)
        .order_by("code")
        .first()
    )
    district = (
        "510107" if not (await _region_code(handling.region_id)).startswith("510107") else "510104"
    )
    elsewhere = (
        await Department.filter(region__code=district)
        .exclude(code__in=excluded)
        .order_by("code")
        .first()
    )
    assert other is not None
    assert elsewhere is not None
    return Officers(handling, other, elsewhere)


async def _region_code(region_id: Any) -> str:
    return str((await Region.get(id=region_id)).code)


async def _chain(code: str) -> list[str]:
    """The region and every region above it, by code."""
    region = await Region.get(code=code)
    chain = [region.code]
    while region.parent_id is not None:
        region = await Region.get(id=region.parent_id)
        chain.append(region.code)
    return chain


async def relations(actor: str, facts: Facts, officers: Officers) -> set[str]:
    held = {"anyone"}
    if actor == "anonymous":
        return held
    held.add("signed_in")
    if actor in RESIDENTS:
        held.add("resident")
    if actor in STAFF:
        held.add("staff")
    if actor == "reviewer":
        held.add("reviewer")
    if actor in ("supervisor", "admin"):
        held.add("supervisor")
    if actor == "admin":
        held.add("admin")
    if facts.owner == actor:
        held.add("owner")
    if facts.provider == actor:
        held |= {"provider_member", "provider_owner"}
    if facts.provider == "provider_member" and actor == "provider_editor":
        held.add("provider_member")
    if facts.centre == actor:
        held |= {"centre_window", "centre_manager"}
    department = {
        "handling_officer": officers.handling,
        "other_department": officers.other,
        "other_region": officers.elsewhere,
        "supervisor": await Department.get(code=CENTRE),
    }.get(actor)
    if department is not None:
        if department.code == facts.department:
            held |= {"own_department", "handling_department"}
        if department.code in facts.handlers:
            held.add("handling_department")
    if facts.region is not None and actor in STAFF:
        scope = await _region_code(department.region_id) if department is not None else None
        if actor == "admin" or scope in await _chain(facts.region):
            held.add("in_region_scope")
    return held


async def account_of(world: World, actor: str, officers: Officers) -> Account | None:
    if actor == "anonymous":
        return None
    department = {
        "handling_officer": officers.handling,
        "other_department": officers.other,
        "other_region": officers.elsewhere,
    }.get(actor)
    if department is not None:
        return await world.officer(department)
    return world.accounts[actor]


# -- the operations, built from the schema


def _schema() -> Any:
    return graphql_schema(build_schema())


def mutation_document(name: str) -> str:
    """`mutation($input: XInput!) { x(input: $input) { __typename ... on XError { code field } } }`"""
    definition = _schema().mutation_type.fields[name]
    input_type = definition.args["input"].type
    result = (
        definition.type.of_type if isinstance(definition.type, GraphQLNonNull) else definition.type
    )
    assert isinstance(result, GraphQLUnionType), name
    error = next(t.name for t in result.types if "UserError" in {i.name for i in t.interfaces})
    return (
        f"mutation($input: {input_type}) {{ {name}(input: $input) {{ __typename "
        f"... on {error} {{ code field }} }} }}"
    )


def _names(kind: type) -> dict[str, Action | None]:
    converter = build_schema().config.name_converter
    return {
        converter.get_graphql_name(f): action_of(f)
        for f in kind.__strawberry_definition__.fields  # type: ignore[attr-defined]
    }


ACTIONS = {**_names(Query), **_names(Mutation), **_names(Subscription)}
READS = {Action.READ_PUBLIC, Action.READ_OWN, Action.READ_OWN_APPLICATIONS}


# -- the cases


def fixed(values: dict[str, Any]) -> Make:
    async def make(world: World, actor: str) -> dict[str, Any]:
        return {"input": values}

    return make


def each(build: Callable[[World, str], Awaitable[dict[str, Any]]]) -> Make:
    async def make(world: World, actor: str) -> dict[str, Any]:
        return {"input": await build(world, actor)}

    return make


async def no_variables(world: World, actor: str) -> dict[str, Any]:
    return {}


async def _application(world: World, status: ApplicationStatus, **kw: Any) -> str:
    return gid("Application", (await application(world, status, **kw)).id)


def on_application(
    status: ApplicationStatus, extra: dict[str, Any] | None = None, **kw: Any
) -> Make:
    async def build(world: World, actor: str) -> dict[str, Any]:
        return {"applicationId": await _application(world, status, **kw), **(extra or {})}

    return each(build)


def on_appeal(status: str, extra: dict[str, Any] | None = None) -> Make:
    async def build(world: World, actor: str) -> dict[str, Any]:
        return {"appealId": await appeal(world, status), **(extra or {})}

    return each(build)


def on_service(status: str, extra: dict[str, Any] | None = None) -> Make:
    async def build(world: World, actor: str) -> dict[str, Any]:
        return {"serviceId": await provider_service(world, status), **(extra or {})}

    return each(build)


def provider_input(extra: dict[str, Any]) -> Make:
    async def build(world: World, actor: str) -> dict[str, Any]:
        return {"providerId": gid("Provider", world.providers["provider_member"].id), **extra}

    return each(build)


async def _task(world: World, actor: str) -> dict[str, Any]:
    accepted = await application(world, ApplicationStatus.ACCEPTED, task=True)
    from storage.models.applications import ApplicationTask

    task = await ApplicationTask.get(application_id=accepted.id)
    return {"taskId": gid("ApplicationTask", task.id), "outcome": "APPROVED"}


async def _revisit(world: World, actor: str) -> dict[str, Any]:
    row = await rectification(world)
    return {"rectificationId": gid("Rectification", row.id), "note": "已电话回访"}


async def _used_document(world: World, actor: str) -> dict[str, Any]:
    used = await document(world)
    await application(world, ApplicationStatus.SUBMITTED, documents=[used])
    return {"documentId": gid("Document", used.id), "note": "窗口核验原件一致"}


async def _own_document(world: World, actor: str) -> dict[str, Any]:
    return {"documentId": gid("Document", (await document(world)).id)}


async def _implementation(world: World, actor: str) -> dict[str, Any]:
    return guide_input(JINJIANG_APPROVALS)


async def _draft(world: World, actor: str) -> dict[str, Any]:
    admin = world.accounts["admin"]
    written = await call(
        world,
        mutation_document("upsertImplementation").replace(
            "__typename", "__typename ... on Service { serviceCode: code }", 1
        ),
        {"input": guide_input(JINJIANG_APPROVALS, name=f"食品经营许可{serial()}")},
        admin,
    )
    result = written.data["upsertImplementation"]
    assert result["__typename"] == "Service", result
    return {"code": result["serviceCode"], "justification": "区级名称沿用"}


async def _draft_material(world: World, actor: str) -> dict[str, Any]:
    draft = await _draft(world, actor)
    # No file: taking a file off a material is the same action as attaching one.
    return {"code": draft["code"], "material": 0, "role": "SAMPLE", "documentId": None}


async def _article(world: World, actor: str) -> dict[str, Any]:
    found = await article(world, JINJIANG_APPROVALS)
    return {
        "id": gid("Article", found.id),
        "kind": "NOTICE",
        "title": "办事须知（更新）",
        "body": "工作日办理。",
        "departmentCode": JINJIANG_APPROVALS,
    }


async def _terminal(world: World, actor: str) -> dict[str, Any]:
    community = await community_in("510104")
    return {
        "code": f"T{serial():08d}",
        "name": "春熙路自助终端",
        "communityCode": community.code,
        "placement": "MALL",
        "address": "春熙路1号",
        "location": {"lat": 30.657, "lng": 104.08},
    }


async def _scenario(world: World, actor: str) -> dict[str, Any]:
    found = await Scenario.get(code="newborn", status="PUBLISHED")  # lead: 11510100562973015U
    return {"code": "newborn", "definition": found.definition}


async def _pending_provider(world: World, actor: str) -> dict[str, Any]:
    from storage.models.providers import Provider, ProviderStatus
    from tests.security.subjects import approved_provider

    provider = await approved_provider(world, world.accounts["other_resident"])
    await Provider.filter(id=provider.id).update(status=ProviderStatus.PENDING)
    return {"providerId": gid("Provider", provider.id), "decision": "APPROVE"}


async def _provider_in(status: str, world: World, extra: dict[str, Any]) -> dict[str, Any]:
    from storage.models.providers import Provider
    from tests.security.subjects import approved_provider

    provider = await approved_provider(world, world.accounts["other_resident"])
    await Provider.filter(id=provider.id).update(status=status)
    return {"providerId": gid("Provider", provider.id), **extra}


async def _approved_provider(world: World, actor: str) -> dict[str, Any]:
    return await _provider_in("APPROVED", world, {"reason": "多次被投诉"})


async def _suspended_provider(world: World, actor: str) -> dict[str, Any]:
    return await _provider_in("SUSPENDED", world, {"reason": "已整改"})


async def _invitation(world: World, actor: str) -> dict[str, Any]:
    from datetime import UTC, datetime, timedelta

    from storage.models.providers import ProviderInvitation, ProviderMemberRole

    now = datetime.now(UTC)
    row = await ProviderInvitation.create(
        provider_id=world.providers["provider_member"].id,
        phone_index=f"index-{serial()}",
        phone_masked="139****0000",
        role=ProviderMemberRole.EDITOR,
        invited_by_id=world.accounts["provider_member"].id,
        created_at=now,
        expires_at=now + timedelta(days=7),
    )
    return {"invitationId": gid("ProviderInvitation", row.id)}


async def _checked_photo(world: World, actor: str) -> dict[str, Any]:
    """A dispatched appeal's photo that WeChat's image check passed, to publish."""
    from strawberry import relay

    from storage.models.appeals import AppealPhoto, PhotoCheck

    appeal_id = await appeal(world, "DISPATCHED")
    picture = await document(world)
    await AppealPhoto.create(
        appeal_id=relay.GlobalID.from_id(appeal_id).node_id,
        document_id=picture.id,
        position=0,
        check_status=PhotoCheck.PASSED,
    )
    return {"appealId": appeal_id, "documentId": gid("Document", picture.id), "public": True}


async def _editor(world: World, actor: str) -> dict[str, Any]:
    return {"memberId": gid("ProviderMember", (await editor_of(world)).id)}


async def _editor_role(world: World, actor: str) -> dict[str, Any]:
    return {**await _editor(world, actor), "role": "OWNER"}


async def _merge(world: World, actor: str) -> dict[str, Any]:
    return {
        "targetId": await appeal(world, "DISPATCHED"),
        "appealIds": [await appeal(world, "DISPATCHED")],
    }


async def _unique_code(world: World, actor: str) -> dict[str, Any]:
    return {
        "name": "成都示例家政服务有限公司",
        "creditCode": credit_code(),
        "contact": {"name": "王五", "phone": "028-86668888"},
    }


async def _key(world: World, actor: str) -> dict[str, Any]:
    return {"apiKeyId": gid("ApiKey", (await api_key(world)).id)}


async def _webhook(world: World, actor: str) -> dict[str, Any]:
    return {"webhookId": gid("Webhook", (await webhook(world)).id)}


async def _consent(world: World, actor: str) -> dict[str, Any]:
    return {"consentId": gid("HandoffConsent", (await consent(world)).id)}


async def _base_item(world: World, actor: str) -> dict[str, Any]:
    return {
        "basicCode": f"5100019{serial():07d}",
        "name": "测试事项",
        "kind": "PUBLIC_SERVICE",
        "itemType": "PUBLIC_SERVICE",
        "legalBasis": "《测试条例》",
        "steps": [{"name": "受理"}, {"name": "办结"}],
        "audiences": ["PERSON"],
    }


async def _new_leaf() -> str:
    """A leaf of 其他 (group 14) nobody else files under or routes."""
    from storage.models.appeals import AppealCategory

    code = f"14{serial() % 10**6:06d}"
    group = await AppealCategory.get(code="14")
    await AppealCategory.create(code=code, name="测试类别", parent_id=group.id, position=90)
    return code


async def _category_edit(world: World, actor: str) -> dict[str, Any]:
    return {"code": f"14{serial() % 10**6:06d}", "parentCode": "14", "name": "测试类别"}


async def _retirable(world: World, actor: str) -> dict[str, Any]:
    return {"code": await _new_leaf()}


async def _route_set(world: World, actor: str) -> dict[str, Any]:
    return {"categoryCode": await _new_leaf(), "regionCode": "510104", "departmentCode": WATER}


async def _route_removed(world: World, actor: str) -> dict[str, Any]:
    from storage.models.appeals import AppealCategory, AppealRoute

    code = await _new_leaf()
    await AppealRoute.create(
        category_id=(await AppealCategory.get(code=code)).id,
        region_id=(await Region.get(code="510104")).id,
        department_id=(await Department.get(code=WATER)).id,
    )
    return {"categoryCode": code, "regionCode": "510104"}


STAFF_ACCOUNT = "officer-11510107543901550f"  # 成都市公安局武侯区分局: nobody's actor


# -- the hall (the city centre of the demo data; no actor works at a centre: only the ADMIN
# runs halls here, and nobody calls tickets)


async def _hall_centre() -> Any:
    from storage.models.catalogue import ServiceCentre

    return await ServiceCentre.get(name="成都市政务服务中心")


async def _hall_item() -> str:
    from storage.models.catalogue import Implementation

    found = (
        await Implementation.filter(region__code="510100", status="PUBLISHED")
        .order_by("code")
        .first()
    )
    assert found is not None
    return str(found.code)


async def _hall_window(world: World, actor: str) -> dict[str, Any]:
    centre = await _hall_centre()
    return {
        "centreId": gid("ServiceCentre", centre.id),
        "number": f"W{serial()}",
        "name": "综合受理",
        "group": "A",
    }


async def _hall_hours(world: World, actor: str) -> dict[str, Any]:
    centre = await _hall_centre()
    return {
        "centreId": gid("ServiceCentre", centre.id),
        "days": [{"weekday": 0, "opensAt": "09:00:00", "closesAt": "17:00:00"}],
    }


async def _hall_assign(world: World, actor: str) -> dict[str, Any]:
    centre = await _hall_centre()
    return {
        "centreId": gid("ServiceCentre", centre.id),
        "username": STAFF_ACCOUNT,
        "role": "WINDOW",
    }


async def _hall_remove(world: World, actor: str) -> dict[str, Any]:
    from storage.models.hall import CentreStaff

    centre = await _hall_centre()
    account = await Account.create(
        username=f"hall-extra-{serial()}", roles=["STAFF"], display_name="窗口人员"
    )
    await CentreStaff.create(centre_id=centre.id, account_id=account.id, role="WINDOW")
    return {"centreId": gid("ServiceCentre", centre.id), "username": account.username}


async def _hall_booking(world: World, actor: str) -> dict[str, Any]:
    from resolvers.calendar.workdays import add_working_days, today_in_china

    centre = await _hall_centre()
    day = await add_working_days(today_in_china(), 1)
    return {
        "centreId": gid("ServiceCentre", centre.id),
        "serviceCode": await _hall_item(),
        "startsAt": f"{day.isoformat()}T10:00:00+08:00",
    }


async def _hall_appointment(world: World, actor: str) -> dict[str, Any]:
    """The owner's booking three days on (cancellable; too early to check in)."""
    from datetime import UTC, datetime, timedelta

    from storage.models.catalogue import Implementation
    from storage.models.hall import Appointment, AppointmentSlot

    centre = await _hall_centre()
    item = await Implementation.get(code=await _hall_item(), status="PUBLISHED")
    start = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(days=3, minutes=serial())
    slot = await AppointmentSlot.create(
        centre_id=centre.id,
        group="A",
        starts_at=start,
        ends_at=start + timedelta(minutes=30),
        capacity=6,
        booked=1,
    )
    booking = await Appointment.create(
        resident_id=world.accounts["owner"].id,
        slot_id=slot.id,
        centre_id=centre.id,
        implementation_id=item.id,
        service_code=item.code,
        service_name=item.name,
        group="A",
        day=start.date(),
        starts_at=start,
        ends_at=start + timedelta(minutes=30),
    )
    return {"appointmentId": gid("Appointment", booking.id)}


async def _hall_call(world: World, actor: str) -> dict[str, Any]:
    from storage.models.hall import HallWindow

    window = await HallWindow.get(centre__name="成都市政务服务中心", number="1")
    return {"windowId": gid("HallWindow", window.id)}


HALL_STAFF_QUERY = "query($id: ID!) { centreStaff(centreId: $id) { username role } }"


async def _hall_staff_query(world: World, actor: str) -> dict[str, Any]:
    return {"id": gid("ServiceCentre", (await _hall_centre()).id)}


async def _hall_ticket(world: World, actor: str) -> dict[str, Any]:
    from datetime import UTC, datetime

    from storage.models.catalogue import Implementation
    from storage.models.hall import QueueTicket

    centre = await _hall_centre()
    item = await Implementation.get(code=await _hall_item(), status="PUBLISHED")
    now = datetime.now(UTC)
    ticket = await QueueTicket.create(
        centre_id=centre.id,
        group="Z",
        day=now.date(),
        number=serial(),
        kind="WALK_IN",
        status="CALLED",
        implementation_id=item.id,
        service_code=item.code,
        service_name=item.name,
        queued_at=now,
        issued_at=now,
    )
    return {"ticketId": gid("QueueTicket", ticket.id)}


APPLICATION = Facts(owner="owner", region="510104")
APPEAL = Facts(owner="owner", department=URBAN, region=CHUNXI_STREET)
PROVIDER = Facts(provider="provider_member")
WINDOW = Facts(centre="handling_officer")
CATALOGUE = Facts(region="510104")

CASES: list[Case] = [
    # accounts
    Case("loginWithWeChat", fixed({"code": "not-a-code"})),
    Case("bindWeChatPhone", fixed({"code": "not-a-code"})),
    Case("requestSmsCode", fixed({"phone": "13800000000"})),
    Case("loginWithSms", fixed({"phone": "13800000000", "code": "000000"})),
    Case("refreshSession", fixed({"refreshToken": "not-a-token"})),
    Case("logout", fixed({"allDevices": False}), fresh_session=True),
    Case("startIdentityVerification", fixed({"name": "张三", "idNumber": "1"})),
    Case("verifyIdentity", fixed({"verifyId": "unknown-verification"})),
    Case("loginTerminal", fixed({"code": "T0", "credential": "x"})),
    Case("loginStaff", fixed({"username": "nobody", "password": "wrong"})),
    Case("unlockStaffAccount", fixed({"username": STAFF_ACCOUNT})),
    Case("grantStaffRole", fixed({"username": STAFF_ACCOUNT, "role": "REVIEWER"})),
    Case("revokeStaffRole", fixed({"username": STAFF_ACCOUNT, "role": "REVIEWER"})),
    # catalogue
    Case("upsertBaseItem", each(_base_item)),
    Case("upsertImplementation", each(_implementation), CATALOGUE),
    Case("publishImplementation", each(_draft), CATALOGUE),
    Case("attachMaterialFile", each(_draft_material), CATALOGUE),
    Case("upsertArticle", each(_article), CATALOGUE),
    Case("registerTerminal", each(_terminal), CATALOGUE),
    Case("setCalendarDay", fixed({"day": "2031-05-06", "isWorkday": False})),
    # documents
    Case(
        "requestDocumentUpload",
        fixed({"kind": "PHOTO", "fileName": "a.jpg", "contentType": "image/jpeg", "size": 1024}),
    ),
    Case("confirmDocumentUpload", each(_own_document), Facts(owner="owner")),
    Case("deleteDocument", each(_own_document), Facts(owner="owner")),
    Case("verifyDocumentOriginal", each(_used_document), Facts(owner="owner")),
    # applications
    Case(
        "submitApplication",
        fixed(
            {
                "serviceCode": HYGIENE,
                "regionCode": "510104",
                "documentIds": [],
                "channel": "MINI_PROGRAM",
            }
        ),
    ),
    Case(
        "supplementApplication",
        on_application(ApplicationStatus.SUPPLEMENT_REQUESTED, {"documentIds": []}),
        APPLICATION,
    ),
    Case("withdrawApplication", on_application(ApplicationStatus.SUBMITTED), APPLICATION),
    Case(
        "rateApplication",
        on_application(ApplicationStatus.COMPLETED, {"level": "SATISFIED"}),
        APPLICATION,
    ),
    Case("acceptApplication", on_application(ApplicationStatus.SUBMITTED), APPLICATION),
    Case(
        "rejectApplication",
        on_application(ApplicationStatus.SUBMITTED, {"reason": "材料不全"}),
        APPLICATION,
    ),
    Case(
        "requestSupplement",
        on_application(
            ApplicationStatus.ACCEPTED, {"materials": [0], "note": "照片不清晰"}, task=True
        ),
        APPLICATION,
    ),
    Case("completeTask", each(_task), APPLICATION),
    Case("issueResult", on_application(ApplicationStatus.APPROVED, task=True), APPLICATION),
    Case("recordRevisit", each(_revisit), APPLICATION),
    # payments: the owner pays; the single window exempts (no fee here: answered, not refused)
    Case("createPayment", on_application(ApplicationStatus.ACCEPTED), APPLICATION),
    Case(
        "exemptFeeItem",
        on_application(ApplicationStatus.ACCEPTED, {"position": 0, "rule": "DIBAO"}),
        APPLICATION,
    ),
    Case("grantSubscriptions", fixed({"results": []})),
    Case("markNotificationsRead", fixed({})),
    # scenarios
    Case(
        "submitScenario",
        fixed({"scenarioCode": "newborn", "answers": [], "channel": "MINI_PROGRAM"}),
    ),
    Case("upsertScenario", each(_scenario), Facts(department="11510100562973015U")),
    Case("publishScenario", fixed({"code": "newborn"}), Facts(department="11510100562973015U")),
    Case(
        "upsertTheme",
        fixed({"code": "LIVING", "name": "生活", "audience": "PERSON"}),
    ),
    # providers
    Case("registerProvider", each(_unique_code)),
    Case("reviewProvider", each(_pending_provider)),
    Case("suspendProvider", each(_approved_provider)),
    Case("reinstateProvider", each(_suspended_provider)),
    Case("inviteProviderMember", provider_input({"phone": "13900001111"}), PROVIDER),
    Case("acceptProviderInvitation", each(_invitation)),
    Case("cancelProviderInvitation", each(_invitation), PROVIDER),
    Case("changeProviderMemberRole", each(_editor_role), PROVIDER),
    Case("removeProviderMember", each(_editor), PROVIDER),
    Case("createProviderService", provider_input(service_input()), PROVIDER),
    Case("updateProviderService", on_service("DRAFT", {"name": "水电气过户"}), PROVIDER),
    Case("submitProviderService", on_service("DRAFT"), PROVIDER),
    Case("reviewProviderService", on_service("SUBMITTED", {"decision": "APPROVE"}), PROVIDER),
    Case("suspendProviderService", on_service("PUBLISHED", {"reason": "投诉较多"}), PROVIDER),
    Case(
        "createApiKey", provider_input({"name": "订单系统", "scopes": ["SERVICES_READ"]}), PROVIDER
    ),
    Case("revokeApiKey", each(_key), PROVIDER),
    Case(
        "registerWebhook",
        provider_input({"url": "https://hooks.example.com/x", "events": ["SERVICE_REVIEWED"]}),
        PROVIDER,
    ),
    Case("rotateWebhookSecret", each(_webhook), PROVIDER),
    Case("deleteWebhook", each(_webhook), PROVIDER),
    Case("testWebhookDelivery", each(_webhook), PROVIDER),
    Case("grantHandoffConsent", on_service("PUBLISHED", {"fields": ["PHONE"]}), PROVIDER),
    Case("withdrawHandoffConsent", each(_consent), Facts(owner="owner")),
    Case("exchangeHandoffCode", provider_input({"code": "000000"}), PROVIDER),
    # delegation (帮办代办)
    Case(
        "grantDelegation",
        fixed({"agentPhone": "13912345678", "serviceCodes": [HYGIENE], "validUntil": "2031-05-06"}),
    ),
    Case("acceptDelegation", each(delegation.received_pending), Facts(owner="owner")),
    Case("revokeDelegation", each(delegation.given), Facts(owner="owner")),
    Case("submitApplicationAsAgent", each(delegation.received_active), Facts(owner="owner")),
    Case("registerCommunityHelper", each(delegation.new_helper), CATALOGUE),
    Case("addHelperClient", each(delegation.helper_and_phone), CATALOGUE),
    Case("removeHelperClient", each(delegation.helper_client), CATALOGUE),
    # joint inspections (一次踏勘)
    Case("proposeInspection", each(delegation.inspection_to_propose), APPLICATION),
    Case("respondToInspection", each(delegation.inspection_to_answer), APPLICATION),
    Case("recordInspectionFinding", each(delegation.inspection_visited), APPLICATION),
    # delivery of results
    Case(
        "chooseDelivery",
        on_application(ApplicationStatus.COMPLETED, {"method": "WINDOW"}),
        APPLICATION,
    ),
    # TV hall sign-in
    Case("startTvSignIn", fixed({"deviceName": "客厅电视"})),
    Case("confirmTvSignIn", fixed({"userCode": "ABCD-EFGH"})),
    Case("exchangeTvSignIn", fixed({"deviceCode": "never-issued"})),
    # appeals
    Case(
        "fileAppeal",
        fixed(
            {
                "kind": "COMPLAINT",
                "categoryCode": "0101",
                "content": "春熙路口有流动摊贩占道。",
                "regionCode": CHUNXI_STREET,
                "documentIds": [],
                "channel": "WEB_HALL",
            }
        ),
    ),
    Case(
        "dispatchAppeal",
        on_appeal("SUBMITTED", {"departmentCode": WATER}),
        Facts(owner="owner", department=URBAN, region=CHUNXI_STREET),
    ),
    Case("signAppeal", on_appeal("DISPATCHED"), APPEAL),
    Case("returnAppeal", on_appeal("DISPATCHED", {"reason": "非本部门职责"}), APPEAL),
    Case(
        "requestAppealExtension",
        on_appeal("SIGNED", {"days": 2, "reason": "需现场核实"}),
        APPEAL,
    ),
    Case("decideAppealExtension", on_appeal("EXTENSION", {"approve": True}), APPEAL),
    Case("replyAppeal", on_appeal("DISPATCHED", {"content": "已处理。"}), APPEAL),
    Case("mergeAppeals", each(_merge), APPEAL),
    Case("rateAppeal", on_appeal("REPLIED", {"level": "SATISFIED"}), APPEAL),
    Case("reopenAppeal", on_appeal("REPLIED", {"reason": "问题依旧"}), APPEAL),
    Case("moderateAppeal", on_appeal("HELD", {"decision": "RELEASE"}), APPEAL),
    Case("publishAppealPhoto", each(_checked_photo), APPEAL),
    Case(
        "recordAppealRevisit",
        on_appeal("CLOSED", {"method": "CALL", "satisfaction": "SATISFIED"}),
        APPEAL,
    ),
    # the hall: the ADMIN (and a centre's MANAGER) runs it; residents book and check in
    Case("upsertHallWindow", each(_hall_window)),
    Case("setCentreHours", each(_hall_hours)),
    Case("assignCentreStaff", each(_hall_assign)),
    Case("removeCentreStaff", each(_hall_remove)),
    Case("bookAppointment", each(_hall_booking)),
    Case("cancelAppointment", each(_hall_appointment), Facts(owner="owner")),
    Case("checkIn", each(_hall_appointment), Facts(owner="owner")),
    Case("callNextTicket", each(_hall_call)),
    Case("recallTicket", each(_hall_ticket)),
    Case("skipTicket", each(_hall_ticket)),
    # the dispatch catalogue and table: the 12345 centre's
    Case("upsertAppealCategory", each(_category_edit)),
    Case("retireAppealCategory", each(_retirable)),
    Case("setAppealRoute", each(_route_set)),
    Case("removeAppealRoute", each(_route_removed)),
    # staff queries
    Case(
        "catalogueDivergences",
        no_variables,
        query='{ catalogueDivergences(regionCode: "510104") { fields } }',
    ),
    Case("workItems", no_variables, query="{ workItems { pageInfo { hasNextPage } } }"),
    Case(
        "overdueApplications",
        no_variables,
        query="{ overdueApplications { pageInfo { hasNextPage } } }",
    ),
    Case("applicationRatings", no_variables, query="{ applicationRatings(by: ITEM) { key } }"),
    Case("rectifications", no_variables, query="{ rectifications { __typename } }"),
    Case(
        "appealSupervisions",
        no_variables,
        query="{ appealSupervisions { pageInfo { hasNextPage } } }",
    ),
    Case("appealInsights", no_variables, query="{ appealInsights { total } }"),
    Case(
        "appealDispatchRules",
        no_variables,
        query="{ appealDispatchRules { pageInfo { hasNextPage } } }",
    ),
    Case(
        "appealDispatchHistory",
        no_variables,
        query="{ appealDispatchHistory { pageInfo { hasNextPage } } }",
    ),
    Case(
        "exchangeMessages", no_variables, query="{ exchangeMessages { pageInfo { hasNextPage } } }"
    ),
    Case(
        "exchangeCallbacks",
        no_variables,
        query="{ exchangeCallbacks { pageInfo { hasNextPage } } }",
    ),
    Case("providers", no_variables, query="{ providers { pageInfo { hasNextPage } } }"),
    Case("centreStaff", _hall_staff_query, query=HALL_STAFF_QUERY),
    Case(
        "paymentAnomalies",
        no_variables,
        query="{ paymentAnomalies { pageInfo { hasNextPage } } }",
    ),
    # the hall's windows: the handling officer manages the 锦江 centre
    Case("registerDevice", each(window.device_input), WINDOW),
    Case("retireDevice", each(window.registered_device), WINDOW),
    Case("submitApplicationOnBehalf", each(window.on_behalf_input), WINDOW),
    Case("confirmApplicationOnBehalf", each(window.pending_consent), WINDOW),
    Case("handOverMaterials", each(window.citywide_application), WINDOW),
    Case("receiveMaterials", each(window.handed_over), APPLICATION),
    Case("signInAtTerminal", each(window.terminal_sign_in)),
    Case("handOverResult", each(window.window_result), WINDOW),
    Case("placeHallTerminal", each(window.terminal_to_place), WINDOW),
    Case("removeHallTerminal", each(window.placed_terminal), WINDOW),
    # Only a terminal, or a resident signed in at one, enters a pickup code: no actor here.
    Case("collectResultAtTerminal", fixed({"pickupCode": "12345678"})),
]
BY_FIELD = {case.name: case for case in CASES}


def test_every_root_field_names_an_action_of_the_table() -> None:
    missing = sorted(name for name, action in ACTIONS.items() if action is None)
    assert missing == []
    assert {a for a in ACTIONS.values() if a is not None} <= set(POLICY)
    assert set(POLICY) == set(Action)


def test_every_mutation_and_staff_query_is_in_the_matrix() -> None:
    schema = _schema()
    mutations = set(schema.mutation_type.fields)
    staff_queries = {name for name in schema.query_type.fields if ACTIONS[name] not in READS}
    assert sorted(mutations - set(BY_FIELD)) == []
    assert sorted(staff_queries - set(BY_FIELD)) == []
    assert isinstance(schema.mutation_type, GraphQLObjectType)


def _refusal(case: Case, body: dict[str, Any]) -> str | None:
    """The refusal's code, or None when the call was not refused."""
    errors = body.get("errors") or []
    if case.query is not None:
        codes = [e.get("extensions", {}).get("code") for e in errors]
        return codes[0] if codes and codes[0] in REFUSALS else None
    assert not errors, body
    payload = body["data"][case.name]
    code = payload.get("code") if payload["__typename"].endswith("Error") else None
    return code if code in REFUSALS else None


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
async def test_the_table_decides(world: World, case: Case) -> None:
    action = ACTIONS[case.name]
    assert action is not None
    rule = POLICY[action]
    officers = await officers_for(case.facts)
    expected = {
        actor: rule.holds_for(await relations(actor, case.facts, officers)) for actor in ACTORS
    }
    document = case.query or mutation_document(case.name)

    # Refused callers share one subject: they change nothing.
    variables = await case.make(world, "refused")
    for actor in (a for a in ACTORS if not expected[a]):
        account = await account_of(world, actor, officers)
        if account is not None and not case.fresh_session:
            await world.token(account)  # signed in before, not by the call
        before = await fingerprint()
        answer = await call(world, document, variables, account, fresh=case.fresh_session)
        code = _refusal(case, answer.body)
        assert code is not None, (actor, answer.body)
        if actor == "anonymous":
            assert code == "UNAUTHENTICATED", answer.body
        else:
            assert code in ("FORBIDDEN", "NOT_FOUND"), (actor, answer.body)
        if case.query is not None:
            assert answer.body["data"] is None or answer.body["data"].get(case.name) is None
        assert await fingerprint() == before, (actor, "changed something")

    # Allowed callers each get their own subject: they may change it.
    for actor in (a for a in ACTORS if expected[a]):
        account = await account_of(world, actor, officers)
        variables = await case.make(world, actor)
        answer = await call(world, document, variables, account, fresh=case.fresh_session)
        assert _refusal(case, answer.body) is None, (actor, answer.body)


def test_the_matrix_reads_relations_the_table_knows() -> None:
    from resolvers.policy import RELATIONS

    known = {r.name for r in RELATIONS}
    assert {"owner", "own_department", "handling_department", "in_region_scope"} <= known
    # Every relation the table names is one this test works out for each caller.
    worked_out = {
        "anyone",
        "signed_in",
        "resident",
        "staff",
        "admin",
        "reviewer",
        "supervisor",
        "owner",
        "own_department",
        "handling_department",
        "in_region_scope",
        "provider_member",
        "provider_owner",
        # Staff of a centre (its window staff, its managers) and terminals: held as the
        # facts say (the handling officer manages the 锦江 centre); no actor is a terminal.
        "centre_manager",
        "centre_window",
        "hall_terminal",
        "terminal",
        "at_terminal",
    }
    assert known == worked_out

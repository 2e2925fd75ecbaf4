"""The callers and the things they act on, for the authorisation tests: residents, officers of
named departments, provider members, a reviewer, the 12345 centre and an admin, each with a
session; and subjects (applications, appeals, documents, providers' services ...) made in the
state an action needs."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from strawberry import relay
from tortoise import connections

from api.seed import seed_demo
from resolvers.accounts import sessions
from resolvers.calendar.workdays import china_date
from storage.models.accounts import Account, Role
from storage.models.applications import (
    Application,
    ApplicationMaterial,
    ApplicationStatus,
    ApplicationTask,
    MaterialState,
    Rating,
    RatingLevel,
    Rectification,
    RectificationStatus,
)
from storage.models.catalogue import (
    Article,
    ArticleKind,
    Channel,
    Department,
    Implementation,
    MaterialSource,
    Necessity,
    PublicationStatus,
    Region,
)
from storage.models.documents import Document, DocumentKind, DocumentStatus, TrustLevel
from storage.models.providers import (
    ApiKey,
    HandoffConsent,
    Provider,
    ProviderMember,
    ProviderStatus,
    WebhookEndpoint,
    WebhookEvent,
)
from tests.conftest import RunningApp, ServerThread, loopback, make_settings, start_app
from tests.providers.conftest import credit_code, ensure_themes, service_input

JINJIANG_APPROVALS = "11510104452424621J"  # 锦江区行政审批局
JINJIANG_CIVIL = "11510104724110539J"  # 锦江区民政局
WUHOU_APPROVALS = "11510107210760139R"  # 武侯区行政审批局
CENTRE = "11510100404435553D"  # 成都市政务服务管理和网络理政办公室: the 12345 centre
URBAN = "11510100121459782L"  # 成都市城市管理委员会: 占道经营 (0101) citywide
WATER = "11510100721069833R"  # 成都市水务局
HYGIENE = "51000100020000"  # 公共场所卫生许可 (in 锦江区: the single window is 锦江区行政审批局)
CHUNXI_STREET = "510104001000"

_serial = itertools.count(1)


def serial() -> int:
    return next(_serial)


def gid(type_name: str, value: Any) -> str:
    return relay.to_base64(type_name, str(value))


@dataclass
class World:
    """One seeded app for a whole module, its callers and their sessions."""

    app: RunningApp
    accounts: dict[str, Account] = field(default_factory=dict)
    providers: dict[str, Provider] = field(default_factory=dict)  # by the member's actor name
    tokens: dict[UUID, str] = field(default_factory=dict)

    async def token(self, account: Account, *, fresh: bool = False) -> str:
        if fresh or account.id not in self.tokens:
            issued = await sessions.issue(self.app.resources, account, method="PASSWORD")
            if fresh:
                return issued.token
            self.tokens[account.id] = issued.token
        return self.tokens[account.id]

    async def officer(self, department: Department) -> Account:
        return await Account.get(username=f"officer-{department.code.lower()}")

    async def department(self, code: str) -> Department:
        return await Department.get(code=code)

    def keyring(self) -> Any:
        return self.app.resources.keyring


async def _resident(world: World, name: str, *extra: Role) -> Account:
    keyring = world.keyring()
    phone = f"139{serial():08d}"
    return await Account.create(
        roles=[Role.RESIDENT.value, *(r.value for r in extra)],
        display_name=name,
        identity_verified_at=datetime.now(UTC),
        name_sealed=keyring.seal("张三", context="account.name"),
        name_masked="张*",
        phone_sealed=keyring.seal(phone, context="account.phone"),
        phone_masked=f"{phone[:3]}****{phone[-4:]}",
    )


async def editor_of(world: World, member: str = "provider_member") -> ProviderMember:
    """A new account, EDITOR of the member's provider."""
    account = await _resident(world, "editor", Role.PROVIDER)
    return await ProviderMember.create(
        provider_id=world.providers[member].id, account_id=account.id, owner=False
    )


async def approved_provider(world: World, member: Account) -> Provider:
    keyring = world.keyring()
    provider = await Provider.create(
        name=f"成都测试服务机构{serial()}",
        credit_code=credit_code(),
        contact_name_sealed=keyring.seal("王五", context="provider.contact_name"),
        contact_name_masked="王*",
        contact_phone_sealed=keyring.seal("02886668888", context="provider.contact_phone"),
        contact_phone_masked="028****8888",
        created_by_id=member.id,
        status=ProviderStatus.APPROVED,
    )
    await ProviderMember.create(provider_id=provider.id, account_id=member.id, owner=True)
    return provider


@pytest.fixture(scope="module")
async def world(
    database_url: str,
    redis_url: str,
    tmp_path_factory: pytest.TempPathFactory,
    mock_wechat_server: ServerThread,
    province_server: ServerThread,
) -> AsyncIterator[World]:
    settings = make_settings(
        database_url=database_url,
        redis_url=redis_url,
        storage=tmp_path_factory.mktemp("objects"),
        wechat_url=mock_wechat_server.url,
        province_url=province_server.url,
        demo_data=True,
        # Many subjects are filed by the same resident within the hour.
        appeals_per_hour=10_000,
        provider_registrations_per_day=100,
    )
    loopback.post(f"{mock_wechat_server.url}/__mock__/reset").raise_for_status()
    async for app in start_app(settings):
        await seed_demo(settings)
        await app.resources.reference.warm()
        await ensure_themes("HOUSING", "LIVING")
        found = World(app)
        found.accounts["owner"] = await _resident(found, "owner")
        found.accounts["other_resident"] = await _resident(found, "other")
        for member in ("provider_member", "other_provider_member"):
            account = await _resident(found, member, Role.PROVIDER)
            found.accounts[member] = account
            found.providers[member] = await approved_provider(found, account)
        # An EDITOR of provider_member's provider (who is its OWNER).
        editor = await _resident(found, "provider_editor", Role.PROVIDER)
        found.accounts["provider_editor"] = editor
        await ProviderMember.create(
            provider_id=found.providers["provider_member"].id, account_id=editor.id, owner=False
        )
        found.accounts["reviewer"] = await Account.get(username="demo-reviewer")
        found.accounts["admin"] = await Account.get(username="demo-admin")
        found.accounts["supervisor"] = await found.officer(await found.department(CENTRE))
        yield found


# -- subjects


async def document(world: World, owner: str = "owner", **fields: Any) -> Document:
    """An uploaded (trust C) photo in the wallet of `owner`."""
    account = world.accounts[owner]
    document_id = uuid4()
    values: dict[str, Any] = {
        "id": document_id,
        "owner_id": account.id,
        "kind": DocumentKind.PHOTO,
        "file_name": "photo.jpg",
        "declared_content_type": "image/jpeg",
        "detected_content_type": "image/jpeg",
        "declared_size": 2048,
        "size": 2048,
        "sha256": "0" * 64,
        "status": DocumentStatus.AVAILABLE,
        "trust_level": TrustLevel.C,
        "object_key": f"documents/{account.id}/{document_id}",
        "confirmed_at": datetime.now(UTC),
    }
    values.update(fields)
    return await Document.create(**values)


async def hygiene() -> Implementation:
    found = await Implementation.filter(
        base__basic_code=HYGIENE, region__code="510104", status=PublicationStatus.PUBLISHED
    ).first()
    assert found is not None
    return found


async def application(
    world: World,
    status: ApplicationStatus,
    *,
    owner: str = "owner",
    documents: list[Document] | None = None,
    task: bool = False,
) -> Application:
    """An application of 公共场所卫生许可 in 锦江区 (the single window: 锦江区行政审批局) in
    `status`, with the owner's documents as its materials; `task`: the single window's task
    (accepted applications)."""
    item = await hygiene()
    today = china_date(datetime.now(UTC))
    accepted = status not in (ApplicationStatus.SUBMITTED, ApplicationStatus.WITHDRAWN)
    created = await Application.create(
        number=f"CD{today:%Y%m%d}9{serial():05d}",
        owner_id=world.accounts[owner].id,
        implementation_id=item.id,
        department_id=item.department_id,
        region_id=item.region_id,
        status=status,
        channel=Channel.MINI_PROGRAM,
        form_sealed=world.keyring().seal("{}", context="application.form"),
        submitted_at=datetime.now(UTC),
        acceptance_due_date=today + timedelta(days=5),
        accepted_on=today if accepted else None,
        due_date=today + timedelta(days=20) if accepted else None,
        resume_status=ApplicationStatus.SUBMITTED
        if status is ApplicationStatus.SUPPLEMENT_REQUESTED
        else None,
        stopped_on=today if status is ApplicationStatus.SUPPLEMENT_REQUESTED else None,
        finished_at=datetime.now(UTC) if status is ApplicationStatus.COMPLETED else None,
    )
    for position, used in enumerate(documents or [await document(world, owner)]):
        await ApplicationMaterial.create(
            application_id=created.id,
            position=position,
            name="现场照片",
            necessity=Necessity.REQUIRED,
            source=MaterialSource.APPLICANT,
            document_kind=used.kind.value,
            document_id=used.id,
            state=MaterialState.PROVIDED,
        )
    if task:
        await ApplicationTask.create(
            application_id=created.id,
            department_id=item.department_id,
            lead=True,
            due_date=today + timedelta(days=20),
        )
    return created


async def rectification(world: World) -> Rectification:
    completed = await application(world, ApplicationStatus.COMPLETED)
    assert completed.department_id is not None
    rating = await Rating.create(
        application_id=completed.id,
        level=RatingLevel.DISSATISFIED,
        score=2,
        comment="",
        base_code=HYGIENE,
        department_id=completed.department_id,
    )
    return await Rectification.create(
        rating_id=rating.id,
        application_id=completed.id,
        department_id=completed.department_id,
        status=RectificationStatus.OPEN,
        due_date=china_date(datetime.now(UTC)) + timedelta(days=10),
    )


async def article(world: World, department_code: str | None) -> Article:
    department = await world.department(department_code) if department_code else None
    return await Article.create(
        kind=ArticleKind.NOTICE,
        title=f"办事须知{serial()}",
        body="工作日办理。",
        department_id=department.id if department else None,
        region_id=department.region_id if department else None,
    )


async def community_in(county: str) -> Region:
    found = await Region.filter(level="COMMUNITY", code__startswith=county).first()
    assert found is not None, county
    return found


async def api_key(world: World, member: str = "provider_member") -> ApiKey:
    return await ApiKey.create(
        provider_id=world.providers[member].id,
        name="订单系统",
        prefix="rb_pk_test",
        key_hash=uuid4().hex,
        scopes=["services:read"],
        rate_per_minute=60,
        daily_quota=1000,
        created_by_id=world.accounts[member].id,
    )


async def webhook(world: World, member: str = "provider_member") -> WebhookEndpoint:
    return await WebhookEndpoint.create(
        provider_id=world.providers[member].id,
        url="https://hooks.example.com/rongban",
        events=[WebhookEvent.SERVICE_REVIEWED.value],
        secret_sealed=world.keyring().seal("whsec_test", context="provider.webhook_secret"),
        created_by_id=world.accounts[member].id,
    )


async def call(
    world: World, document: str, variables: dict[str, Any], account: Account | None, **kw: Any
) -> Any:
    token = await world.token(account, **kw) if account is not None else None
    return await world.app.gql(document, variables, token=token)


async def provider_service(world: World, status: str, member: str = "provider_member") -> str:
    """A service of the member's provider, moved to `status` the way clients move it."""
    from tests.providers.conftest import CREATE, REVIEW, SUBMIT, SUSPEND

    account = world.accounts[member]
    created = await call(
        world,
        CREATE,
        {"input": {**service_input(), "providerId": gid("Provider", world.providers[member].id)}},
        account,
    )
    service = created.data["createProviderService"]
    assert service["__typename"] == "ProviderService", service
    submit: tuple[str, dict[str, Any], Account | None] = (SUBMIT, {}, account)
    approve: tuple[str, dict[str, Any], Account | None] = (REVIEW, {"decision": "APPROVE"}, None)
    suspend: tuple[str, dict[str, Any], Account | None] = (SUSPEND, {"reason": "测试"}, None)
    plans = {
        "SUBMITTED": [submit],
        "PUBLISHED": [submit, approve],
        "SUSPENDED": [submit, approve, suspend],
    }
    steps = plans.get(status, [])
    for document, extra, by in steps:
        done = await call(
            world,
            document,
            {"input": {"serviceId": service["id"], **extra}},
            by or world.accounts["admin"],
        )
        assert done.data, done.body
    return str(service["id"])


async def consent(world: World, owner: str = "owner") -> HandoffConsent:
    service_id = await provider_service(world, "PUBLISHED")
    from resolvers.ids import node_uuid

    now = datetime.now(UTC)
    return await HandoffConsent.create(
        account_id=world.accounts[owner].id,
        provider_id=world.providers["provider_member"].id,
        service_id=node_uuid(service_id, "ProviderService"),
        fields_shared=["PHONE"],
        code_hash=uuid4().hex,
        code_expires_at=now + timedelta(minutes=10),
        granted_at=now,
    )


# -- appeals, filed and moved as clients do

APPEAL_RESULT = "__typename ... on Appeal { id status } ... on UserError { message }"


async def appeal(world: World, status: str, *, owner: str = "owner") -> str:
    """An appeal about 占道经营 in 春熙路 (dispatched to 成都市城市管理委员会 at once) in
    `status`: SUBMITTED (a category with no route: the centre's queue), HELD, DISPATCHED,
    SIGNED, EXTENSION (signed, an extension asked), REPLIED, CLOSED."""
    queued = status == "SUBMITTED"
    filed = await call(
        world,
        f"mutation($input: FileAppealInput!) {{ fileAppeal(input: $input) {{ {APPEAL_RESULT} }} }}",
        {
            "input": {
                "kind": "COMPLAINT",
                "categoryCode": "0404" if queued else "0101",
                "content": "小区已经停电六个小时了。" if queued else "春熙路口有流动摊贩占道。",
                "regionCode": CHUNXI_STREET,
                "documentIds": [],
                "channel": "WEB_HALL",
            }
        },
        world.accounts[owner],
    )
    appeal_id = str(filed.data["fileAppeal"]["id"])
    if status == "HELD":
        from storage.models.appeals import Appeal, AppealStatus, HoldReason

        await Appeal.filter(id=relay.GlobalID.from_id(appeal_id).node_id).update(
            status=AppealStatus.HELD, hold_reason=HoldReason.REVIEW, department_id=None
        )
        return appeal_id
    urban = await world.officer(await world.department(URBAN))
    steps: list[tuple[str, str, dict[str, Any], Account]] = []
    if status in ("SIGNED", "EXTENSION", "REPLIED", "CLOSED"):
        steps.append(("signAppeal", "SignAppealInput", {}, urban))
    if status == "EXTENSION":
        steps.append(
            (
                "requestAppealExtension",
                "RequestAppealExtensionInput",
                {"days": 2, "reason": "需现场核实"},
                urban,
            )
        )
    if status in ("REPLIED", "CLOSED"):
        steps.append(("replyAppeal", "ReplyAppealInput", {"content": "已处理。"}, urban))
    if status == "CLOSED":
        steps.append(
            ("rateAppeal", "RateAppealInput", {"level": "SATISFIED"}, world.accounts[owner])
        )
    for name, input_type, values, by in steps:
        done = await call(
            world,
            f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ {APPEAL_RESULT} }} }}",
            {"input": {"appealId": appeal_id, **values}},
            by,
        )
        assert done.data[name]["__typename"] == "Appeal", (name, done.body)
    return appeal_id


# -- nothing changed


async def fingerprint() -> list[Any]:
    """Every table's row count and newest row version (PostgreSQL: xmin changes with every
    insert and update), or its rows (SQLite); the audit trail is left out: refusals of staff
    account actions are written to it on purpose."""
    connection = connections.get("default")
    tables = [
        t
        for (t,) in [
            tuple(r.values())
            for r in await connection.execute_query_dict(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                if connection.capabilities.dialect == "postgres"
                else "SELECT name AS tablename FROM sqlite_master WHERE type = 'table'"
            )
        ]
        if t not in ("audit_event", "aerich") and not t.startswith("sqlite_")
    ]
    if connection.capabilities.dialect == "postgres":
        query = " UNION ALL ".join(
            f"SELECT '{t}' AS t, count(*) AS n, max(xmin::text::bigint) AS v FROM \"{t}\""
            for t in sorted(tables)
        )
        # Sorted here: PostgreSQL may answer a UNION ALL in any order (a parallel plan does).
        rows = await connection.execute_query_dict(query)
        return sorted(rows, key=lambda row: str(row["t"]))
    return [
        (t, sorted(map(repr, await connection.execute_query_dict(f'SELECT * FROM "{t}"'))))
        for t in sorted(tables)
    ]

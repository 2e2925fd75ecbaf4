"""python -m mock_wechat.journey: replay the mini-program's journeys against a running API.

Run it beside `make run`; it plays one WeChat user through wx.login, loginWithWeChat,
the phone-number button and real-name verification (startIdentityVerification, the face
check the mock plays, verifyIdentity), an upload to the wallet, a service's guide screen,
and the 开办餐饮店 bundle (scenarioPlan -> submitScenario), and prints what the app would show.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import secrets
import uuid
from typing import Any

import httpx
from stdnum.cn import uscc

from mock_wechat import journey_delegation
from mock_wechat.client import MiniProgram, document_id, post_graphql
from mock_wechat.journey_hall import hall_journey
from mock_wechat.journey_payment import JourneyFailed, payment_journey
from mock_wechat.journey_terminal import terminal_journey
from mock_wechat.people import (
    DEMO_ID_NUMBER,
    DEMO_NAME,
    DEMO_PHONE,
    DEMO_USER,
    person_of,
    phone_of,
)


def identity_of(user: str) -> tuple[str, str]:
    """The phone and ID number a journey user binds: the demo person for the default user;
    for any other, their own, derived from the name (the service gives each phone and each
    ID number to one account only), the same on every run. The mock knows the same person
    for the user, so the face check passes for exactly this identity."""
    return phone_of(user), person_of(user)[1]


async def login_journey(
    program: MiniProgram,
    *,
    phone: str = DEMO_PHONE,
    id_number: str = DEMO_ID_NUMBER,
    name: str = DEMO_NAME,
) -> list[str]:
    """Sign in, bind the phone, verify the real name: startIdentityVerification, the face
    check (wx.requestFacialVerify, played by the mock), verifyIdentity. A phone and an ID
    number belong to one account only: several residents on one service each need their own.
    """
    steps = []
    session = await program.login()
    steps.append(f"loginWithWeChat -> {session['__typename']}")
    bound = await program.bind_phone(phone)
    steps.append(f"bindWeChatPhone -> {bound['__typename']} {bound.get('phoneMasked', bound)}")
    if person_of(program.user) != (name, id_number):
        # Whoever runs the journey with an identity of their choosing holds that identity.
        await program.be_person(name, id_number)
    started = await program.start_identity_verification(name, id_number)
    steps.append(
        f"startIdentityVerification -> {started['__typename']} "
        f"{started.get('channel', started.get('code'))}"
    )
    verify_id = str(started.get("verifyId", ""))
    status = await program.wx_request_facial_verify(verify_id, "pass")
    steps.append(f"wx.requestFacialVerify -> HTTP {status}")
    verified = await program.confirm_identity(verify_id)
    steps.append(
        f"verifyIdentity  -> {verified['__typename']} "
        f"{verified.get('nameMasked')} {verified.get('idNumberMasked', verified.get('code'))}"
    )
    me = await program.me()
    steps.append(f"me              -> {me}")
    # The home screen's suggestions: a newcomer gets them too, each with its reason.
    suggested = await program.recommended_services(first=3)
    steps.append(
        "recommendedServices -> " + "; ".join(f"{r['reasonCode']} {r['reason']}" for r in suggested)
    )
    return steps


# A real 8x8 JPEG: the wallet decodes photos (to strip their metadata) and refuses a file
# that only starts like one.
DEMO_JPEG = base64.b64decode(
    "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4n"
    "ICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/2wBDAQkJCQwLDBgNDRgyIRwhMjIyMjIyMjIyMjIyMjIyMjIy"
    "MjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjL/wAARCAAIAAgDASIAAhEBAxEB/8QAHwAAAQUBAQEB"
    "AQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKB"
    "kaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1"
    "dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl"
    "5ufo6erx8vP09fb3+Pn6/8QAHwEAAwEBAQEBAQEBAQAAAAAAAAECAwQFBgcICQoL/8QAtREAAgECBAQDBAcF"
    "BAQAAQJ3AAECAxEEBSExBhJBUQdhcRMiMoEIFEKRobHBCSMzUvAVYnLRChYkNOEl8RcYGRomJygpKjU2Nzg5"
    "OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6goOEhYaHiImKkpOUlZaXmJmaoqOkpaanqKmqsrO0"
    "tba3uLm6wsPExcbHyMnK0tPU1dbX2Nna4uPk5ebn6Onq8vP09fb3+Pn6/9oADAMBAAIRAxEAPwDBooor5w/Q"
    "D//Z"
)


async def document_journey(program: MiniProgram) -> list[str]:
    """requestDocumentUpload -> wx.uploadFile -> confirmDocumentUpload -> myDocuments."""
    steps = []
    result = await program.upload_document(
        "ID_CARD_FRONT", "身份证正面.jpg", "image/jpeg", DEMO_JPEG
    )
    steps.append(f"requestDocumentUpload -> {result['ticket']['__typename']}")
    steps.append(f"wx.uploadFile         -> HTTP {result['upload']}")
    confirmed = result["confirm"] or {}
    steps.append(
        f"confirmDocumentUpload -> {confirmed.get('__typename')} "
        f"{confirmed.get('status', confirmed.get('code'))}"
    )
    wallet = await program.my_documents(first=5)
    steps.append(f"myDocuments           -> {len(wallet['edges'])} document(s)")
    return steps


# 公共场所卫生许可 in 锦江区: the demo seed makes it a two-department (parallel) item.
DEMO_SERVICE = ("51000100020000", "510104")


# Where the demo resident stands when asking for the nearest centre: 天府广场.
DEMO_PLACE = (30.6574, 104.0659)


async def search_journey(program: MiniProgram, *, region: str = "510104") -> list[str]:
    """Search as residents type it, in characters and in pinyin initials, open the first
    answer's guide and ask for the nearest centres that handle it (API.md journey 2)."""
    steps = []
    found: list[dict[str, Any]] = []
    for keyword in ("身份证", "sfz"):
        found = await program.search_services(keyword, region_code=region, first=5)
        if not found:
            raise JourneyFailed(f"services(keyword: {keyword}) found nothing")
        steps.append(
            f"services({keyword})  -> {len(found)}: "
            + "; ".join(f"{s['name']} ({s['region']['name']})" for s in found[:3])
        )
    first = found[0]
    guide = await program.service_guide(first["code"])
    if guide is None:
        raise JourneyFailed(f"service({first['code']}) is gone")
    steps.append(f"service         -> {guide['name']}, {len(guide['materials'])} materials")
    centres = await program.nearby_centres(first["code"], DEMO_PLACE)
    if not centres:
        raise JourneyFailed(f"no centre handles {first['code']}")
    nearest = centres[0]
    steps.append(
        f"serviceCentres  -> {len(centres)}, nearest {nearest['name']} "
        f"{nearest['distanceMeters'] / 1000:.1f} km, {nearest['hours']}"
    )
    return steps


async def guide_journey(program: MiniProgram, *, code: str = "", region: str = "") -> list[str]:
    """The guide screen (办事指南) of one service: what it costs and by which law, whom to
    call, where to go (the handling centres with their address, map point and hours), the
    materials with their blank forms and samples, the FAQs and what the result looks like."""
    code, region = code or DEMO_SERVICE[0], region or DEMO_SERVICE[1]
    guide = await program.service_guide(code, region)
    if guide is None:
        return [f"service         -> none for {code} in {region}"]
    fee = (
        "免费"
        if guide["isFree"]
        else "; ".join(
            f"{f['name']} {f['amountFen'] / 100:.2f}元（{f['legalBasis']}）"
            for f in guide["feeItems"]
        )
    )
    centres = guide["handlingCentres"]
    where = (
        f"{centres[0]['name']} {centres[0]['address']} "
        f"({centres[0]['location']['lat']:.3f},{centres[0]['location']['lng']:.3f}) "
        f"{centres[0]['hours']}"
        if centres
        else "-"
    )
    materials = guide["materials"]
    forms = sum(1 for m in materials if m["blankForm"])
    samples = sum(1 for m in materials if m["sample"])
    return [
        f"service         -> {guide['name']}, {fee}, 咨询 {guide['consultationPhone']}",
        f"handlingCentres -> {len(centres)}: {where}",
        f"materials       -> {len(materials)}, {forms} blank forms, {samples} samples",
        f"faqs            -> {len(guide['faqs'])}, result: {guide['resultSample'][:12]}",
    ]


DEMO_PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + b" " * 64 + b"%%EOF\n"


async def application_journey(
    program: MiniProgram, staff: list[str], *, act: Any = None
) -> list[str]:
    """submitApplication reusing wallet documents -> grantSubscriptions -> staff accept, tasks
    done in parallel, result issued -> a subscribe message arrives -> rateApplication.

    `staff` are the sign-in names of the officers: the first is the single window's. `act`
    runs a staff mutation (name, token, variables) and returns its data; the default posts it
    through the program's API client."""
    steps = []
    documents = []
    for kind, name, content_type, data in (
        ("ID_CARD_FRONT", "身份证正面.jpg", "image/jpeg", DEMO_JPEG),
        ("OTHER", "卫生管理制度.pdf", "application/pdf", DEMO_PDF),
    ):
        uploaded = await program.upload_document(kind, name, content_type, data)
        documents.append(document_id(uploaded))
    code, region = DEMO_SERVICE
    submitted = await program.submit_application(code, documents, region_code=region)
    steps.append(f"submitApplication  -> {submitted['__typename']} {submitted.get('status')}")
    granted = await program.subscribe_to_updates()
    steps.append(f"grantSubscriptions -> {granted['__typename']}")

    async def staff_call(token: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        response = await post_graphql(
            program.api,
            {"query": query, "variables": variables},
            {"authorization": f"Bearer {token}"} if token else {},
        )
        data: dict[str, Any] = response.json()["data"]
        return data

    tokens = []
    for username in staff:
        session = await staff_call(
            "",
            "mutation($u: String!, $p: String!) { loginStaff(input: {username: $u, password: $p})"
            " { ... on Session { token } } }",
            {"u": username, "p": os.environ.get("RONGBAN_DEMO_PASSWORD", "rongban-demo")},
        )
        tokens.append(session["loginStaff"]["token"])
    application_id = submitted["id"]
    accepted = await staff_call(
        tokens[0],
        "mutation($id: ID!) { acceptApplication(input: {applicationId: $id}) { ... on Application"
        " { status tasks { id department { code } } } } }",
        {"id": application_id},
    )
    tasks = accepted["acceptApplication"]["tasks"]
    steps.append(
        f"acceptApplication  -> {accepted['acceptApplication']['status']}, {len(tasks)} tasks"
    )
    for task, token in zip(tasks, tokens, strict=False):
        await staff_call(
            token,
            "mutation($id: ID!) { completeTask(input: {taskId: $id, outcome: APPROVED}) "
            "{ __typename } }",
            {"id": task["id"]},
        )
    issued = await staff_call(
        tokens[0],
        "mutation($id: ID!) { issueResult(input: {applicationId: $id}) { ... on Application "
        "{ status } } }",
        {"id": application_id},
    )
    steps.append(f"issueResult        -> {issued['issueResult']['status']}")
    messages: list[dict[str, Any]] = []
    for _ in range(50):  # the dispatcher sends after commit
        messages = await program.wx_messages()
        if messages:
            break
        await asyncio.sleep(0.2)
    steps.append(
        f"subscribe message  -> {len(messages)} ({messages[0]['data'] if messages else ''})"
    )
    rated = await program.rate_application(application_id, "VERY_SATISFIED", "办事很快")
    steps.append(
        f"rateApplication    -> {rated['__typename']} {(rated.get('rating') or {}).get('level')}"
    )
    # The detail screen: the due date (provisional past the published calendar) and the
    # timeline, where each event says who acted and for which department.
    detail = await program.application(application_id) or {}
    actors = sorted(
        {
            f"{e['actorKind']}{'@' + e['department']['name'] if e['department'] else ''}"
            for e in detail.get("events") or []
        }
    )
    steps.append(
        f"application        -> provisional={detail.get('dueDateProvisional')}, "
        f"{len(detail.get('events') or [])} events by {', '.join(actors)}"
    )
    return steps


PROVINCE_QUERY = """
query($filter: ExchangeMessageFilter) {
  exchangeMessages(filter: $filter, first: 50) {
    edges { node { kind status sequence receipt { ackId } } }
  }
}
"""


async def province_journey(
    api: httpx.AsyncClient, application_id: str, *, admin: str = "demo-admin", tries: int = 100
) -> list[str]:
    """What the province got of one application, as an admin sees it in exchangeMessages:
    waits (the worker sends after commit, one step after the other) until every message is
    DELIVERED or the tries run out, and reports the steps in order."""
    password = os.environ.get("RONGBAN_DEMO_PASSWORD", "rongban-demo")
    session = await api.post(
        "/graphql",
        json={
            "query": "mutation($u: String!, $p: String!) { loginStaff(input: {username: $u, "
            "password: $p}) { ... on Session { token } } }",
            "variables": {"u": admin, "p": password},
        },
    )
    token = session.json()["data"]["loginStaff"]["token"]
    nodes: list[dict[str, Any]] = []
    for _ in range(tries):
        response = await api.post(
            "/graphql",
            json={
                "query": PROVINCE_QUERY,
                "variables": {"filter": {"applicationId": application_id}},
            },
            headers={"authorization": f"Bearer {token}"},
        )
        edges = response.json()["data"]["exchangeMessages"]["edges"]
        nodes = sorted((e["node"] for e in edges), key=lambda n: n["sequence"])
        if nodes and all(n["status"] == "DELIVERED" for n in nodes):
            break
        await asyncio.sleep(0.2)
    statuses = sorted({n["status"] for n in nodes})
    return [
        f"exchangeMessages   -> {len(nodes)} {'/'.join(statuses)}: "
        + " ".join(n["kind"] for n in nodes),
        f"province receipts  -> {sum(1 for n in nodes if n['receipt'])}",
    ]


# 开办餐饮店 as a new 个体工商户 in 锦江区, with a signboard and no staff yet.
DEMO_SCENARIO = "restaurant"
DEMO_ANSWERS = {
    "hasLicence": ["NO"],
    "entityType": ["INDIVIDUAL"],
    "signboard": ["YES"],
    "employees": ["0"],
}
DEMO_FORMS = {
    "51000100010000": {"shopName": "蓉城小面馆", "businessScope": ["热食类食品制售"], "seats": 24}
}


async def scenario_journey(
    program: MiniProgram, *, region: str = "510104", idempotency_key: str | None = None
) -> list[str]:
    """themes -> scenario -> scenarioPlan for 开办餐饮店 -> one upload per material the plan
    asks the resident for -> submitScenario with the confirmed plan's digest."""
    steps = []
    themes = await program.themes("ORGANISATION")
    offered = [s["name"] for t in themes for s in t["scenarios"]]
    steps.append(f"themes          -> {len(themes)} themes, {len(set(offered))} bundles")
    scenario = await program.scenario(DEMO_SCENARIO)
    assert scenario is not None
    steps.append(f"scenario        -> {scenario['name']}, {len(scenario['questions'])} questions")
    plan = await program.scenario_plan(DEMO_SCENARIO, DEMO_ANSWERS, region_code=region)
    assert plan is not None
    steps.append(
        f"scenarioPlan    -> {len(plan['items'])} items, {len(plan['materials'])} materials, "
        f"{plan['promisedDays']} working days (one by one: {plan['separatePromisedDays']})"
    )
    documents: list[str] = []
    reused = 0
    for material in plan["materials"]:
        if material["provision"] == "GOVERNMENT":
            continue  # never asked: the department fetches it
        kind = material["documentKind"]
        # A wallet ID card or photo serves again; OTHER documents differ from one another.
        fresh = [d["id"] for d in material["walletDocuments"] if d["id"] not in documents]
        if kind != "OTHER" and fresh:
            documents.append(fresh[0])
            reused += 1
            continue
        if kind in ("ID_CARD_FRONT", "ID_CARD_BACK", "PHOTO"):
            uploaded = await program.upload_document(kind, f"{kind}.jpg", "image/jpeg", DEMO_JPEG)
        else:
            uploaded = await program.upload_document(kind, "材料.pdf", "application/pdf", DEMO_PDF)
        documents.append(document_id(uploaded))
    steps.append(f"uploads         -> {len(documents)} documents, {reused} from the wallet")
    forms = {
        item["baseCode"]: DEMO_FORMS[item["baseCode"]]
        for item in plan["items"]
        if item["service"] and item["service"]["formSchema"] and item["baseCode"] in DEMO_FORMS
    }
    submitted = await program.submit_scenario(
        DEMO_SCENARIO,
        DEMO_ANSWERS,
        documents,
        region_code=region,
        form=forms,
        idempotency_key=idempotency_key or uuid.uuid4().hex,
        plan_digest=plan["digest"],
    )
    children = submitted.get("children") or []
    steps.append(
        f"submitScenario  -> {submitted['__typename']} "
        f"{submitted.get('status', submitted.get('code'))}, {len(children)} items"
    )
    for child in children:
        steps.append(f"  {child['number']} {child['status']} {child['service']['name']}")
    return steps


def demo_credit_code() -> str:
    """A valid GB 32100 code for the demo organisation (random: each run registers anew)."""
    body = "91510100MA6" + "".join(secrets.choice("0123456789") for _ in range(6))
    return body + uscc.calc_check_digit(body)


async def provider_journey(
    owner: MiniProgram,
    resident: MiniProgram,
    *,
    admin: str = "demo-admin",
    reviewer: str = "demo-reviewer",
    resident_phone: str | None = None,
) -> list[str]:
    """The provider journey: a resident registers an organisation in the mini-program, a
    reviewer (an officer with the REVIEWER role) approves it, the new member describes a
    service (GraphQL, as a provider console would) and submits it, the reviewer publishes it,
    another resident finds it under a theme and hands off with consent, and the provider's
    system exchanges the code (provider API, by API key). With `resident_phone` (the phone
    the resident bound), the OWNER then invites that resident, takes the invitation back,
    invites again, and the resident joins as an EDITOR."""
    steps = []
    api = owner.api

    async def graphql(token: str | None, query: str, variables: dict[str, Any]) -> Any:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        response = await post_graphql(api, {"query": query, "variables": variables}, headers)
        return response.json()["data"]

    registered = await owner.register_provider(
        "成都蓉城家政服务有限公司（演示）", demo_credit_code(), "王五", "028-86668888"
    )
    steps.append(f"registerProvider        -> {registered['__typename']} {registered['status']}")

    async def login(username: str) -> str:
        session = await graphql(
            None,
            "mutation($u: String!, $p: String!) { loginStaff(input: {username: $u, password: $p})"
            " { ... on Session { token } } }",
            {"u": username, "p": os.environ.get("RONGBAN_DEMO_PASSWORD", "rongban-demo")},
        )
        return str(session["loginStaff"]["token"])

    staff = await login(admin)
    theme = await graphql(staff, '{ theme(code: "LIVING") { code } }', {})
    if theme["theme"] is None:  # the themes are the scenarios' reference data; add if missing
        await graphql(
            staff,
            'mutation { upsertTheme(input: {code: "LIVING", name: "生活", audience: PERSON}) '
            "{ __typename } }",
            {},
        )
    # Reviewing is a role given to named officers by ADMIN, not every officer's.
    review = await login(reviewer)
    reviewed = await graphql(
        review,
        "mutation($id: ID!) { reviewProvider(input: {providerId: $id, decision: APPROVE}) "
        "{ ... on Provider { status } } }",
        {"id": registered["id"]},
    )
    steps.append(f"reviewProvider          -> {reviewed['reviewProvider']['status']}")
    me = await owner.me()
    steps.append(f"me.roles                -> {','.join(sorted((me or {}).get('roles', [])))}")
    created = await graphql(
        owner.token,
        "mutation($input: CreateProviderServiceInput!) { createProviderService(input: $input) "
        "{ __typename ... on ProviderService { id status contentCheck } "
        "... on CreateProviderServiceError { code field } } }",
        {
            "input": {
                # Named: a second run makes the same person a member of two organisations.
                "providerId": registered["id"],
                "name": "上门保洁预约（演示）",
                "description": "日常保洁与开荒保洁上门服务，价格事先公示，服务人员持证上岗。",
                "category": "HOUSEKEEPING",
                "themeCodes": ["LIVING"],
                "regionCodes": ["510104"],
                "openingHours": "每日 8:00-20:00",
                "link": {"kind": "H5", "target": "https://jiazheng.rongban-demo.example/book"},
            }
        },
    )
    service = created["createProviderService"]
    steps.append(f"createProviderService   -> {service['__typename']} {service.get('status')}")
    submitted = await graphql(
        owner.token,
        "mutation($id: ID!) { submitProviderService(input: {serviceId: $id}) "
        "{ ... on ProviderService { status } } }",
        {"id": service["id"]},
    )
    steps.append(f"submitProviderService   -> {submitted['submitProviderService']['status']}")
    published = await graphql(
        review,
        "mutation($id: ID!) { reviewProviderService(input: {serviceId: $id, decision: APPROVE}) "
        "{ ... on ProviderService { status } ... on ReviewProviderServiceError { code } } }",
        {"id": service["id"]},
    )
    steps.append(f"reviewProviderService   -> {published['reviewProviderService']}")
    listed = await resident.theme_provider_services("LIVING", "510104")
    found = next((s for s in listed if s["id"] == service["id"]), None)
    steps.append(f"theme.providerServices  -> {'found' if found else 'missing'} (social service)")
    granted = await resident.grant_handoff_consent(service["id"], ["NAME", "PHONE"])
    steps.append(f"grantHandoffConsent     -> {granted['__typename']} {granted['link']['kind']}")
    key = await graphql(
        owner.token,
        'mutation($provider: ID!) { createApiKey(input: {providerId: $provider, name: "预约系统", '
        "scopes: [HANDOFFS]}) { ... on CreatedApiKey { secret } } }",
        {"provider": registered["id"]},
    )
    exchanged = await api.post(
        "/provider-api/v1/handoffs/exchange",
        json={"code": granted["handoffCode"]},
        headers={"authorization": f"Bearer {key['createApiKey']['secret']}"},
    )
    shared = exchanged.json()
    # Printed masked: the journey shows that the fields arrived, not what they are.
    steps.append(
        f"provider API exchange   -> HTTP {exchanged.status_code} {shared.get('fields')} "
        f"{(shared.get('name') or '?')[:1]}* {(shared.get('phone') or '')[:6]}****"
    )
    consents = await resident.my_consents()
    node = consents["edges"][0]["node"]
    steps.append(f"myConsents              -> exchanged={node['exchangedAt'] is not None}")
    withdrawn = await resident.withdraw_handoff_consent(node["id"])
    steps.append(
        f"withdrawHandoffConsent  -> {withdrawn['__typename']} active={withdrawn['active']}"
    )
    if resident_phone is not None:
        steps += await invitation_journey(owner, resident, registered["id"], resident_phone)
    return steps


async def invitation_journey(
    owner: MiniProgram, invitee: MiniProgram, provider_id: str, invitee_phone: str
) -> list[str]:
    """An OWNER invites a phone, cancels, invites again; the holder of that phone sees the
    open invitation, is refused the cancelled one and joins with the other."""
    steps = []
    first = await owner.invite_provider_member(provider_id, invitee_phone)
    steps.append(f"inviteProviderMember    -> {first['__typename']} {first.get('phoneMasked')}")
    cancelled = await owner.cancel_provider_invitation(first["id"])
    steps.append(
        f"cancelProviderInvitation -> {cancelled['__typename']} "
        f"cancelled={cancelled.get('cancelledAt') is not None}"
    )
    second = await owner.invite_provider_member(provider_id, invitee_phone)
    waiting = await invitee.my_provider_invitations()
    steps.append(
        "myProviderInvitations   -> "
        + ", ".join(f"{i['providerName']} {i['role']}" for i in waiting)
    )
    refused = await invitee.accept_provider_invitation(first["id"])
    steps.append(f"acceptProviderInvitation -> {refused['__typename']} {refused.get('code')}")
    joined = await invitee.accept_provider_invitation(second["id"])
    steps.append(f"acceptProviderInvitation -> {joined['__typename']} {joined.get('status')}")
    return steps


# 占道经营 on a demo street of 锦江区, near 春熙路: the dispatch table sends it to the city's
# 城市管理委员会 at once.
DEMO_APPEAL = {
    "kind": "COMPLAINT",
    "category_code": "0101",
    "content": "春熙路口每天晚上有流动摊贩占用人行道摆摊，行人只能走机动车道，很危险。",
    "region_code": "510104001000",
    "location": {"lat": 30.6570, "lng": 104.0800},
    "address": "春熙路与总府路交叉口",
}


async def appeal_journey(program: MiniProgram) -> list[str]:
    """fileAppeal with a photo from the wallet -> dispatched at once -> the department signs
    and replies -> a subscribe message arrives -> rateAppeal."""
    steps = []
    categories = await program.appeal_categories()
    leaves = sum(len(group["children"]) for group in categories)
    steps.append(f"appealCategories   -> {len(categories)} groups, {leaves} categories")
    uploaded = await program.upload_document("PHOTO", "现场照片.jpg", "image/jpeg", DEMO_JPEG)
    photo = (uploaded["confirm"] or {}).get("id")
    filed = await program.file_appeal(**DEMO_APPEAL, document_ids=[photo] if photo else [])  # type: ignore[arg-type]
    department = filed.get("department") or {}
    status = f"{filed.get('status')} {department.get('name')}"
    steps.append(f"fileAppeal         -> {filed['__typename']} {status}")
    granted = await program.subscribe_to_updates()
    steps.append(f"grantSubscriptions -> {granted['__typename']}")

    async def staff_call(token: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        response = await post_graphql(
            program.api,
            {"query": query, "variables": variables},
            {"authorization": f"Bearer {token}"} if token else {},
        )
        data: dict[str, Any] = response.json()["data"]
        return data

    session = await staff_call(
        "",
        "mutation($u: String!, $p: String!) { loginStaff(input: {username: $u, password: $p})"
        " { ... on Session { token } } }",
        {
            "u": f"officer-{str(department.get('code', '')).lower()}",
            "p": os.environ.get("RONGBAN_DEMO_PASSWORD", "rongban-demo"),
        },
    )
    token = session["loginStaff"]["token"]
    signed = await staff_call(
        token,
        "mutation($id: ID!) { signAppeal(input: {appealId: $id}) { ... on Appeal { status } } }",
        {"id": filed["id"]},
    )
    steps.append(f"signAppeal         -> {signed['signAppeal']['status']}")
    replied = await staff_call(
        token,
        "mutation($id: ID!, $c: String!) { replyAppeal(input: {appealId: $id, content: $c}) "
        "{ ... on Appeal { status } } }",
        {"id": filed["id"], "c": "已安排城管执法队员每晚巡查，摊贩已劝离，人行道已恢复通行。"},
    )
    steps.append(f"replyAppeal        -> {replied['replyAppeal']['status']}")
    messages: list[dict[str, Any]] = []
    for _ in range(50):  # the dispatcher sends after commit
        messages = [m for m in await program.wx_messages() if m["templateId"] == "TPL_APPEAL_REPLY"]
        if messages:
            break
        await asyncio.sleep(0.2)
    steps.append(
        f"subscribe message  -> {len(messages)} ({messages[0]['data'] if messages else ''})"
    )
    seen = await program.appeal(filed["id"]) or {}
    steps.append(
        f"appeal             -> {seen.get('status')}, {len(seen.get('replies') or [])} reply"
    )
    rated = await program.rate_appeal(filed["id"], "SATISFIED", "处理及时")
    level = (rated.get("rating") or {}).get("level")
    steps.append(f"rateAppeal         -> {rated['__typename']} {rated.get('status')} {level}")
    return steps


async def main_async(
    api: str, wechat: str, user: str, journey: str = "documents", providers: bool = False
) -> None:
    async with (
        httpx.AsyncClient(base_url=api, timeout=30) as api_client,
        httpx.AsyncClient(base_url=wechat) as wechat_client,
    ):
        program = MiniProgram(api_client, wechat_client, user)
        name, id_number = person_of(user)
        steps = await login_journey(program, phone=phone_of(user), id_number=id_number, name=name)
        if journey == "appeal":
            steps += await appeal_journey(program)
        elif journey == "delegation":
            agent = f"{user}-agent"
            steps += await journey_delegation.run(
                api_client,
                wechat_client,
                program,
                agent,
                (phone_of(agent), *person_of(agent)),
                DEMO_JPEG,
            )
        elif journey == "payment":
            steps += await payment_journey(program)
        elif journey == "terminal":
            steps += await terminal_journey(program, password=_demo_password())
        elif journey == "hall":
            steps += await hall_journey(program, phone=phone_of(user), password=_demo_password())
        else:
            steps += await search_journey(program)
            steps += await document_journey(program)
            steps += await guide_journey(program)
            steps += await scenario_journey(program)
        for line in steps:
            print(line)  # noqa: T201
        if providers:
            owner = MiniProgram(api_client, wechat_client, f"{user}-provider")
            await owner.login()
            for line in await provider_journey(owner, program, resident_phone=phone_of(user)):
                print(line)  # noqa: T201


def _demo_password() -> str:
    return os.environ.get("RONGBAN_DEMO_PASSWORD", "rongban-demo")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--api", default=f"http://127.0.0.1:{os.environ.get('PORT', '8000')}")
    parser.add_argument(
        "--wechat", default=f"http://127.0.0.1:{os.environ.get('WECHAT_MOCK_PORT', '8001')}"
    )
    parser.add_argument("--user", default=DEMO_USER)
    parser.add_argument(
        "--journey",
        choices=["documents", "appeal", "delegation", "payment", "terminal", "hall"],
        default="documents",
        help="after signing in: the wallet and a scenario bundle, file and rate an appeal (6), "
        "act for someone (帮办代办) and sign a TV in, pay a fee and get it refunded, or sign in "
        "at a community terminal with the ID card and a face check, or book the city centre, "
        "check in, be called and served at the window, and get the result by post (moves the "
        "development clock of `rongban dev` forward to the booked slot)",
    )
    parser.add_argument(
        "--providers", action="store_true", help="then the provider journey (a second user)"
    )
    args = parser.parse_args()
    try:
        asyncio.run(main_async(args.api, args.wechat, args.user, args.journey, args.providers))
    except JourneyFailed as failed:
        raise SystemExit(f"journey failed at {failed}") from None


if __name__ == "__main__":
    main()

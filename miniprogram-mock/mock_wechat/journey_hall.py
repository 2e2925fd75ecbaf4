"""The hall journey: `python -m mock_wechat.journey --journey hall` beside `make run`.

The resident books a slot at the city centre (社会保障卡, an item of the city its windows
handle), the development clock moves to a few minutes before it (booking is 1-5 working days
ahead and the hall opens 9-17 China time on weekdays; the journey runs at any hour), the
resident checks in, the window calls the ticket, the officer submits on the resident's behalf
with the window reader's signed card read and the resident's SMS consent, the departments
handle the application, the result goes by post and the courier delivers it.

Every step checks what the app would show; the first that does not hold raises JourneyFailed,
and the command exits non-zero."""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta, timezone
from typing import Any

import httpx

from mock_wechat.client import MiniProgram
from mock_wechat.journey_payment import JourneyFailed, check

# 社会保障卡首次申领 of the city (成都市人社局): handled at the city centre, two scans.
SERVICE = ("51002000060000", "510100")
CITY = "510100"
CHINA = timezone(timedelta(hours=8))
# How long before the slot the clock is moved (check-in opens an hour before).
EARLY = timedelta(minutes=5)
RECIPIENT = {"name": "张三", "phone": "13800138000", "address": "成都市锦江区红星路三段1号"}

TICKET = "__typename ... on QueueTicket { id code status ahead position calledWindow { number } }"


class Api:
    """GraphQL over the API's HTTP endpoint, as one signed-in caller."""

    def __init__(self, client: httpx.AsyncClient, token: str = "") -> None:
        self.client = client
        self.token = token

    async def __call__(self, query: str, step: str = "", /, **variables: Any) -> dict[str, Any]:
        headers = {"authorization": f"Bearer {self.token}"} if self.token else {}
        response = await self.client.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )
        body = response.json()
        if body.get("errors") or not body.get("data"):
            raise JourneyFailed(f"{step or query[:40]}: {body}")
        data: dict[str, Any] = body["data"]
        return data

    async def mutate(self, name: str, input_type: str, selection: str, /, **values: Any) -> Any:
        error = input_type.removesuffix("Input") + "Error"
        data = await self(
            f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ {selection} "
            f"... on {error} {{ errorCode: code message field }} }} }}",
            name,
            input=values,
        )
        return data[name]


async def staff(client: httpx.AsyncClient, username: str, password: str) -> Api:
    signed_in = await Api(client).mutate(
        "loginStaff",
        "LoginStaffInput",
        "__typename ... on Session { token }",
        username=username,
        password=password,
    )
    check(signed_in["__typename"] == "Session", f"loginStaff {username}", signed_in)
    return Api(client, signed_in["token"])


async def clock_now(client: httpx.AsyncClient) -> datetime:
    answer = await client.get("/__dev__/clock")
    check(
        answer.status_code == 200,
        "dev clock (start the API with `rongban dev`, which sets RONGBAN_TEST_CLOCK)",
        answer.status_code,
    )
    return datetime.fromisoformat(answer.json()["now"])


async def _book(resident: Api, centre: str, code: str, today: date) -> dict[str, Any]:
    """The first free slot of the first bookable day after today (1 to 5 working days)."""
    for days in range(1, 15):
        day = today + timedelta(days=days)
        found = await resident(
            "query($c: ID!, $s: String!, $d: Date!) { appointmentSlots(centreId: $c, "
            "serviceCode: $s, date: $d) { startsAt available } }",
            c=centre,
            s=code,
            d=day.isoformat(),
        )
        free = [s for s in found["appointmentSlots"] if s["available"] > 0]
        if free:
            booked = await resident.mutate(
                "bookAppointment",
                "BookAppointmentInput",
                "__typename ... on Appointment { id status startsAt }",
                centreId=centre,
                serviceCode=code,
                startsAt=free[0]["startsAt"],
            )
            check(booked["__typename"] == "Appointment", "bookAppointment", booked)
            return dict(booked)
    raise JourneyFailed(f"appointmentSlots: no free slot in the two weeks after {today}")


async def hall_journey(program: MiniProgram, *, phone: str, password: str) -> list[str]:
    """Runs after the login journey (the resident is verified, as `program.user`'s person,
    and has bound `phone`, where the consent code goes)."""
    api, wechat, steps = program.api, program.wechat, []
    resident = Api(api, program.token or "")

    # -- book
    found = await resident(
        "query($c: String!, $r: String!) { service(code: $c, regionCode: $r) "
        "{ code name department { code } } }",
        c=SERVICE[0],
        r=SERVICE[1],
    )
    service = found["service"]
    check(service is not None, "service", found)
    centres = await resident(
        "query($r: String!) { serviceCentres(filter: {regionCode: $r}, first: 20) "
        "{ edges { node { id name level } } } }",
        r=CITY,
    )
    city = [e["node"] for e in centres["serviceCentres"]["edges"] if e["node"]["level"] == "CITY"]
    check(bool(city), "serviceCentres", centres)
    centre = city[0]
    now = await clock_now(api)
    booked = await _book(resident, centre["id"], service["code"], now.astimezone(CHINA).date())
    starts = datetime.fromisoformat(booked["startsAt"])
    steps.append(
        f"bookAppointment    -> {booked['status']} {starts.astimezone(CHINA):%Y-%m-%d %H:%M} "
        f"{service['name']} at {centre['name']}"
    )

    # -- the day comes: the development clock moves to a few minutes before the slot
    moved = await api.post("/__dev__/clock", json={"advanceTo": (starts - EARLY).isoformat()})
    check(moved.status_code == 200, "dev clock", moved.text)
    steps.append(f"dev clock          -> {EARLY.seconds // 60} minutes before the slot")

    # -- check in
    ticket = await resident.mutate("checkIn", "CheckInInput", TICKET, appointmentId=booked["id"])
    check(ticket["__typename"] == "QueueTicket", "checkIn", ticket)
    steps.append(f"checkIn            -> {ticket['code']} {ticket['status']}")

    # -- called: the window officer calls until the resident's ticket comes (a demo hall
    # may hold tickets of earlier runs that day)
    window_staff = await staff(api, f"hall-window-{CITY}", password)
    hall = await window_staff(
        "query($c: ID!) { centreHall(centreId: $c) { windows { id number isOpen serviceCodes } } }",
        c=centre["id"],
    )
    windows = [
        w
        for w in (hall["centreHall"] or {}).get("windows", [])
        if w["isOpen"] and (not w["serviceCodes"] or service["code"] in w["serviceCodes"])
    ]
    check(bool(windows), "centreHall", hall)
    window = windows[0]
    called: dict[str, Any] = {}
    for _ in range(50):
        called = await window_staff.mutate(
            "callNextTicket", "CallNextTicketInput", TICKET, windowId=window["id"]
        )
        check(called["__typename"] == "QueueTicket", "callNextTicket", called)
        if called["id"] == ticket["id"]:
            break
    check(called.get("id") == ticket["id"], "callNextTicket (the resident's ticket)", called)
    followed = await resident(
        f"query($id: ID!) {{ queueTicket(id: $id) {{ {TICKET} }} }}", id=ticket["id"]
    )
    shown = followed["queueTicket"] or {}
    check(shown.get("status") == "CALLED", "queueTicket", followed)
    steps.append(
        f"callNextTicket     -> {shown['code']} {shown['status']} to window "
        f"{shown['calledWindow']['number']}"
    )

    # -- the window submits on the resident's behalf with the reader's signed card read
    manager = await staff(api, f"hall-manager-{CITY}", password)
    serial = f"HALL-J{secrets.token_hex(4).upper()}"
    key = (await wechat.post("/__mock__/card-reader/key", json={"deviceId": serial})).json()
    device = await manager.mutate(
        "registerDevice",
        "RegisterDeviceInput",
        "__typename ... on Device { status }",
        kind="CARD_READER",
        serial=serial,
        name=f"{window['number']}号窗口读卡器",
        publicKey=key["publicKey"],
        centreId=centre["id"],
        windowId=window["id"],
    )
    check(device["__typename"] == "Device", "registerDevice", device)
    read = (
        await wechat.post(
            "/__mock__/card-reader/read", json={"deviceId": serial, "user": program.user}
        )
    ).json()
    from mock_wechat.journey import DEMO_JPEG  # the journeys' module imports this one

    officer = MiniProgram(api, wechat, f"hall-window-{CITY}", uploads=program.uploads)
    officer.token = window_staff.token
    scans = []
    for kind in ("ID_CARD_FRONT", "PHOTO"):
        uploaded = await officer.upload_document(kind, f"{kind}.jpg", "image/jpeg", DEMO_JPEG)
        check(bool(uploaded["confirm"] and uploaded["confirm"].get("id")), "scan", uploaded)
        scans.append(uploaded["confirm"]["id"])
    pending = await window_staff.mutate(
        "submitApplicationOnBehalf",
        "SubmitApplicationOnBehalfInput",
        "__typename ... on OnBehalfSubmission { id status residentPhoneMasked }",
        cardRead=read,
        serviceCode=service["code"],
        scanIds=scans,
        consent="SMS_CODE",
    )
    check(pending["__typename"] == "OnBehalfSubmission", "submitApplicationOnBehalf", pending)
    steps.append(
        f"submitApplicationOnBehalf -> {pending['status']}, code sent to "
        f"{pending['residentPhoneMasked']}"
    )
    sms = (await wechat.get("/__mock__/sms", params={"phone": phone})).json()
    codes = [m["params"]["code"] for m in sms if m.get("template") == "ON_BEHALF_CONSENT"]
    check(bool(codes), "consent SMS", sms)
    application = await window_staff.mutate(
        "confirmApplicationOnBehalf",
        "ConfirmApplicationOnBehalfInput",
        "__typename ... on Application { id number status channel }",
        submissionId=pending["id"],
        code=codes[-1],
    )
    check(application["__typename"] == "Application", "confirmApplicationOnBehalf", application)
    steps.append(
        f"confirmApplicationOnBehalf -> {application['status']} {application['channel']} "
        f"{application['number']}"
    )

    # -- the departments handle it: the lead accepts, each department its own task
    department = service["department"]["code"]
    lead = await staff(api, f"officer-{department.lower()}", password)
    accepted = await lead.mutate(
        "acceptApplication",
        "AcceptApplicationInput",
        "__typename ... on Application { status tasks { id lead department { code } } }",
        applicationId=application["id"],
    )
    check(accepted.get("status") == "ACCEPTED", "acceptApplication", accepted)
    tasks = accepted["tasks"]
    for task in tasks:
        code = task["department"]["code"]
        officer_api = (
            lead if task["lead"] else await staff(api, f"officer-{code.lower()}", password)
        )
        done = await officer_api.mutate(
            "completeTask",
            "CompleteTaskInput",
            "__typename ... on ApplicationTask { status }",
            taskId=task["id"],
            outcome="APPROVED",
        )
        check(done.get("status") == "APPROVED", "completeTask", done)
    issued = await lead.mutate(
        "issueResult",
        "IssueResultInput",
        "__typename ... on Application { status }",
        applicationId=application["id"],
    )
    check(issued.get("status") == "COMPLETED", "issueResult", issued)
    steps.append(f"handled            -> {len(tasks)} task(s) APPROVED, {issued['status']}")

    # -- the result by post, tracked to the door
    chosen = await resident.mutate(
        "chooseDelivery",
        "ChooseDeliveryInput",
        "__typename ... on DeliveryChoice { delivery { status trackingNumber } }",
        applicationId=application["id"],
        method="POST",
        recipient=RECIPIENT,
    )
    check(chosen["__typename"] == "DeliveryChoice", "chooseDelivery", chosen)
    number = chosen["delivery"]["trackingNumber"]
    check(bool(number), "chooseDelivery (tracking number)", chosen)
    steps.append(f"chooseDelivery     -> POST {chosen['delivery']['status']} {number}")
    await wechat.post(
        "/__mock__/courier/webhook",
        json={"webhookUrl": str(api.base_url).rstrip("/") + "/courier/webhook"},
    )
    for _ in range(3):  # PICKED_UP, IN_TRANSIT, DELIVERED, each by the signed webhook
        moved = await wechat.post("/__mock__/courier/advance", json={"trackingNumber": number})
        check(
            moved.status_code == 200 and moved.json()["webhookStatus"] == 200, "courier", moved.text
        )
    tracked = await resident(
        "query($id: ID!) { delivery(applicationId: $id) { status trackingNumber } }",
        id=application["id"],
    )
    delivery = tracked["delivery"] or {}
    check(
        delivery.get("status") == "DELIVERED" and delivery.get("trackingNumber") == number,
        "delivery",
        tracked,
    )
    steps.append(f"delivery           -> {delivery['status']} {delivery['trackingNumber']}")
    return steps

"""Helpers of the window tests: centres with their staff, registered mock card readers,
signed card reads, officers' scans and residents known by phone and ID number."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from mock_wechat.client import MiniProgram
from resolvers.ids import global_id
from storage.models.accounts import Account
from storage.models.catalogue import ServiceCentre
from storage.models.hall import CentreStaff, CentreStaffRole, HallWindow
from tests.conftest import RunningApp
from tests.documents.conftest import jpeg, pdf, signed_in
from tests.identity import id_number, phone_number

JINJIANG_CENTRE = "锦江区政务服务中心"
QINGYANG_CENTRE = "青羊区政务服务中心"
# 公共场所卫生许可 of 锦江区 (REGION): ID_CARD_FRONT and OTHER from the applicant.
HYGIENE = ("51000100020000", "510104")
# 居民身份证 of 锦江区 (CITYWIDE): ID_CARD_FRONT and PHOTO from the applicant.
CITYWIDE_ID_CARD = ("51002000010000", "510104")
# The seeded officers' departments: 锦江 market regulation, 青羊's, 锦江 public security.
JINJIANG_MARKET = "11510104452424621J"
QINGYANG_MARKET = "1151010590230111X1"
JINJIANG_POLICE = "115101043529422372"

ERROR = "code message field"


@dataclass
class Officer:
    account: Account
    token: str
    program: MiniProgram  # the officer's own client, for uploading scans


async def officer(running: RunningApp, wechat: httpx.AsyncClient, code: str) -> Officer:
    account = await Account.get(username=f"officer-{code.lower()}")
    result = await running.gql.data(
        "mutation($u: String!, $p: String!) { loginStaff(input: {username: $u, password: $p}) "
        "{ ... on Session { token } } }",
        {"u": account.username, "p": "demo-password-for-tests"},
    )
    token = str(result["loginStaff"]["token"])
    program = MiniProgram(running.client, wechat, f"officer-{code}", uploads=running.client)
    program.token = token
    return Officer(account, token, program)


async def centre(name: str) -> ServiceCentre:
    return await ServiceCentre.get(name=name)


async def works_at(
    person: Officer, name: str, role: CentreStaffRole = CentreStaffRole.WINDOW
) -> ServiceCentre:
    found = await centre(name)
    await CentreStaff.create(centre_id=found.id, account_id=person.account.id, role=role)
    return found


async def window_of(found: ServiceCentre, number: str = "1") -> HallWindow:
    """The centre's window `number` (the demo data gives every centre windows 1 to 3)."""
    window, _ = await HallWindow.get_or_create(
        centre_id=found.id, number=number, defaults={"name": "综合受理", "group": "A"}
    )
    return window


REGISTER = f"""
mutation($input: RegisterDeviceInput!) {{ registerDevice(input: $input) {{
  __typename ... on Device {{ id kind serial name status }}
  ... on RegisterDeviceError {{ {ERROR} }} }} }}
"""


async def public_key(wechat: httpx.AsyncClient, serial: str) -> str:
    response = await wechat.post("/__mock__/card-reader/key", json={"deviceId": serial})
    return str(response.json()["publicKey"])


async def register_reader(
    running: RunningApp,
    wechat: httpx.AsyncClient,
    manager: Officer,
    found: ServiceCentre,
    serial: str,
    window: HallWindow | None = None,
) -> dict[str, Any]:
    answer = await running.gql.data(
        REGISTER,
        {
            "input": {
                "kind": "CARD_READER",
                "serial": serial,
                "name": "1号窗口读卡器",
                "publicKey": await public_key(wechat, serial),
                "centreId": global_id("ServiceCentre", found.id),
                "windowId": global_id("HallWindow", window.id) if window else None,
            }
        },
        token=manager.token,
    )
    return dict(answer["registerDevice"])


async def card_read(wechat: httpx.AsyncClient, serial: str, **body: Any) -> dict[str, str]:
    response = await wechat.post("/__mock__/card-reader/read", json={"deviceId": serial, **body})
    assert response.status_code == 200, response.text
    return dict(response.json())


async def consent_signature(
    wechat: httpx.AsyncClient, serial: str, submission_id: str, challenge: str
) -> dict[str, str]:
    response = await wechat.post(
        "/__mock__/card-reader/consent",
        json={"deviceId": serial, "submissionId": submission_id, "challenge": challenge},
    )
    return dict(response.json())


async def scan(person: Officer, kind: str) -> str:
    if kind in ("ID_CARD_FRONT", "ID_CARD_BACK", "PHOTO"):
        result = await person.program.upload_document(kind, f"{kind}.jpg", "image/jpeg", jpeg())
    else:
        result = await person.program.upload_document(kind, f"{kind}.pdf", "application/pdf", pdf())
    assert result["confirm"]["__typename"] == "Document", result
    return str(result["confirm"]["id"])


@dataclass
class Resident:
    program: MiniProgram
    name: str
    id_number: str
    phone: str

    @property
    def person(self) -> dict[str, str]:
        return {"name": self.name, "idNumber": self.id_number}


async def resident(running: RunningApp, wechat: httpx.AsyncClient, user: str) -> Resident:
    """A resident with a phone and a verified identity, as the mini-program leaves one."""
    program = await signed_in(running, wechat, user)
    phone = phone_number()
    bound = await program.bind_phone(phone)
    assert bound["__typename"] == "Account", bound
    number = id_number()
    verified = await program.verify_identity("张三", number)
    assert verified["__typename"] == "Account", verified
    return Resident(program, "张三", number, phone)


async def sms_code(wechat: httpx.AsyncClient, phone: str) -> str:
    messages = (await wechat.get("/__mock__/sms", params={"phone": phone})).json()
    consents = [m for m in messages if m["template"] == "ON_BEHALF_CONSENT"]
    assert consents, messages
    return str(consents[-1]["params"]["code"])


SUBMIT = f"""
mutation($input: SubmitApplicationOnBehalfInput!) {{
  submitApplicationOnBehalf(input: $input) {{
    __typename
    ... on OnBehalfSubmission {{ id status consent expiresAt challenge residentNameMasked
      residentIdNumberMasked residentPhoneMasked }}
    ... on SubmitApplicationOnBehalfError {{ {ERROR} fields }} }} }}
"""
CONFIRM = f"""
mutation($input: ConfirmApplicationOnBehalfInput!) {{
  confirmApplicationOnBehalf(input: $input) {{
    __typename
    ... on Application {{ id number status channel service {{ code }}
      documents {{ id kind trustLevel }} events {{ type }} }}
    ... on ConfirmApplicationOnBehalfError {{ {ERROR} }} }} }}
"""


async def submit_on_behalf(
    running: RunningApp, clerk: Officer, read: dict[str, str], **values: Any
) -> dict[str, Any]:
    variables = {
        "cardRead": read,
        "serviceCode": HYGIENE[0],
        "regionCode": HYGIENE[1],
        "scanIds": [],
        "consent": "SMS_CODE",
        **values,
    }
    answer = await running.gql.data(SUBMIT, {"input": variables}, token=clerk.token)
    return dict(answer["submitApplicationOnBehalf"])


async def confirm(
    running: RunningApp, clerk: Officer, submission_id: str, **values: Any
) -> dict[str, Any]:
    answer = await running.gql.data(
        CONFIRM, {"input": {"submissionId": submission_id, **values}}, token=clerk.token
    )
    return dict(answer["confirmApplicationOnBehalf"])

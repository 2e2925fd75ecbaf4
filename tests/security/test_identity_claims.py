"""Anyone could claim anyone's identity: `verifyIdentity{name:"王五", idNumber:...}` made a
fresh account real-name verified on the checksum alone, and the number's real holder then got
ID_NUMBER_IN_USE (which told anyone whether a number was registered). Now only a face check
of the identity provider binds an identity, and no answer before it tells anything."""

from __future__ import annotations

from typing import Any

import httpx

from api.outbox import dispatcher
from mock_wechat.client import MiniProgram
from storage.models.accounts import Account
from storage.repositories import accounts as repo
from tests.conftest import RunningApp

# The number of the reproduction: valid (check character, date, 朝阳区), someone else's.
VICTIMS_NUMBER = "110105198503121234"
VICTIMS_NAME = "李明"
CLAIMED_NAME = "王五"

LEGACY = """
mutation($name: String!, $idNumber: String!) {
  verifyIdentity(input: {name: $name, idNumber: $idNumber}) {
    __typename
    ... on Account { realNameVerified }
    ... on VerifyIdentityError { code message field retryAfterSeconds }
  }
}
"""
START = """
mutation($name: String!, $idNumber: String!) {
  startIdentityVerification(input: {name: $name, idNumber: $idNumber}) {
    __typename
    ... on IdentityVerification { verifyId expiresAt channel link }
    ... on StartIdentityVerificationError { code message field retryAfterSeconds }
  }
}
"""
CONFIRM = """
mutation($verifyId: String!) {
  verifyIdentity(input: {verifyId: $verifyId}) {
    __typename
    ... on Account { realNameVerified nameMasked idNumberMasked }
    ... on VerifyIdentityError { code message field retryAfterSeconds }
  }
}
"""


async def resident(running: RunningApp, wechat: httpx.AsyncClient, user: str) -> MiniProgram:
    program = MiniProgram(running.client, wechat, user)
    session = await program.login()
    assert session["__typename"] == "Session"
    return program


async def mutate(running: RunningApp, program: MiniProgram, query: str, **variables: Any) -> Any:
    data = await running.gql.data(query, variables, token=program.token)
    return next(iter(data.values()))


async def face_check(
    running: RunningApp, wechat: httpx.AsyncClient, program: MiniProgram, name: str, number: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The whole flow with the face of `program`'s own person: start, the check, confirm."""
    started = await mutate(running, program, START, name=name, idNumber=number)
    verify_id = started.get("verifyId", "")
    await wechat.post(
        "/__mock__/face-verify",
        json={"user": program.user, "verifyId": verify_id, "result": "pass"},
    )
    return started, await mutate(running, program, CONFIRM, verifyId=verify_id)


async def verified(user_id_filter: dict[str, Any]) -> bool:
    account = await Account.get(**user_id_filter)
    return account.identity_verified_at is not None


async def test_a_name_and_someone_elses_number_verify_nobody(
    running: RunningApp, wechat: httpx.AsyncClient
) -> None:
    attacker = await resident(running, wechat, "attacker")

    claimed = await mutate(running, attacker, LEGACY, name=CLAIMED_NAME, idNumber=VICTIMS_NUMBER)

    assert claimed["__typename"] == "VerifyIdentityError"
    assert (claimed["code"], claimed["field"]) == ("VERIFICATION_REQUIRED", "verifyId")
    assert await Account.filter(identity_verified_at__isnull=False).count() == 0

    # The new way, with the attacker's own face in front of the camera.
    started, answer = await face_check(running, wechat, attacker, CLAIMED_NAME, VICTIMS_NUMBER)

    assert started["__typename"] == "IdentityVerification"
    assert (answer["code"], answer["field"]) == ("IDENTITY_MISMATCH", "verifyId")
    assert await Account.filter(identity_verified_at__isnull=False).count() == 0

    # The number's holder verifies at once: nothing stands in the way.
    holder = await resident(running, wechat, "holder")
    await wechat.post(
        "/__mock__/person",
        json={"user": "holder", "name": VICTIMS_NAME, "idNumber": VICTIMS_NUMBER},
    )
    _, owned = await face_check(running, wechat, holder, VICTIMS_NAME, VICTIMS_NUMBER)

    assert owned == {
        "__typename": "Account",
        "realNameVerified": True,
        "nameMasked": "李*",
        "idNumberMasked": "1101**********1234",
    }


async def test_no_answer_tells_whether_a_number_is_registered(
    running: RunningApp, wechat: httpx.AsyncClient
) -> None:
    holder = await resident(running, wechat, "holder")
    await wechat.post(
        "/__mock__/person",
        json={"user": "holder", "name": VICTIMS_NAME, "idNumber": VICTIMS_NUMBER},
    )
    _, owned = await face_check(running, wechat, holder, VICTIMS_NAME, VICTIMS_NUMBER)
    assert owned["__typename"] == "Account"
    unregistered = "110105198503124259"  # valid too, bound to nobody
    prober = await resident(running, wechat, "prober")

    def shape(answer: dict[str, Any]) -> dict[str, Any]:
        # Session ids and times differ by nature; everything else must be the same.
        return {k: v for k, v in answer.items() if k not in ("verifyId", "expiresAt")}

    legacy = [
        await mutate(running, prober, LEGACY, name=VICTIMS_NAME, idNumber=number)
        for number in (VICTIMS_NUMBER, unregistered)
    ]
    flows = [
        await face_check(running, wechat, prober, VICTIMS_NAME, number)
        for number in (VICTIMS_NUMBER, unregistered)
    ]

    assert legacy[0] == legacy[1]
    assert legacy[0]["code"] == "VERIFICATION_REQUIRED"
    assert shape(flows[0][0]) == shape(flows[1][0])
    assert flows[0][0]["__typename"] == "IdentityVerification"
    assert flows[0][1] == flows[1][1]
    assert flows[0][1]["code"] == "IDENTITY_MISMATCH"
    for _, answer in flows:
        assert answer.get("code") != "ID_NUMBER_IN_USE"


async def test_a_number_bound_without_proof_goes_to_its_face_verified_holder(
    running: RunningApp, wechat: httpx.AsyncClient, mock_state: Any
) -> None:
    """A number the old checksum-only call bound to a squatter is not lost to its holder."""
    squatter = await resident(running, wechat, "squatter")
    account = await Account.get(wechat_openid=mock_state.openid("squatter"))
    keyring = running.resources.keyring
    await repo.update_fields(
        account.id,
        name_sealed=keyring.seal(CLAIMED_NAME, context="account.name"),
        name_masked="王*",
        id_number_sealed=keyring.seal(VICTIMS_NUMBER, context="account.id_number"),
        id_number_index=keyring.blind_index(VICTIMS_NUMBER, purpose="id_number"),
        id_number_masked="1101**********1234",
        identity_verified_at=account.created_at,
    )
    holder = await resident(running, wechat, "holder")
    await wechat.post(
        "/__mock__/person",
        json={"user": "holder", "name": VICTIMS_NAME, "idNumber": VICTIMS_NUMBER},
    )

    _, owned = await face_check(running, wechat, holder, VICTIMS_NAME, VICTIMS_NUMBER)
    await dispatcher(running.resources).drain()

    assert owned["__typename"] == "Account"
    assert owned["nameMasked"] == "李*"
    assert not await verified({"id": account.id})
    inbox = (await squatter.notifications(first=5))["edges"]
    assert [edge["node"]["title"] for edge in inbox] == ["实名认证已转移到其他账号"]

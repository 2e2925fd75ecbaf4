"""A scripted mini-program: what the real one does, with the mock server playing the phone."""

from __future__ import annotations

import asyncio
from functools import cache
from pathlib import Path
from typing import Any

import httpx

OPERATIONS = Path(__file__).resolve().parent.parent / "operations"


@cache
def operation(name: str) -> str:
    """The text of `operations/<name>.graphql`, exactly what the mini-program ships."""
    return (OPERATIONS / f"{name}.graphql").read_text(encoding="utf-8")


# How many times a THROTTLED request is sent again after the wait its Retry-After names
# (as the real mini-program does), and the longest wait it accepts.
THROTTLED_WAITS = 3
_LONGEST_WAIT_SECONDS = 60.0


def _retry_after(response: httpx.Response) -> float | None:
    """The seconds a 429 asks the client to wait, when it names a wait worth waiting."""
    if response.status_code != 429:
        return None
    try:
        wait = float(response.headers.get("retry-after", ""))
    except ValueError:
        return None
    return wait if 0 <= wait <= _LONGEST_WAIT_SECONDS else None


async def post_graphql(
    api: httpx.AsyncClient, body: dict[str, Any], headers: dict[str, str]
) -> httpx.Response:
    """POSTs one GraphQL request. A 429 (THROTTLED) was refused before anything ran: it is
    sent again as it was once the wait its Retry-After names is over, as the real
    mini-program does, up to THROTTLED_WAITS times."""
    for waited in range(THROTTLED_WAITS + 1):
        response = await api.post("/graphql", json=body, headers=headers)
        wait = _retry_after(response)
        if wait is None or waited == THROTTLED_WAITS:
            break
        await asyncio.sleep(wait)
    return response


class UploadRefused(SystemExit):
    """The API refused an upload (a journey run again soon as the same resident meets the
    hourly upload limit): the command ends with why, not with a traceback."""


def document_id(uploaded: dict[str, Any]) -> str:
    """The id of the document `upload_document` confirmed, else UploadRefused saying why."""
    confirmed = uploaded.get("confirm") or {}
    if confirmed.get("id"):
        return str(confirmed["id"])
    refusal = confirmed or uploaded.get("ticket") or {}
    wait = refusal.get("retryAfterSeconds")
    raise UploadRefused(
        f"upload refused: {refusal.get('code')} {refusal.get('message')}"
        + (f" (try again in {wait} s, or as another user: --user)" if wait else "")
    )


class GraphQLFailure(Exception):
    def __init__(self, status: int, body: Any) -> None:
        super().__init__(f"GraphQL request failed with HTTP {status}: {body}")
        self.status = status
        self.body = body


class MiniProgram:
    """One user's mini-program: `api` reaches the Rongban API, `wechat` the mock server."""

    def __init__(
        self,
        api: httpx.AsyncClient,
        wechat: httpx.AsyncClient,
        user: str,
        *,
        uploads: httpx.AsyncClient | None = None,
    ) -> None:
        self.api = api
        self.wechat = wechat
        self.user = user
        # Where wx.uploadFile's POSTs go: object storage, or the API itself (local store).
        self.uploads = uploads
        self.token: str | None = None
        self.refresh_token: str | None = None

    async def call(self, name: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        headers = {"accept": "application/graphql-response+json"}
        if self.token:
            headers["authorization"] = f"Bearer {self.token}"
        response = await post_graphql(
            self.api,
            {"query": operation(name), "operationName": name, "variables": variables or {}},
            headers,
        )
        body = response.json()
        if response.status_code != 200 or body.get("errors"):
            raise GraphQLFailure(response.status_code, body)
        data: dict[str, Any] = body["data"]
        return data

    # -- what wx.* gives the mini-program

    async def wx_login(self) -> str:
        response = await self.wechat.post("/__mock__/login", json={"user": self.user})
        response.raise_for_status()
        return str(response.json()["code"])

    async def wx_phone_code(self, phone: str) -> str:
        response = await self.wechat.post(
            "/__mock__/phone-code", json={"user": self.user, "phone": phone}
        )
        response.raise_for_status()
        return str(response.json()["code"])

    async def wx_request_subscribe(self, template_ids: list[str]) -> dict[str, str]:
        response = await self.wechat.post(
            "/__mock__/subscribe", json={"user": self.user, "templateIds": template_ids}
        )
        response.raise_for_status()
        return dict(response.json())

    async def wx_messages(self) -> list[dict[str, Any]]:
        response = await self.wechat.get("/__mock__/messages", params={"user": self.user})
        response.raise_for_status()
        return list(response.json())

    # -- the login journey (API.md journey 1)

    async def login(self) -> dict[str, Any]:
        result = (await self.call("LoginWithWeChat", {"code": await self.wx_login()}))[
            "loginWithWeChat"
        ]
        if result["__typename"] == "Session":
            self.token = result["token"]
            self.refresh_token = result["refreshToken"]
        return dict(result)

    async def bind_phone(self, phone: str) -> dict[str, Any]:
        code = await self.wx_phone_code(phone)
        return dict((await self.call("BindWeChatPhone", {"code": code}))["bindWeChatPhone"])

    # -- real-name verification: the claim, the face check, the confirmation

    async def start_identity_verification(self, name: str, id_number: str) -> dict[str, Any]:
        result = await self.call("StartIdentityVerification", {"name": name, "idNumber": id_number})
        return dict(result["startIdentityVerification"])

    async def wx_request_facial_verify(self, verify_id: str, result: str = "pass") -> int:
        """wx.requestFacialVerify (or, for an app, the relay's page): the mock checks the face
        of this user's person; `result` is pass, fail or cancel. Returns the HTTP status."""
        response = await self.wechat.post(
            "/__mock__/face-verify",
            json={"user": self.user, "verifyId": verify_id, "result": result},
        )
        return response.status_code

    async def confirm_identity(self, verify_id: str) -> dict[str, Any]:
        result = await self.call("VerifyIdentity", {"verifyId": verify_id})
        return dict(result["verifyIdentity"])

    async def be_person(self, name: str, id_number: str) -> None:
        """Makes the holder of this phone (and face) the person with this identity."""
        response = await self.wechat.post(
            "/__mock__/person", json={"user": self.user, "name": name, "idNumber": id_number}
        )
        response.raise_for_status()

    async def verify_identity(
        self, name: str, id_number: str, *, face: str = "pass", be: bool = True
    ) -> dict[str, Any]:
        """startIdentityVerification -> wx.requestFacialVerify -> verifyIdentity, as the
        mini-program does it. With `be` (the default) this user first becomes the person of
        that identity, so the face check can pass; with `be=False` they claim it with their
        own face. Returns verifyIdentity's answer, or the start's error."""
        if be:
            await self.be_person(name, id_number)
        started = await self.start_identity_verification(name, id_number)
        if started["__typename"] != "IdentityVerification":
            return started
        await self.wx_request_facial_verify(started["verifyId"], face)
        return await self.confirm_identity(started["verifyId"])

    async def me(self) -> dict[str, Any] | None:
        me = (await self.call("Me"))["me"]
        return dict(me) if me else None

    async def refresh(self) -> dict[str, Any]:
        assert self.refresh_token is not None
        self.token = None
        result = (await self.call("RefreshSession", {"refreshToken": self.refresh_token}))[
            "refreshSession"
        ]
        if result["__typename"] == "Session":
            self.token = result["token"]
            self.refresh_token = result["refreshToken"]
        return dict(result)

    async def logout(self, *, all_devices: bool = False) -> dict[str, Any]:
        result = dict((await self.call("Logout", {"allDevices": all_devices}))["logout"])
        self.token = None
        return result

    # -- the document journey (API.md journey 3)

    async def wx_upload_file(
        self, url: str, fields: dict[str, str], file_name: str, data: bytes
    ) -> httpx.Response:
        """What wx.uploadFile sends: multipart/form-data, `formData` fields first, then the
        file under `name: "file"`."""
        files = {"file": (file_name, data, "application/octet-stream")}
        if self.uploads is not None:
            return await self.uploads.post(url, data=fields, files=files)
        async with httpx.AsyncClient(timeout=30) as client:
            return await client.post(url, data=fields, files=files)

    async def request_upload(
        self, kind: str, file_name: str, content_type: str, size: int
    ) -> dict[str, Any]:
        variables = {"kind": kind, "fileName": file_name, "contentType": content_type, "size": size}
        return dict((await self.call("RequestDocumentUpload", variables))["requestDocumentUpload"])

    async def confirm_upload(self, document_id: str) -> dict[str, Any]:
        result = await self.call("ConfirmDocumentUpload", {"documentId": document_id})
        return dict(result["confirmDocumentUpload"])

    async def upload_document(
        self, kind: str, file_name: str, content_type: str, data: bytes
    ) -> dict[str, Any]:
        """requestDocumentUpload -> wx.uploadFile -> confirmDocumentUpload; returns each step."""
        ticket = await self.request_upload(kind, file_name, content_type, len(data))
        if ticket["__typename"] != "DocumentUploadTicket":
            return {"ticket": ticket, "upload": None, "confirm": None}
        fields = {field["name"]: field["value"] for field in ticket["fields"]}
        uploaded = await self.wx_upload_file(ticket["url"], fields, file_name, data)
        confirm = await self.confirm_upload(ticket["documentId"])
        return {"ticket": ticket, "upload": uploaded.status_code, "confirm": confirm}

    async def my_documents(self, **variables: Any) -> dict[str, Any]:
        return dict((await self.call("MyDocuments", variables))["myDocuments"])

    async def delete_document(self, document_id: str) -> dict[str, Any]:
        result = await self.call("DeleteDocument", {"documentId": document_id})
        return dict(result["deleteDocument"])

    # -- the application journey (API.md journey 4)

    async def submit_application(
        self,
        service_code: str,
        document_ids: list[str],
        *,
        region_code: str | None = None,
        form: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        variables = {
            "serviceCode": service_code,
            "regionCode": region_code,
            "form": form,
            "documentIds": document_ids,
            "idempotencyKey": idempotency_key,
        }
        return dict((await self.call("SubmitApplication", variables))["submitApplication"])

    async def my_applications(self, **variables: Any) -> dict[str, Any]:
        return dict((await self.call("MyApplications", variables))["myApplications"])

    async def application(self, application_id: str) -> dict[str, Any] | None:
        found = (await self.call("ApplicationDetail", {"id": application_id}))["application"]
        return dict(found) if found else None

    async def subscribe_to_updates(self) -> dict[str, Any]:
        """wx.requestSubscribeMessage with the server's templates, then grantSubscriptions."""
        offers = (await self.call("SubscriptionTemplates"))["wechatSubscriptionTemplates"]
        answers = await self.wx_request_subscribe([o["templateId"] for o in offers])
        results = [
            {"templateId": template, "result": result}
            for template, result in answers.items()
            if template != "errMsg"  # wx adds its own status beside the answers
        ]
        return dict(
            (await self.call("GrantSubscriptions", {"results": results}))["grantSubscriptions"]
        )

    async def rate_application(
        self, application_id: str, level: str, comment: str | None = None
    ) -> dict[str, Any]:
        variables = {"applicationId": application_id, "level": level, "comment": comment}
        return dict((await self.call("RateApplication", variables))["rateApplication"])

    async def notifications(self, **variables: Any) -> dict[str, Any]:
        return dict((await self.call("Notifications", variables))["notifications"])

    # -- a service's guide (办事指南), as the guide screen shows it

    async def search_services(
        self, keyword: str, region_code: str | None = None, first: int = 10
    ) -> list[dict[str, Any]]:
        found = await self.call(
            "SearchServices", {"keyword": keyword, "regionCode": region_code, "first": first}
        )
        return list(found["services"]["nodes"])

    async def nearby_centres(
        self, service_code: str, near: tuple[float, float], first: int = 3
    ) -> list[dict[str, Any]]:
        lat, lng = near
        found = await self.call(
            "NearbyCentres",
            {"serviceCode": service_code, "near": {"lat": lat, "lng": lng}, "first": first},
        )
        return list(found["serviceCentres"]["nodes"])

    async def service_guide(
        self, code: str, region_code: str | None = None
    ) -> dict[str, Any] | None:
        found = (await self.call("ServiceGuide", {"code": code, "regionCode": region_code}))[
            "service"
        ]
        return dict(found) if found else None

    # -- the scenario journey (API.md journey 5)

    async def themes(self, audience: str | None = None) -> list[dict[str, Any]]:
        return list((await self.call("Themes", {"audience": audience}))["themes"])

    async def scenario(self, code: str) -> dict[str, Any] | None:
        found = (await self.call("Scenario", {"code": code}))["scenario"]
        return dict(found) if found else None

    async def scenario_plan(
        self, code: str, answers: dict[str, list[str]], *, region_code: str | None = None
    ) -> dict[str, Any] | None:
        variables = {
            "code": code,
            "answers": [{"question": q, "values": v} for q, v in answers.items()],
            "regionCode": region_code,
        }
        found = (await self.call("ScenarioPlan", variables))["scenarioPlan"]
        return dict(found) if found else None

    async def submit_scenario(
        self,
        code: str,
        answers: dict[str, list[str]],
        document_ids: list[str],
        *,
        region_code: str | None = None,
        form: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
        plan_digest: str | None = None,
    ) -> dict[str, Any]:
        variables = {
            "scenarioCode": code,
            "answers": [{"question": q, "values": v} for q, v in answers.items()],
            "regionCode": region_code,
            "form": form,
            "documentIds": document_ids,
            "idempotencyKey": idempotency_key,
            "planDigest": plan_digest,
        }
        return dict((await self.call("SubmitScenario", variables))["submitScenario"])

    async def recommended_services(self, first: int = 10) -> list[dict[str, Any]]:
        return list(
            (await self.call("RecommendedServices", {"first": first}))["recommendedServices"]
        )

    # -- third-party providers: registration, social services and hand-offs

    async def register_provider(
        self, name: str, credit_code: str, contact_name: str, contact_phone: str
    ) -> dict[str, Any]:
        variables = {
            "name": name,
            "creditCode": credit_code,
            "contactName": contact_name,
            "contactPhone": contact_phone,
        }
        return dict((await self.call("RegisterProvider", variables))["registerProvider"])

    async def my_providers(self) -> list[dict[str, Any]]:
        return list((await self.call("MyProviders"))["myProviders"])

    async def invite_provider_member(
        self, provider_id: str, phone: str, role: str = "EDITOR"
    ) -> dict[str, Any]:
        variables = {"providerId": provider_id, "phone": phone, "role": role}
        return dict((await self.call("InviteProviderMember", variables))["inviteProviderMember"])

    async def my_provider_invitations(self) -> list[dict[str, Any]]:
        return list((await self.call("MyProviderInvitations"))["myProviderInvitations"])

    async def accept_provider_invitation(self, invitation_id: str) -> dict[str, Any]:
        result = await self.call("AcceptProviderInvitation", {"invitationId": invitation_id})
        return dict(result["acceptProviderInvitation"])

    async def cancel_provider_invitation(self, invitation_id: str) -> dict[str, Any]:
        result = await self.call("CancelProviderInvitation", {"invitationId": invitation_id})
        return dict(result["cancelProviderInvitation"])

    async def theme_provider_services(
        self, code: str, region_code: str | None = None
    ) -> list[dict[str, Any]]:
        theme = (
            await self.call("ThemeProviderServices", {"code": code, "regionCode": region_code})
        )["theme"]
        return list(theme["providerServices"]) if theme else []

    async def search_provider_services(self, keyword: str, **variables: Any) -> dict[str, Any]:
        result = await self.call("SearchProviderServices", {"keyword": keyword, **variables})
        return dict(result["providerServices"])

    async def grant_handoff_consent(self, service_id: str, fields: list[str]) -> dict[str, Any]:
        result = await self.call("GrantHandoffConsent", {"serviceId": service_id, "fields": fields})
        return dict(result["grantHandoffConsent"])

    async def withdraw_handoff_consent(self, consent_id: str) -> dict[str, Any]:
        result = await self.call("WithdrawHandoffConsent", {"consentId": consent_id})
        return dict(result["withdrawHandoffConsent"])

    async def my_consents(self, **variables: Any) -> dict[str, Any]:
        return dict((await self.call("MyConsents", variables))["myConsents"])

    # -- the appeal journey (API.md journey 6)

    async def appeal_categories(self) -> list[dict[str, Any]]:
        return list((await self.call("AppealCategories"))["appealCategories"])

    async def file_appeal(
        self,
        *,
        kind: str,
        category_code: str,
        content: str,
        region_code: str,
        location: dict[str, float] | None = None,
        address: str | None = None,
        document_ids: list[str] | None = None,
        no_reply_wanted: bool = False,
    ) -> dict[str, Any]:
        variables = {
            "noReplyWanted": no_reply_wanted,
            "kind": kind,
            "categoryCode": category_code,
            "content": content,
            "regionCode": region_code,
            "location": location,
            "address": address,
            "documentIds": document_ids or [],
        }
        return dict((await self.call("FileAppeal", variables))["fileAppeal"])

    async def my_appeals(self, **variables: Any) -> dict[str, Any]:
        return dict((await self.call("MyAppeals", variables))["myAppeals"])

    async def appeal(self, appeal_id: str) -> dict[str, Any] | None:
        found = (await self.call("AppealDetail", {"id": appeal_id}))["appeal"]
        return dict(found) if found else None

    async def rate_appeal(
        self, appeal_id: str, level: str, comment: str | None = None
    ) -> dict[str, Any]:
        variables = {"appealId": appeal_id, "level": level, "comment": comment}
        return dict((await self.call("RateAppeal", variables))["rateAppeal"])

    async def reopen_appeal(self, appeal_id: str, reason: str) -> dict[str, Any]:
        variables = {"appealId": appeal_id, "reason": reason}
        return dict((await self.call("ReopenAppeal", variables))["reopenAppeal"])

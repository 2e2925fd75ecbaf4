"""Our application events as the province's 办件 messages: the one place that decides which
events are pushed and which provincial field carries what (docs/exchange.md has the same
table for the province's side).

Pushed: SUBMITTED (SUBMIT), ACCEPTED (ACCEPT), NOT_ACCEPTED (REJECT), SUPPLEMENT_REQUESTED
(SUPPLEMENT_NOTICE), SUPPLEMENTED (SUPPLEMENT), TASK_APPROVED / TASK_DENIED (HANDLE),
PROGRESS (PROGRESS), APPROVED (DECIDE), DENIED and COMPLETED (FINISH), WITHDRAWN (WITHDRAW),
RATED (RATE). Not pushed: DEADLINE_WARNING and OVERDUE (our own supervision, not a step of
the application).

Body fields (JSON object; signed as compact UTF-8 with sorted keys):

    messageId     our message id; the province dedupes on it (idempotent on the receiver)
    sequence      1, 2, 3 ... within one application: the province can see a gap
    step          ExchangeStep (SUBMIT, ACCEPT, ...)
    stepDate      when the step happened, ISO 8601 with +08:00
    projectNo     办件编号: the application number (CD + date + sequence)
    taskCode      事项实施编码: the implementation code
    taskBaseCode  基本编码 of the standard item
    taskName      事项名称
    taskType      事项类型: 01 行政许可 ... 20 公共服务
    projectType   办件类型: 1 即办件, 2 承诺件
    proStatus     办件状态: 1 待受理, 2 已受理, 3 已办结
    statusDetail  our ApplicationStatus after the step (SUBMITTED, ACCEPTED, ...)
    orgCode       统一社会信用代码 of the organ whose step it is (the task's department for
                  HANDLE and PROGRESS, else the single window's)
    leadOrgCode   统一社会信用代码 of the single window (the implementation's organ)
    regionCode    GB/T 2260 code of the implementing region
    userProp      申请人类型: 1 自然人 (every applicant today is a real-name resident)
    channel       where it was submitted (WEB_HALL, SERVICE_HALL, TERMINAL, MOBILE_APP,
                  MINI_PROGRAM, TV_HALL)
    applyDate     申请时间, ISO 8601 with +08:00
    acceptDate    受理日期 (YYYY-MM-DD), once accepted
    promiseDate   承诺办结日期 (YYYY-MM-DD, working days), once accepted
    resultDate    办结时间, with FINISH
    result        APPROVED / DENIED (HANDLE, DECIDE, FINISH), NOT_ACCEPTED (REJECT),
                  WITHDRAWN (WITHDRAW); null otherwise
    resultName    审批结果名称 (e.g. 公共场所卫生许可证), with FINISH APPROVED
    evaluation    with RATE: {"level": 5..1} (5 非常满意 .. 1 非常不满意)

Codes with a published table (taskType, projectType, proStatus, userProp, the 5..1 rating)
use it; where no code table was at hand (step, channel, result) the value is our English
name, to be replaced here once the province's table is. Never in a message: names, ID
numbers, phones, addresses, the form, documents, free-text notes, reasons or rating
comments (they may hold personal data); the province gets codes, times and outcomes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any
from uuid import UUID

import orjson

from storage.models.applications import (
    RATING_SCORES,
    Application,
    ApplicationEvent,
    ApplicationStatus,
    EventType,
    Rating,
)
from storage.models.catalogue import HandlingType, Implementation
from storage.models.exchange import ExchangeStep

CHINA = timezone(timedelta(hours=8))

STEPS: dict[EventType, ExchangeStep] = {
    EventType.SUBMITTED: ExchangeStep.SUBMIT,
    EventType.ACCEPTED: ExchangeStep.ACCEPT,
    EventType.NOT_ACCEPTED: ExchangeStep.REJECT,
    EventType.SUPPLEMENT_REQUESTED: ExchangeStep.SUPPLEMENT_NOTICE,
    EventType.SUPPLEMENTED: ExchangeStep.SUPPLEMENT,
    EventType.TASK_APPROVED: ExchangeStep.HANDLE,
    EventType.TASK_DENIED: ExchangeStep.HANDLE,
    EventType.PROGRESS: ExchangeStep.PROGRESS,
    EventType.APPROVED: ExchangeStep.DECIDE,
    EventType.DENIED: ExchangeStep.FINISH,
    EventType.COMPLETED: ExchangeStep.FINISH,
    EventType.WITHDRAWN: ExchangeStep.WITHDRAW,
    EventType.RATED: ExchangeStep.RATE,
}

_RESULTS: dict[EventType, str] = {
    EventType.TASK_APPROVED: "APPROVED",
    EventType.TASK_DENIED: "DENIED",
    EventType.APPROVED: "APPROVED",
    EventType.COMPLETED: "APPROVED",
    EventType.DENIED: "DENIED",
    EventType.NOT_ACCEPTED: "NOT_ACCEPTED",
    EventType.WITHDRAWN: "WITHDRAWN",
}

# 办件状态 of the observed provincial upload record: 1 待受理, 2 已受理, 3 已办结.
_PRO_STATUS: dict[ApplicationStatus, str] = {
    ApplicationStatus.SUBMITTED: "1",
    ApplicationStatus.ACCEPTED: "2",
    ApplicationStatus.APPROVED: "2",
    ApplicationStatus.COMPLETED: "3",
    ApplicationStatus.DENIED: "3",
    ApplicationStatus.NOT_ACCEPTED: "3",
    ApplicationStatus.WITHDRAWN: "3",
}
NATURAL_PERSON = "1"  # 申请人类型 自然人


@dataclass(frozen=True, slots=True)
class Facts:
    """What one message is made of, read inside the transaction that wrote the event."""

    message_id: UUID
    sequence: int
    event: ApplicationEvent
    application: Application  # as it is after the event
    implementation: Implementation
    base_code: str
    region_code: str
    lead_organ: str
    acting_organ: str
    rating: Rating | None
    # The bundle (一件事) the item was submitted in: its parent application's number. The
    # province receives each item as its own 办件; the parent is not one (it has no item).
    bundle_number: str | None = None


def is_project(application: Application) -> bool:
    """Whether the province holds the application as a 办件: every application of one item.
    A bundle's parent groups items and is told to the province through its children."""
    return application.implementation_id is not None


def step_of(event_type: EventType) -> ExchangeStep | None:
    """The step an event is pushed as; None for events the province does not get."""
    return STEPS.get(event_type)


def _time(moment: datetime) -> str:
    return moment.astimezone(CHINA).isoformat(timespec="seconds")


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def pro_status(application: Application, event: ApplicationEvent) -> str:
    status = event.status
    if status is ApplicationStatus.SUPPLEMENT_REQUESTED:
        # 补正 before acceptance is still 待受理; during handling it stays 已受理.
        return "2" if application.accepted_on is not None else "1"
    return _PRO_STATUS[status]


def body(facts: Facts) -> dict[str, Any]:
    event, application, implementation = facts.event, facts.application, facts.implementation
    step = STEPS[event.type]
    result = _RESULTS.get(event.type)
    message: dict[str, Any] = {
        "messageId": str(facts.message_id),
        "sequence": facts.sequence,
        "step": step.value,
        "stepDate": _time(event.at),
        "projectNo": application.number,
        "taskCode": implementation.code,
        "taskBaseCode": facts.base_code,
        "taskName": implementation.name,
        "taskType": implementation.item_type.value,
        "projectType": "1" if implementation.handling_type is HandlingType.IMMEDIATE else "2",
        "proStatus": pro_status(application, event),
        "statusDetail": event.status.value,
        "orgCode": facts.acting_organ,
        "leadOrgCode": facts.lead_organ,
        "regionCode": facts.region_code,
        "userProp": NATURAL_PERSON,
        "channel": application.channel.value,
        "applyDate": _time(application.submitted_at),
        "acceptDate": _day(application.accepted_on),
        "promiseDate": _day(application.due_date),
        "resultDate": _time(event.at) if step is ExchangeStep.FINISH else None,
        "result": result,
        "resultName": (
            implementation.result_name or implementation.name
            if event.type is EventType.COMPLETED
            else None
        ),
        "evaluation": None,
        "bundleNo": facts.bundle_number,
    }
    if step is ExchangeStep.RATE:
        assert facts.rating is not None
        message["evaluation"] = {"level": RATING_SCORES[facts.rating.level]}
    return message


def encode(message: dict[str, Any]) -> bytes:
    """The exact bytes that are signed and sent: compact JSON, keys sorted, UTF-8."""
    return orjson.dumps(message, option=orjson.OPT_SORT_KEYS)

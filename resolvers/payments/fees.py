"""A guide's structured fee items as the payments domain reads them: what each costs (fen),
who charges it, at which step, and which exemption rules may waive it.

The catalogue stores them as JSON on the implementation (`fee_items`):
    {"name", "amountFen", "unit", "legalBasis",
     "chargingDepartment": <credit code; the implementation's department when absent>,
     "chargedAt": ON_SUBMISSION | AFTER_ACCEPTANCE | BEFORE_RESULT (AFTER_ACCEPTANCE when absent),
     "exemptions": [{"code", "name", "basis"}],
     "when": {"field", "in": [values]}: charged only for those answers on the form}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from storage.models.payments import STAGE_ORDER, ChargeStage

# A guide lists at most this many fee items (the catalogue checks it when a guide is saved).
MAX_FEE_ITEMS = 10
# The step most fees are charged at when a guide does not say: once the window accepted.
DEFAULT_STAGE = ChargeStage.AFTER_ACCEPTANCE


@dataclass(frozen=True, slots=True)
class Exemption:
    code: str  # DIBAO, …: stable, what staff choose
    name: str  # 最低生活保障对象
    basis: str = ""  # the rule that grants it


@dataclass(frozen=True, slots=True)
class FeeLine:
    name: str
    amount_fen: int
    unit: str
    legal_basis: str
    department_code: str | None
    stage: ChargeStage
    exemptions: tuple[Exemption, ...] = field(default_factory=tuple)

    def exemptions_json(self) -> list[dict[str, str]]:
        return [{"code": e.code, "name": e.name, "basis": e.basis} for e in self.exemptions]


def _stage(value: Any) -> ChargeStage:
    try:
        return ChargeStage(value) if value else DEFAULT_STAGE
    except ValueError:
        return DEFAULT_STAGE


def applies(item: Mapping[str, Any], form: Mapping[str, Any]) -> bool:
    """An item with `when` is charged only when the form's field holds one of its values
    (a field left out reads as "")."""
    when = item.get("when")
    if not isinstance(when, Mapping):
        return True
    value = form.get(str(when.get("field", "")), "")
    return isinstance(value, str) and value in (when.get("in") or ())


def lines_of(
    fee_items: Sequence[Mapping[str, Any]] | None, form: Mapping[str, Any] | None = None
) -> list[FeeLine]:
    """The guide's charges that apply to the application's form; items without a positive
    whole amount charge nothing."""
    lines: list[FeeLine] = []
    for item in list(fee_items or ())[:MAX_FEE_ITEMS]:
        if not applies(item, form or {}):
            continue
        amount = item.get("amountFen")
        if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
            continue
        exemptions = tuple(
            Exemption(str(e.get("code", "")), str(e.get("name", "")), str(e.get("basis", "")))
            for e in item.get("exemptions") or ()
            if isinstance(e, Mapping) and e.get("code")
        )
        lines.append(
            FeeLine(
                name=str(item.get("name", "")),
                amount_fen=amount,
                unit=str(item.get("unit", "")),
                legal_basis=str(item.get("legalBasis", "")),
                department_code=item.get("chargingDepartment") or None,
                stage=_stage(item.get("chargedAt")),
                exemptions=exemptions,
            )
        )
    return lines


def earliest(stages: Sequence[ChargeStage]) -> ChargeStage:
    """A payment is made once, at the earliest step any of its items is charged at."""
    return min(stages, key=STAGE_ORDER.__getitem__)


def department_of(line: FeeLine, by_code: Mapping[str, UUID], default: UUID) -> UUID:
    """The charging department (执收单位): the one named, else the implementation's own."""
    if line.department_code and line.department_code in by_code:
        return by_code[line.department_code]
    return default


def payer_description(service_name: str) -> str:
    """What the payer sees in WeChat: at most 127 bytes (UTF-8), cut on a character."""
    text = f"{service_name}费用"
    while len(text.encode()) > 127:
        text = text[:-1]
    return text

"""The catalogue's standard rules: implementation codes, 三级四同 and the guide checks."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from resolvers.catalogue.errors import Violation
from storage.models.catalogue import (
    BaseItem,
    HandlingType,
    Implementation,
    Material,
    MaterialSource,
    Necessity,
)


def implementation_code(basic_code: str, region_code: str, credit_code: str) -> str:
    """Builds the implementation code from the basic code, the 12-digit region code and the
    organ's credit code, as Sichuan's codes read:
    `511A0138000000-511602000000-000-115113010833722043-1-00`. The "000" and "1-00" segments
    are fixed here; their meaning in the provincial standard is not confirmed."""
    return f"{basic_code}-{region_code.ljust(12, '0')}-000-{credit_code}-1-00"


def basic_code_of(code: str) -> str:
    return code.split("-", 1)[0]


class Divergence(StrEnum):
    """The four things 三级四同 keeps the same at every level."""

    NAME = "NAME"
    CODE = "CODE"
    LEGAL_BASIS = "LEGAL_BASIS"
    PROCESS = "PROCESS"


def divergences(implementation: Implementation, base: BaseItem) -> list[Divergence]:
    found = []
    if implementation.name.strip() != base.name.strip():
        found.append(Divergence.NAME)
    if basic_code_of(implementation.code) != base.basic_code:
        found.append(Divergence.CODE)
    if _normalised(implementation.legal_basis) != _normalised(base.legal_basis):
        found.append(Divergence.LEGAL_BASIS)
    if [s.get("name") for s in implementation.steps] != [s.get("name") for s in base.steps]:
        found.append(Divergence.PROCESS)
    return found


# What each divergence means for the officer, and the input field that carries it.
_DIVERGENCE_FIELDS = {
    Divergence.NAME: ("name", "事项名称与基本目录“{name}”不一致"),
    Divergence.CODE: ("code", "实施编码的基本编码部分与基本目录“{code}”不一致"),
    Divergence.LEGAL_BASIS: ("legalBasis", "设定依据与基本目录不一致"),
    Divergence.PROCESS: ("steps", "办理流程的环节与基本目录不一致"),
}


def divergence_violations(found: Sequence[Divergence], base: BaseItem) -> list[Violation]:
    """Each divergence as a broken rule naming what differs from the base item, so that the
    officer either aligns the field or writes the justification."""
    violations = []
    for divergence in found:
        field, template = _DIVERGENCE_FIELDS[divergence]
        message = template.format(name=base.name, code=base.basic_code)
        violations.append(
            Violation(rule=f"DIVERGENT_{divergence.value}", field=field, message=message)
        )
    return violations


def _normalised(text: str) -> str:
    return "".join(text.split())


# Fields every published guide must carry (办事指南要素), by their GraphQL input names.
_GUIDE_FIELDS = (
    ("conditions", "受理条件"),
    ("address", "办理地点"),
    ("hours", "办理时间"),
    ("phone", "咨询电话"),
    ("complaint_phone", "监督投诉电话"),
    ("result_name", "审批结果名称"),
)


def guide_violations(
    implementation: Implementation, materials: Sequence[Material]
) -> list[Violation]:
    """Every publication rule the guide breaks, each naming its rule and field."""
    found: list[Violation] = []

    def broken(rule: str, field: str, message: str) -> None:
        found.append(Violation(rule=rule, field=field, message=message))

    for attribute, label in _GUIDE_FIELDS:
        if not str(getattr(implementation, attribute) or "").strip():
            field = "".join(
                part.capitalize() if i else part for i, part in enumerate(attribute.split("_"))
            )
            broken("GUIDE_FIELD_REQUIRED", field, f"办事指南须写明{label}。")
    if not implementation.channels:
        broken("GUIDE_FIELD_REQUIRED", "channels", "办事指南须写明办理渠道。")
    if implementation.online_depth == 4 and implementation.visits != 0:
        broken(
            "FULLY_ONLINE_MEANS_ZERO_VISITS", "visits", "全程网办（Ⅳ级）事项的到现场次数须为 0。"
        )
    if implementation.visits > 0 and not implementation.visit_reason.strip():
        broken("VISIT_NEEDS_REASON", "visitReason", "需要到现场办理的，须说明到现场的原因。")
    if implementation.fee.strip() and not implementation.fee_basis.strip():
        broken("FEE_NEEDS_BASIS", "feeBasis", "收费事项须写明收费依据。")
    if implementation.promised_days > implementation.statutory_days:
        broken(
            "PROMISED_WITHIN_STATUTORY",
            "promisedDays",
            "承诺办结时限不能超过法定办结时限。",
        )
    if implementation.handling_type is HandlingType.IMMEDIATE and implementation.promised_days != 0:
        broken("IMMEDIATE_MEANS_ZERO_DAYS", "promisedDays", "即办件的承诺办结时限须为 0 个工作日。")
    for index, material in enumerate(materials):
        if material.necessity is Necessity.REQUIRED and not material.document_kind:
            broken(
                "REQUIRED_MATERIAL_NEEDS_KIND",
                f"materials[{index}].documentKind",
                f"必需材料“{material.name}”须指明对应的证照类型。",
            )
        if material.source is MaterialSource.GOVERNMENT and not material.issuing_item_code:
            broken(
                "GOVERNMENT_MATERIAL_NEEDS_ISSUER",
                f"materials[{index}].issuingItemCode",
                f"由政府部门核发的材料“{material.name}”须指明核发事项。",
            )
    return found

"""Declared conditions (which answers select a question, an item or a material rule) and
their evaluation against typed answers.

A condition is data, never code: comparisons of one question's answer combined with
`all`, `any` and `not`. A question that was not asked has no answer, and every comparison
with a missing answer is false (so `not` of it is true).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import TypeAlias

# A typed answer: the chosen value (single choice, yes/no), the chosen values (multiple
# choice) or the number.
Answer: TypeAlias = str | frozenset[str] | Decimal
Answers: TypeAlias = Mapping[str, Answer]


class Op(StrEnum):
    """Comparisons, by the JSON key that declares them."""

    EQUALS = "equals"  # single choice, yes/no (a value) or number
    IN = "in"  # single choice, yes/no: one of these values
    INCLUDES = "includes"  # multiple choice: this value is among the chosen
    GT = "gt"  # numbers
    GTE = "gte"
    LT = "lt"
    LTE = "lte"


NUMBER_OPS = frozenset({Op.EQUALS, Op.GT, Op.GTE, Op.LT, Op.LTE})
CHOICE_OPS = frozenset({Op.EQUALS, Op.IN})


@dataclass(frozen=True, slots=True)
class Compare:
    question: str
    op: Op
    operand: str | Decimal | tuple[str, ...]


@dataclass(frozen=True, slots=True)
class All:
    parts: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    parts: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class Not:
    part: Condition


Condition: TypeAlias = Compare | All | AnyOf | Not


def holds(condition: Condition | None, answers: Answers) -> bool:
    """Whether the condition is true for these answers; no condition always holds."""
    if condition is None:
        return True
    if isinstance(condition, All):
        return all(holds(part, answers) for part in condition.parts)
    if isinstance(condition, AnyOf):
        return any(holds(part, answers) for part in condition.parts)
    if isinstance(condition, Not):
        return not holds(condition.part, answers)
    return _compare(condition, answers.get(condition.question))


def _compare(condition: Compare, answer: Answer | None) -> bool:
    operand = condition.operand
    match condition.op:
        case Op.EQUALS:
            return answer is not None and answer == operand
        case Op.IN:
            return isinstance(answer, str) and isinstance(operand, tuple) and answer in operand
        case Op.INCLUDES:
            return isinstance(answer, frozenset) and operand in answer
        case Op.GT:
            return _numbers(answer, operand) and answer > operand  # type: ignore[operator]
        case Op.GTE:
            return _numbers(answer, operand) and answer >= operand  # type: ignore[operator]
        case Op.LT:
            return _numbers(answer, operand) and answer < operand  # type: ignore[operator]
        case Op.LTE:
            return _numbers(answer, operand) and answer <= operand  # type: ignore[operator]


def _numbers(answer: Answer | None, operand: object) -> bool:
    return isinstance(answer, Decimal) and isinstance(operand, Decimal)


def comparisons(condition: Condition | None) -> Iterator[Compare]:
    """Every comparison inside a condition, depth first."""
    if condition is None:
        return
    if isinstance(condition, Compare):
        yield condition
    elif isinstance(condition, Not):
        yield from comparisons(condition.part)
    else:
        for part in condition.parts:
            yield from comparisons(part)


def questions_of(condition: Condition | None) -> set[str]:
    return {compare.question for compare in comparisons(condition)}

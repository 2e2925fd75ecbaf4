"""A scenario's definition: its data model, read from JSON, and its validation (shape,
references to questions, options and catalogue items, cycles, reachability, unused questions).

The definition is what staff write and what is stored, in camelCase JSON:

    {"name": "新生儿出生一件事", "summary": "…", "audience": "PERSON", "themes": ["BIRTH"],
     "leadDepartment": "<credit code>",
     "questions": [{"code": "married", "text": "父母是否已登记结婚？", "kind": "YES_NO"},
                   {"code": "babies", "text": "…", "kind": "NUMBER", "min": 1, "max": 6,
                    "askedWhen": {"question": "married", "equals": "YES"}}],
     "items": [{"item": "<basic code>", "when": {"question": "married", "equals": "YES"}}],
     "materialRules": [{"item": "<basic code>", "material": "结婚证", "effect": "REQUIRE",
                        "when": {...}}],
     "materialGroups": [{"name": "父母双方居民身份证", "documentKind": "ID_CARD_FRONT",
                         "matches": ["母亲居民身份证", "父亲居民身份证"]}]}

Conditions: {"question": q, "equals" | "in" | "includes" | "gt" | "gte" | "lt" | "lte": x},
{"all": [...]}, {"any": [...]}, {"not": {...}}.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from functools import lru_cache
from typing import Any
from uuid import UUID

import orjson

from resolvers.catalogue.errors import Violation
from resolvers.catalogue.service import BASIC_CODE, DOCUMENT_KINDS, Problems, valid_credit_code
from resolvers.scenarios.conditions import (
    CHOICE_OPS,
    NUMBER_OPS,
    All,
    Answer,
    AnyOf,
    Compare,
    Condition,
    Not,
    Op,
    comparisons,
    holds,
    questions_of,
)
from storage.models.providers import ProviderCategory
from storage.models.scenarios import QuestionKind
from storage.repositories import catalogue as catalogue_repo
from storage.repositories import scenarios as repo

SCENARIO_CODE = re.compile(r"[a-z][a-z0-9-]{1,31}")
QUESTION_CODE = re.compile(r"[a-z][A-Za-z0-9]{0,31}")
OPTION_VALUE = re.compile(r"[A-Z][A-Z0-9_]{0,31}")
THEME_CODE = re.compile(r"[A-Z][A-Z_]{1,31}")
AUDIENCES = ("PERSON", "ORGANISATION")
YES, NO = "YES", "NO"
YES_NO_LABELS = {YES: "是", NO: "否"}

MAX_DEFINITION_BYTES = 64 * 1024
MAX_QUESTIONS = 30
MAX_OPTIONS = 20
MAX_ITEMS = 20
MAX_RULES = 50
MAX_GROUPS = 30
MAX_GROUP_MATCHES = 20
MAX_THEMES = 5
MAX_CONDITION_DEPTH = 6
MAX_COMPARISONS = 30
LARGEST_NUMBER = Decimal("1e12")
# The reachability search tries answer combinations; realistic definitions need a few
# hundred. A definition needing more than this is refused as too complex to check.
SEARCH_BUDGET = 100_000


class RuleEffect(StrEnum):
    REQUIRE = "REQUIRE"  # an optional material of the item's guide becomes required
    OMIT = "OMIT"  # an optional material is not asked for


@dataclass(frozen=True, slots=True)
class Option:
    value: str
    label: str


@dataclass(frozen=True, slots=True)
class Question:
    code: str
    text: str
    help: str
    kind: QuestionKind
    options: tuple[Option, ...]
    minimum: Decimal | None
    maximum: Decimal | None
    integer: bool
    unit: str
    asked_when: Condition | None
    asked_when_json: Any

    def option_values(self) -> tuple[str, ...]:
        return tuple(option.value for option in self.options)


@dataclass(frozen=True, slots=True)
class Item:
    """An item the scenario may lead to: a catalogue item (basic code) or, once third-party
    providers exist, a provider's service."""

    basic_code: str | None
    provider_service: str | None
    when: Condition | None
    when_json: Any


@dataclass(frozen=True, slots=True)
class MaterialRule:
    item: str
    material: str
    effect: RuleEffect
    when: Condition | None


@dataclass(frozen=True, slots=True)
class MaterialGroup:
    """Materials of several items that are one and the same document, asked for once."""

    name: str
    document_kind: str
    matches: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Definition:
    name: str
    summary: str
    audience: str
    themes: tuple[str, ...]
    lead_department: str
    position: int
    questions: tuple[Question, ...]
    items: tuple[Item, ...]
    rules: tuple[MaterialRule, ...]
    groups: tuple[MaterialGroup, ...]
    # Questions in an order where each comes after those its askedWhen depends on.
    order: tuple[str, ...] = field(default=())

    def question(self, code: str) -> Question | None:
        return next((q for q in self.questions if q.code == code), None)

    @property
    def basic_codes(self) -> tuple[str, ...]:
        return tuple(i.basic_code for i in self.items if i.basic_code)


def canonical(raw: Mapping[str, Any]) -> bytes:
    return orjson.dumps(raw, option=orjson.OPT_SORT_KEYS)


def digest_of(raw: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical(raw)).hexdigest()


# -- reading


class _Reader:
    def __init__(self, problems: Problems) -> None:
        self.problems = problems

    def text(
        self, data: Mapping[str, Any], key: str, where: str, *, longest: int, required: bool = True
    ) -> str:
        value = data.get(key)
        if value is not None and not isinstance(value, str):
            self.problems.add(f"{where}{key}", "须为文字。")
            return ""
        return self.problems.text(f"{where}{key}", value, longest=longest, required=required)

    def items(self, data: Mapping[str, Any], key: str, where: str, *, most: int) -> list[Any]:
        value = data.get(key, [])
        if value is None:
            return []
        if not isinstance(value, list):
            self.problems.add(f"{where}{key}", "须为列表。")
            return []
        if len(value) > most:
            self.problems.add(f"{where}{key}", f"不能超过 {most} 项。", "TOO_MANY")
            return []
        return value

    def number(self, value: Any, where: str) -> Decimal | None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.problems.add(where, "须为数字。")
            return None
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            self.problems.add(where, "须为数字。")
            return None
        if not number.is_finite() or abs(number) > LARGEST_NUMBER:
            self.problems.add(where, "数值超出范围。")
            return None
        return number


def read(raw: Any) -> tuple[Definition | None, list[Violation]]:
    """The definition, or None and every problem found (fields under `definition.`)."""
    problems = Problems("definition.")
    if not isinstance(raw, dict):
        problems.add("", "一件事的定义须为 JSON 对象。")
        return None, problems.items
    if len(canonical(raw)) > MAX_DEFINITION_BYTES:
        problems.add("", f"定义不能超过 {MAX_DEFINITION_BYTES // 1024} KB。", "TOO_LARGE")
        return None, problems.items
    reader = _Reader(problems)
    name = reader.text(raw, "name", "", longest=64)
    summary = reader.text(raw, "summary", "", longest=1000, required=False)
    audience = raw.get("audience")
    if audience not in AUDIENCES:
        problems.add("audience", "须为 PERSON（个人）或 ORGANISATION（法人）。")
        audience = AUDIENCES[0]
    themes: list[str] = []
    for index, code in enumerate(reader.items(raw, "themes", "", most=MAX_THEMES)):
        if not isinstance(code, str) or not THEME_CODE.fullmatch(code):
            problems.add(f"themes[{index}]", "主题编码不正确。")
        elif code not in themes:
            themes.append(code)
    lead = raw.get("leadDepartment")
    if not isinstance(lead, str) or not valid_credit_code(lead):
        problems.add("leadDepartment", "牵头部门须为正确的统一社会信用代码。")
        lead = ""
    position = raw.get("position", 100)
    if isinstance(position, bool) or not isinstance(position, int) or not 0 <= position <= 10_000:
        problems.add("position", "排序须为 0 到 10000 之间的整数。")
        position = 100

    raw_questions = reader.items(raw, "questions", "", most=MAX_QUESTIONS)
    questions = [_question(reader, q, f"questions[{i}].") for i, q in enumerate(raw_questions)]
    known: dict[str, Question] = {}
    for index, question in enumerate(questions):
        if question is not None and question.code in known:
            problems.add(f"questions[{index}].code", "问题编码重复。", "DUPLICATE")
        elif question is not None:
            known[question.code] = question
    # Conditions are read once every question is known (a question may depend on a later one).
    final_questions: list[Question] = []
    for index, (question, data) in enumerate(zip(questions, raw_questions, strict=True)):
        if question is None:
            continue
        asked_when = _condition(
            reader, data.get("askedWhen"), f"questions[{index}].askedWhen", known
        )
        final_questions.append(
            replace(question, asked_when=asked_when, asked_when_json=data.get("askedWhen"))
        )
    known = {q.code: q for q in final_questions}

    raw_items = reader.items(raw, "items", "", most=MAX_ITEMS)
    if not raw_items:
        problems.add("items", "至少包含一个事项。", "REQUIRED")
    items: list[Item] = []
    codes: set[str] = set()
    for index, data in enumerate(raw_items):
        item = _item(reader, data, f"items[{index}]", known)
        if item is None:
            continue
        key = item.basic_code or f"provider:{item.provider_service}"
        if key in codes:
            problems.add(f"items[{index}]", "同一事项列了两次。", "DUPLICATE")
        codes.add(key)
        items.append(item)

    rules: list[MaterialRule] = []
    for index, data in enumerate(reader.items(raw, "materialRules", "", most=MAX_RULES)):
        rule = _rule(reader, data, f"materialRules[{index}]", known, codes)
        if rule is not None:
            rules.append(rule)

    groups: list[MaterialGroup] = []
    claimed: dict[tuple[str, str], int] = {}
    for index, data in enumerate(reader.items(raw, "materialGroups", "", most=MAX_GROUPS)):
        group = _group(reader, data, f"materialGroups[{index}]")
        if group is None:
            continue
        for match in group.matches:
            if (group.document_kind, match) in claimed:
                problems.add(
                    f"materialGroups[{index}].matches",
                    f"材料“{match}”已归入另一组。",
                    "DUPLICATE",
                )
            claimed[(group.document_kind, match)] = index
        groups.append(group)

    if problems.items:
        return None, problems.items
    definition = Definition(
        name=name,
        summary=summary,
        audience=str(audience),
        themes=tuple(themes),
        lead_department=str(lead),
        position=int(position),
        questions=tuple(final_questions),
        items=tuple(items),
        rules=tuple(rules),
        groups=tuple(groups),
    )
    return _check_logic(definition, problems)


def _question(reader: _Reader, data: Any, where: str) -> Question | None:
    problems = reader.problems
    if not isinstance(data, dict):
        problems.add(where.rstrip("."), "须为对象。")
        return None
    code = data.get("code")
    if not isinstance(code, str) or not QUESTION_CODE.fullmatch(code):
        problems.add(f"{where}code", "问题编码须以小写字母开头，由字母和数字组成，至多 32 位。")
        return None
    text = reader.text(data, "text", where, longest=120)
    help_text = reader.text(data, "help", where, longest=500, required=False)
    try:
        kind = QuestionKind(str(data.get("kind")))
    except ValueError:
        problems.add(f"{where}kind", "题型须为 SINGLE_CHOICE、MULTIPLE_CHOICE、YES_NO 或 NUMBER。")
        return None
    options: list[Option] = []
    minimum = maximum = None
    integer = True
    unit = ""
    if kind in (QuestionKind.SINGLE_CHOICE, QuestionKind.MULTIPLE_CHOICE):
        raw_options = reader.items(data, "options", where, most=MAX_OPTIONS)
        if len(raw_options) < 2:
            problems.add(f"{where}options", "选择题至少要有两个选项。", "REQUIRED")
        for index, option in enumerate(raw_options):
            at = f"{where}options[{index}]"
            if not isinstance(option, dict):
                problems.add(at, "须为对象。")
                continue
            value = option.get("value")
            if not isinstance(value, str) or not OPTION_VALUE.fullmatch(value):
                problems.add(
                    f"{at}.value", "选项值须以大写字母开头，由大写字母、数字和下划线组成。"
                )
                continue
            if value in {o.value for o in options}:
                problems.add(f"{at}.value", "选项值重复。", "DUPLICATE")
                continue
            options.append(Option(value, reader.text(option, "label", f"{at}.", longest=40)))
    elif "options" in data:
        problems.add(f"{where}options", "只有选择题才有选项（是非题的选项固定为“是”“否”）。")
    if kind is QuestionKind.YES_NO:
        options = [Option(YES, YES_NO_LABELS[YES]), Option(NO, YES_NO_LABELS[NO])]
    if kind is QuestionKind.NUMBER:
        minimum = reader.number(data.get("min"), f"{where}min")
        maximum = reader.number(data.get("max"), f"{where}max")
        if minimum is not None and maximum is not None and minimum > maximum:
            problems.add(f"{where}max", "最大值不能小于最小值。")
        integer = data.get("integer", True)
        if not isinstance(integer, bool):
            problems.add(f"{where}integer", "须为 true 或 false。")
            integer = True
        unit = reader.text(data, "unit", where, longest=8, required=False)
    return Question(
        code=code,
        text=text,
        help=help_text,
        kind=kind,
        options=tuple(options),
        minimum=minimum,
        maximum=maximum,
        integer=integer,
        unit=unit,
        asked_when=None,
        asked_when_json=None,
    )


def _item(reader: _Reader, data: Any, where: str, known: Mapping[str, Question]) -> Item | None:
    problems = reader.problems
    if not isinstance(data, dict):
        problems.add(where, "须为对象。")
        return None
    basic_code = data.get("item")
    provider = data.get("providerService")
    if (basic_code is None) == (provider is None):
        problems.add(where, "须写明 item（事项基本编码）或 providerService（第三方服务）之一。")
        return None
    if basic_code is not None and (
        not isinstance(basic_code, str) or not BASIC_CODE.fullmatch(basic_code)
    ):
        problems.add(f"{where}.item", "基本编码应为 8-32 位大写字母或数字。")
        return None
    if provider is not None and (not isinstance(provider, str) or not 0 < len(provider) <= 64):
        problems.add(f"{where}.providerService", "第三方服务编码不正确。")
        return None
    when = _condition(reader, data.get("when"), f"{where}.when", known)
    return Item(basic_code, provider, when, data.get("when"))


def _rule(
    reader: _Reader, data: Any, where: str, known: Mapping[str, Question], items: set[str]
) -> MaterialRule | None:
    problems = reader.problems
    if not isinstance(data, dict):
        problems.add(where, "须为对象。")
        return None
    item = data.get("item")
    if not isinstance(item, str) or item not in items:
        problems.add(f"{where}.item", "规则所指的事项须列在本一件事的事项中。", "UNKNOWN_ITEM")
        return None
    material = reader.text(data, "material", f"{where}.", longest=128)
    try:
        effect = RuleEffect(str(data.get("effect")))
    except ValueError:
        problems.add(f"{where}.effect", "须为 REQUIRE（改为必需）或 OMIT（不再需要）。")
        return None
    when = _condition(reader, data.get("when"), f"{where}.when", known)
    return MaterialRule(item, material, effect, when)


def _group(reader: _Reader, data: Any, where: str) -> MaterialGroup | None:
    problems = reader.problems
    if not isinstance(data, dict):
        problems.add(where, "须为对象。")
        return None
    name = reader.text(data, "name", f"{where}.", longest=128)
    kind = data.get("documentKind")
    if kind not in DOCUMENT_KINDS:
        problems.add(f"{where}.documentKind", "未知的证照类型。")
        return None
    matches: list[str] = []
    raw = reader.items(data, "matches", f"{where}.", most=MAX_GROUP_MATCHES)
    if not raw:
        problems.add(f"{where}.matches", "至少列出一个材料名称。", "REQUIRED")
    for index, value in enumerate(raw):
        if not isinstance(value, str) or not 0 < len(value.strip()) <= 128:
            problems.add(f"{where}.matches[{index}]", "材料名称须为 1 到 128 个字。")
        elif value.strip() not in matches:
            matches.append(value.strip())
    return MaterialGroup(name, str(kind), tuple(matches))


def _condition(
    reader: _Reader, data: Any, where: str, known: Mapping[str, Question]
) -> Condition | None:
    """A declared condition, or None when there is none (or it is broken: see problems)."""
    if data is None:
        return None
    count = [0]
    return _node(reader, data, where, known, 1, count)


def _node(
    reader: _Reader,
    data: Any,
    where: str,
    known: Mapping[str, Question],
    depth: int,
    count: list[int],
) -> Condition | None:
    problems = reader.problems
    if depth > MAX_CONDITION_DEPTH:
        problems.add(where, f"条件嵌套不能超过 {MAX_CONDITION_DEPTH} 层。", "TOO_DEEP")
        return None
    if not isinstance(data, dict) or len(data) not in (1, 2):
        problems.add(where, "条件须为 {question, 比较} 或 all / any / not 之一。")
        return None
    if len(data) == 1:
        ((key, value),) = data.items()
        if key == "not":
            part = _node(reader, value, f"{where}.not", known, depth + 1, count)
            return Not(part) if part is not None else None
        if key in ("all", "any"):
            if not isinstance(value, list) or not 1 <= len(value) <= 10:
                problems.add(f"{where}.{key}", "须列出 1 到 10 个条件。")
                return None
            parts = [
                _node(reader, v, f"{where}.{key}[{i}]", known, depth + 1, count)
                for i, v in enumerate(value)
            ]
            if any(p is None for p in parts):
                return None
            found = tuple(p for p in parts if p is not None)
            return All(found) if key == "all" else AnyOf(found)
        problems.add(where, "条件须为 {question, 比较} 或 all / any / not 之一。")
        return None
    count[0] += 1
    if count[0] > MAX_COMPARISONS:
        problems.add(where, f"一个条件至多包含 {MAX_COMPARISONS} 个比较。", "TOO_MANY")
        return None
    code = data.get("question")
    question = known.get(code) if isinstance(code, str) else None
    if question is None:
        problems.add(f"{where}.question", "引用的问题不存在。", "UNKNOWN_QUESTION")
        return None
    keys = [k for k in data if k != "question"]
    try:
        op = Op(keys[0]) if len(keys) == 1 else None
    except ValueError:
        op = None
    if op is None:
        problems.add(where, "比较须为 equals、in、includes、gt、gte、lt、lte 之一。")
        return None
    return _compare(reader, question, op, data[op.value], f"{where}.{op.value}")


def _compare(reader: _Reader, question: Question, op: Op, value: Any, where: str) -> Compare | None:
    problems = reader.problems
    kind = question.kind
    if kind is QuestionKind.NUMBER:
        if op not in NUMBER_OPS:
            problems.add(where, "数字题只能用 equals、gt、gte、lt、lte 比较。", "OPERATOR_MISMATCH")
            return None
        number = reader.number(value, where)
        return Compare(question.code, op, number) if number is not None else None
    allowed = question.option_values()
    if kind is QuestionKind.MULTIPLE_CHOICE:
        if op is not Op.INCLUDES:
            problems.add(where, "多选题只能用 includes 比较。", "OPERATOR_MISMATCH")
            return None
    elif op not in CHOICE_OPS:
        problems.add(where, "单选题和是非题只能用 equals 或 in 比较。", "OPERATOR_MISMATCH")
        return None
    values = value if op is Op.IN else [value]
    if not isinstance(values, list) or not values or len(values) > MAX_OPTIONS:
        problems.add(where, "须列出 1 到 20 个选项值。")
        return None
    for option in values:
        if not isinstance(option, str) or option not in allowed:
            problems.add(where, f"问题“{question.code}”没有这个选项。", "UNKNOWN_OPTION")
            return None
    operand: str | tuple[str, ...] = tuple(values) if op is Op.IN else values[0]
    return Compare(question.code, op, operand)


# -- logic: cycles, reachability, questions that change nothing


def _check_logic(
    definition: Definition, problems: Problems
) -> tuple[Definition | None, list[Violation]]:
    index = {q.code: i for i, q in enumerate(definition.questions)}
    order = _topological(definition, index, problems)
    if order is None:
        return None, problems.items
    definition = replace(definition, order=order)
    search = _Search(definition)
    for i, question in enumerate(definition.questions):
        if question.asked_when is not None and not search.reachable(question.asked_when):
            problems.add(
                f"questions[{i}].askedWhen",
                "无论怎样回答，这个问题都不会出现。",
                "UNREACHABLE_QUESTION",
            )
    for i, item in enumerate(definition.items):
        if not search.reachable(item.when):
            problems.add(
                f"items[{i}].when", "无论怎样回答，都不会办理这个事项。", "UNREACHABLE_ITEM"
            )
    for i, rule in enumerate(definition.rules):
        item = next(it for it in definition.items if it.basic_code == rule.item)
        if not search.reachable(_both(item.when, rule.when)):
            problems.add(
                f"materialRules[{i}].when",
                "无论怎样回答，这条材料规则都不会生效。",
                "UNREACHABLE_RULE",
            )
    if search.exhausted:
        problems.add("", "条件组合过多，无法检查，请简化问题和条件。", "TOO_COMPLEX")
    for i in _unused(definition, index):
        problems.add(
            f"questions[{i}]", "这个问题不影响办理清单，请删去或在条件中使用它。", "UNUSED_QUESTION"
        )
    if problems.items:
        return None, problems.items
    return definition, []


def _both(first: Condition | None, second: Condition | None) -> Condition | None:
    if first is None or second is None:
        return first or second
    return All((first, second))


def _topological(
    definition: Definition, index: Mapping[str, int], problems: Problems
) -> tuple[str, ...] | None:
    """Questions after the ones their askedWhen depends on, in declared order otherwise; a
    cycle (a question shown only if a later answer, which is shown only if ...) is refused."""
    depends = {
        q.code: sorted(questions_of(q.asked_when), key=index.__getitem__)
        for q in definition.questions
    }
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    order: list[str] = []
    path: list[str] = []

    def visit(code: str) -> bool:
        if state.get(code) == 2:
            return True
        if state.get(code) == 1:
            cycle = [*path[path.index(code) :], code]
            problems.add(
                f"questions[{index[code]}].askedWhen",
                "问题的显示条件形成循环：" + " → ".join(cycle),
                "CYCLE",
            )
            return False
        state[code] = 1
        path.append(code)
        for dependency in depends[code]:
            if not visit(dependency):
                return False
        path.pop()
        state[code] = 2
        order.append(code)
        return True

    for question in definition.questions:
        if not visit(question.code):
            return None
    return tuple(order)


def _unused(definition: Definition, index: Mapping[str, int]) -> list[int]:
    """Questions that no item or material rule depends on, directly or by deciding whether
    a question they depend on is asked."""
    used: set[str] = set()
    for item in definition.items:
        used |= questions_of(item.when)
    for rule in definition.rules:
        used |= questions_of(rule.when)
    frontier = set(used)
    while frontier:
        found: set[str] = set()
        for code in frontier:
            question = definition.question(code)
            if question is not None:
                found |= questions_of(question.asked_when) - used
        used |= found
        frontier = found
    return sorted(index[q.code] for q in definition.questions if q.code not in used)


class _Search:
    """Whether some complete, consistent set of answers makes a condition true.

    Only questions the condition depends on (and those deciding whether they are asked) are
    tried, each over the values that can make a difference: its options, the subsets of the
    options conditions test, or numbers on either side of each constant compared with.
    """

    def __init__(self, definition: Definition) -> None:
        self.definition = definition
        self.budget = SEARCH_BUDGET
        self.exhausted = False
        self.domains = _domains(definition)

    def reachable(self, target: Condition | None) -> bool:
        if target is None:
            return True
        relevant = set(questions_of(target))
        frontier = set(relevant)
        while frontier:
            found: set[str] = set()
            for code in frontier:
                question = self.definition.question(code)
                if question is not None:
                    found |= questions_of(question.asked_when) - relevant
            relevant |= found
            frontier = found
        questions = [
            q
            for code in self.definition.order
            if code in relevant
            for q in [self.definition.question(code)]
            if q is not None
        ]
        return self._search(target, questions, 0, {})

    def _search(
        self, target: Condition, questions: Sequence[Question], at: int, answers: dict[str, Answer]
    ) -> bool:
        if self.budget <= 0:
            self.exhausted = True
            return True  # reported as too complex, not as unreachable
        if at == len(questions):
            self.budget -= 1
            return holds(target, answers)
        question = questions[at]
        if not holds(question.asked_when, answers):
            return self._search(target, questions, at + 1, answers)
        if not self.domains[question.code]:
            return False  # asked, but no answer is possible
        for value in self.domains[question.code]:
            answers[question.code] = value
            if self._search(target, questions, at + 1, answers):
                del answers[question.code]
                return True
        del answers[question.code]
        return False


def _domains(definition: Definition) -> dict[str, list[Answer]]:
    compared: dict[str, list[Compare]] = {q.code: [] for q in definition.questions}
    conditions: list[Condition | None] = [q.asked_when for q in definition.questions]
    conditions += [item.when for item in definition.items]
    conditions += [rule.when for rule in definition.rules]
    for condition in conditions:
        for compare in comparisons(condition):
            compared[compare.question].append(compare)
    domains: dict[str, list[Answer]] = {}
    for question in definition.questions:
        if question.kind is QuestionKind.MULTIPLE_CHOICE:
            tested = sorted({str(c.operand) for c in compared[question.code]})
            domains[question.code] = [
                frozenset(chosen)
                for size in range(len(tested) + 1)
                for chosen in itertools.combinations(tested, size)
            ]
        elif question.kind is QuestionKind.NUMBER:
            constants = [
                c.operand for c in compared[question.code] if isinstance(c.operand, Decimal)
            ]
            domains[question.code] = list(_number_points(question, constants))
        else:
            domains[question.code] = list(question.option_values())
    return domains


def _number_points(question: Question, constants: Iterable[Decimal]) -> list[Decimal]:
    low = question.minimum if question.minimum is not None else -LARGEST_NUMBER
    high = question.maximum if question.maximum is not None else LARGEST_NUMBER
    values = sorted(set(constants))
    points = {low, high, *values}
    for first, second in itertools.pairwise(values):
        points.add((first + second) / 2)
    for value in values:
        points.update({value - 1, value + 1})
    allowed = (p for p in points if low <= p <= high)
    if question.integer:
        allowed = (p for p in allowed if p == p.to_integral_value())
    return sorted(set(allowed))


# -- stored definitions


@lru_cache(maxsize=256)
def _parsed(digest: str, text: bytes) -> Definition:
    definition, problems = read(orjson.loads(text))
    if definition is None:  # stored definitions were validated when saved
        raise ValueError(f"stored scenario definition {digest[:12]} is invalid: {problems[:1]}")
    return definition


def stored(raw: Mapping[str, Any], digest: str) -> Definition:
    """A definition read back from the database (versions never change, so parse once)."""
    return _parsed(digest, canonical(raw))


def merge_key(definition: Definition) -> Callable[[str, str | None], str]:
    """The merge key of a material: its group's name when a group claims it, else its own
    name; always with its document kind (a 结婚证 and a 出生医学证明 are both CERTIFICATE)."""
    claimed = {
        (group.document_kind, match): group.name
        for group in definition.groups
        for match in group.matches
    }

    def key(name: str, kind: str | None) -> str:
        found = claimed.get((kind or "", name))
        return f"{kind or ''}|{found or name}"

    return key


# -- references to the catalogue and the themes


@dataclass(frozen=True, slots=True)
class References:
    """What a valid definition's codes refer to, once checked."""

    department_id: UUID
    theme_ids: tuple[UUID, ...]


async def check_references(definition: Definition) -> tuple[References | None, list[Violation]]:
    """Every theme, the lead department, every item and every material a rule names must
    exist; themes must be for the same audience."""
    problems = Problems("definition.")
    themes = {t.code: t for t in await repo.themes_by_codes(definition.themes)}
    for index, code in enumerate(definition.themes):
        theme = themes.get(code)
        if theme is None:
            problems.add(f"themes[{index}]", "主题不存在。", "UNKNOWN_THEME")
        elif theme.audience != definition.audience:
            problems.add(f"themes[{index}]", "主题的服务对象与本一件事不一致。", "THEME_AUDIENCE")
    departments = await catalogue_repo.departments_by_codes([definition.lead_department])
    if not departments:
        problems.add("leadDepartment", "找不到该部门。", "UNKNOWN_DEPARTMENT")
    bases = {b.basic_code: b for b in await repo.base_items_by_codes(definition.basic_codes)}
    for index, item in enumerate(definition.items):
        if item.provider_service is not None:
            # A category of social services (UTILITIES ...), never one provider.
            if item.provider_service not in ProviderCategory.__members__:
                problems.add(
                    f"items[{index}].providerService", "没有这一类第三方服务。", "UNKNOWN_CATEGORY"
                )
        elif item.basic_code not in bases:
            problems.add(f"items[{index}].item", "找不到该基本目录事项。", "UNKNOWN_BASE_ITEM")
    named = set(await repo.material_names_of_bases([b.id for b in bases.values()]))
    for index, rule in enumerate(definition.rules):
        base = bases.get(rule.item)
        if base is not None and (base.id, rule.material) not in named:
            problems.add(
                f"materialRules[{index}].material",
                "该事项已发布的办事指南中没有这项材料。",
                "UNKNOWN_MATERIAL",
            )
    if problems.items:
        return None, problems.items
    return References(
        department_id=departments[0].id,
        theme_ids=tuple(themes[code].id for code in definition.themes),
    ), []

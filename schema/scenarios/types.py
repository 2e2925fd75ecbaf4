"""Themes, scenario bundles (一件事一次办), their plans and recommendations as GraphQL types,
and the inputs, errors and results of their mutations."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any, Self
from uuid import UUID

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from resolvers import policy
from resolvers.catalogue.errors import MAX_VIOLATIONS
from resolvers.catalogue.service import Audience
from resolvers.errors import MAX_ERROR_FIELDS
from resolvers.scenarios.conditions import questions_of
from resolvers.scenarios.definitions import (
    MAX_ITEMS,
    MAX_OPTIONS,
    MAX_QUESTIONS,
    MAX_THEMES,
    Definition,
    Question,
)
from resolvers.scenarios.errors import ScenarioError, ScenarioErrorCode
from resolvers.scenarios.plan import (
    MAX_PLAN_MATERIALS,
    Plan,
    PlannedItem,
    PlannedMaterial,
    Provision,
    RegionSource,
)
from resolvers.scenarios.recommendations import MAX_RECOMMENDATIONS, ReasonCode
from resolvers.scenarios.recommendations import Recommendation as RecommendationData
from resolvers.scenarios.service import MAX_THEME_ITEMS, definition_of
from schema.applications.types import Application
from schema.catalogue.types import BaseItem, Department, GuideViolation, Region, Service
from schema.context import Info
from schema.cost import bounded
from schema.documents.types import Document
from schema.errors import UserError
from schema.pagination import Connection, ListLimit
from schema.providers.types import PLAN_PROVIDER_SERVICES, THEME_PROVIDER_SERVICES
from storage.models import scenarios as models
from storage.models.catalogue import Channel, MaterialSource, Necessity, PublicationStatus
from storage.models.scenarios import QuestionKind

strawberry.enum(
    QuestionKind,
    description=(
        "SINGLE_CHOICE and YES_NO: one value (YES / NO for yes-no); MULTIPLE_CHOICE: any number "
        "of the options' values; NUMBER: one decimal number as text, within min..max."
    ),
)
strawberry.enum(
    Provision,
    name="MaterialProvision",
    description=(
        "UPLOAD: the resident provides it; WALLET: a document of its kind is already in the "
        "resident's wallet; GOVERNMENT: issued by a department, attached or fetched (never asked)."
    ),
)
strawberry.enum(
    RegionSource,
    name="PlanRegionSource",
    description=(
        "REQUESTED: the regionCode given; RESIDENT: where the signed-in resident's verified ID "
        "number was issued (a Chengdu district); CITY: the city level (510100)."
    ),
)
strawberry.enum(
    ReasonCode,
    name="RecommendationReason",
    description="Why a service is recommended; stable codes for clients' icons and analytics.",
)
strawberry.enum(ScenarioErrorCode)

# Every theme (the national lists have 16), and the scenarios listed under one.
THEMES = ListLimit(default=50, cap=50)
THEME_SCENARIOS = ListLimit(default=50, cap=50)
# A theme lists up to MAX_THEME_ITEMS items; the demo's longest has 7.
THEME_ITEMS = ListLimit(default=50, cap=MAX_THEME_ITEMS)
SCENARIO_THEMES = ListLimit(default=MAX_THEMES, cap=MAX_THEMES)
PLAN_SERVICES = ListLimit(default=MAX_ITEMS, cap=MAX_ITEMS)
RECOMMENDATIONS = ListLimit(default=10, cap=MAX_RECOMMENDATIONS)
# A resident's wallet grows with every upload: the newest of a kind are the ones to offer.
WALLET_DOCUMENTS = ListLimit(default=10, cap=50)


@strawberry.type
class ScenarioOption:
    value: str = strawberry.field(description="What to send in ScenarioAnswerInput.values.")
    label: str


@strawberry.type(description="A question of a scenario's guided questionnaire (情形引导).")
class ScenarioQuestion:
    code: str
    text: str
    help: str
    kind: QuestionKind
    options: list[ScenarioOption] = strawberry.field(
        directives=bounded(MAX_OPTIONS),
        description=(
            f"The choices (at most {MAX_OPTIONS}); YES_NO questions always offer YES (是) and "
            "NO (否)."
        ),
    )
    min: float | None = strawberry.field(description="NUMBER questions: the smallest answer.")
    max: float | None = strawberry.field(description="NUMBER questions: the largest answer.")
    integer: bool = strawberry.field(description="NUMBER questions: whole numbers only.")
    unit: str
    asked_when: JSON | None = strawberry.field(
        description=(
            "Null: always asked. Otherwise the condition on earlier answers under which it is "
            'asked, e.g. {"question": "married", "equals": "YES"}, combined with all / any / '
            "not. scenarioPlan's askedQuestions evaluates it for you."
        )
    )
    depends_on: list[str] = strawberry.field(
        directives=bounded(MAX_QUESTIONS),
        description="Codes of the questions askedWhen looks at.",
    )

    @classmethod
    def of(cls, question: Question) -> Self:
        return cls(
            code=question.code,
            text=question.text,
            help=question.help,
            kind=question.kind,
            options=[ScenarioOption(value=o.value, label=o.label) for o in question.options],
            min=float(question.minimum) if question.minimum is not None else None,
            max=float(question.maximum) if question.maximum is not None else None,
            integer=question.integer,
            unit=question.unit,
            asked_when=question.asked_when_json,
            depends_on=sorted(questions_of(question.asked_when)),
        )


@strawberry.type(description="An item a scenario may lead to, and the answers that select it.")
class ScenarioItem:
    base_code: str
    when: JSON | None = strawberry.field(
        description="Null: always part of the bundle; otherwise the condition on the answers."
    )

    @strawberry.field(description="The standard item (基本目录).")
    async def item(self, info: Info) -> BaseItem | None:
        row = await info.context.loaders.base_item_by_code.load(self.base_code)
        return BaseItem.of(row) if row else None


@strawberry.type(
    description=(
        "A scenario bundle (一件事): one guided questionnaire whose answers select the items to "
        "apply for together, with one merged material list and one submission."
    )
)
class Scenario(relay.Node):
    id: relay.NodeID[str]
    code: str
    name: str
    summary: str
    audience: Audience
    version: int
    status: PublicationStatus
    published_at: datetime | None
    _model: strawberry.Private[models.Scenario]
    _definition: strawberry.Private[Definition]

    @classmethod
    def of(cls, model: models.Scenario) -> Self:
        return cls(
            id=str(model.id),
            code=model.code,
            name=model.name,
            summary=model.summary,
            audience=Audience(model.audience),
            version=model.version,
            status=model.status,
            published_at=model.published_at,
            _model=model,
            _definition=definition_of(model),
        )

    @strawberry.field(
        directives=bounded(MAX_QUESTIONS),
        description=f"In the order to ask them; see each one's askedWhen. At most {MAX_QUESTIONS}.",
    )
    def questions(self) -> list[ScenarioQuestion]:
        return [ScenarioQuestion.of(q) for q in self._definition.questions]

    @strawberry.field(
        directives=bounded(MAX_ITEMS),
        description=f"Every item the bundle can lead to, with its condition. At most {MAX_ITEMS}.",
    )
    def items(self) -> list[ScenarioItem]:
        return [
            ScenarioItem(base_code=item.basic_code, when=item.when_json)
            for item in self._definition.items
            if item.basic_code is not None
        ]

    @strawberry.field(
        directives=SCENARIO_THEMES.directives,
        description=SCENARIO_THEMES.describe(
            "The themes (life events, business stages) it is listed under."
        ),
    )
    async def themes(self, info: Info, first: int | None = SCENARIO_THEMES.default) -> list[Theme]:
        size = SCENARIO_THEMES.size(first)
        rows = await info.context.loaders.scenario_themes.load(self._model.id)
        return [Theme.of(row) for row in rows[:size]]

    @strawberry.field(description="The lead department (牵头部门) that answers for the bundle.")
    async def lead_department(self, info: Info) -> Department | None:
        if self._model.lead_department_id is None:
            return None
        row = await info.context.loaders.department.load(self._model.lead_department_id)
        return Department.of(row) if row else None

    @strawberry.field(
        description=(
            "The whole definition as staff wrote it (questions, items, materialRules, "
            "materialGroups): public, so that clients may evaluate conditions themselves."
        )
    )
    def definition(self) -> JSON:
        return self._model.definition  # type: ignore[return-value]

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        # Residents see published versions; staff also drafts and history.
        staff = await policy.allows(
            info.context.resources, info.context.principal, policy.Action.CATALOGUE_DRAFTS_READ
        )
        rows = await info.context.loaders.scenario.load_many([_uuid(i) for i in node_ids])
        return [
            cls.of(row)
            if row is not None and (staff or row.status is PublicationStatus.PUBLISHED)
            else None
            for row in rows
        ]


_NO_ID = UUID(int=0)


def _uuid(node_id: object) -> UUID:
    try:
        return UUID(str(node_id))
    except ValueError:
        return _NO_ID


ScenarioConnection = Connection[Scenario]


@strawberry.type(
    description=(
        "A life event of a person (出生, 教育, 就业, 生活, 置业, 出行, 就医, 救助, 养老, "
        "身后) or a stage of an organisation's life (准入准营, 招聘用工, 纳税缴费, 经营发展, "
        "工程建设, 注销退出)."
    )
)
class Theme:
    code: str
    name: str
    audience: Audience
    description: str
    _model: strawberry.Private[models.Theme]

    @classmethod
    def of(cls, model: models.Theme) -> Self:
        return cls(
            code=model.code,
            name=model.name,
            audience=Audience(model.audience),
            description=model.description,
            _model=model,
        )

    @strawberry.field(
        directives=THEME_ITEMS.directives,
        description=THEME_ITEMS.describe("The standard items listed under the theme, in order."),
    )
    async def items(self, info: Info, first: int | None = THEME_ITEMS.default) -> list[BaseItem]:
        size = THEME_ITEMS.size(first)
        links = (await info.context.loaders.theme_items.load(self._model.id))[:size]
        rows = await info.context.loaders.base_item_by_code.load_many([i.basic_code for i in links])
        return [BaseItem.of(row) for row in rows if row is not None]

    @strawberry.field(
        directives=THEME_ITEMS.directives,
        description=THEME_ITEMS.describe(
            "The theme's items as services of a region: its own implementation, else the "
            "nearest level above; items with none there are left out. Default: the city. "
            "`first` counts the theme's items (so fewer services may come back)."
        ),
    )
    async def services(
        self,
        info: Info,
        region_code: str | None = None,
        first: int | None = THEME_ITEMS.default,
    ) -> list[Service]:
        size = THEME_ITEMS.size(first)
        code = region_code or "510100"
        if not 0 < len(code) <= 12 or not code.isalnum():
            return []
        links = (await info.context.loaders.theme_items.load(self._model.id))[:size]
        rows = await info.context.loaders.service_in_region.load_many(
            [(code, link.basic_code) for link in links]
        )
        return [Service.of(row) for row in rows if row is not None]

    @strawberry.field(
        directives=THEME_SCENARIOS.directives,
        description=THEME_SCENARIOS.describe(
            "Published scenario bundles listed under the theme, in display order."
        ),
    )
    async def scenarios(
        self, info: Info, first: int | None = THEME_SCENARIOS.default
    ) -> list[Scenario]:
        size = THEME_SCENARIOS.size(first)
        rows = await info.context.loaders.theme_scenarios.load(self._model.id)
        return [Scenario.of(row) for row in rows[:size]]

    provider_services = THEME_PROVIDER_SERVICES  # social services beside the items


@strawberry.type(description="An item the answers lead to, as the plan's region implements it.")
class ScenarioPlanItem:
    base_code: str
    name: str
    service: Service | None = strawberry.field(
        description="Null when the region (and the levels above it) has no published guide."
    )
    available: bool

    @classmethod
    def of(cls, item: PlannedItem) -> Self:
        return cls(
            base_code=item.base.basic_code,
            name=item.base.name,
            service=Service.of(item.implementation) if item.implementation else None,
            available=item.implementation is not None,
        )


@strawberry.type(description="A material of the merged list: asked for once, whatever uses it.")
class ScenarioPlanMaterial:
    name: str
    document_kind: str | None
    necessity: Necessity = strawberry.field(description="The strictest of the items that use it.")
    source: MaterialSource = strawberry.field(
        description="APPLICANT when any item needs it from the resident."
    )
    original: bool = strawberry.field(description="Some item needs the original shown.")
    copies: int = strawberry.field(description="The most copies any item asks for.")
    used_by: list[str] = strawberry.field(
        directives=bounded(MAX_ITEMS), description="Basic codes of the items that need it."
    )
    provision: Provision
    wallet_satisfied: bool | None = strawberry.field(
        description=(
            "Whether a document of its kind is in the signed-in resident's wallet; null for "
            "anyone not signed in as a resident."
        )
    )
    _wallet: strawberry.Private[list[Any] | None]

    @classmethod
    def of(cls, material: PlannedMaterial) -> Self:
        return cls(
            name=material.name,
            document_kind=material.document_kind,
            necessity=material.necessity,
            source=material.source,
            original=material.original,
            copies=material.copies,
            used_by=list(material.item_codes),
            provision=material.provision,
            wallet_satisfied=bool(material.wallet) if material.wallet is not None else None,
            _wallet=material.wallet,
        )

    @strawberry.field(
        directives=WALLET_DOCUMENTS.directives,
        description=WALLET_DOCUMENTS.describe(
            "The signed-in resident's wallet documents of its kind, newest first."
        ),
    )
    def wallet_documents(self, first: int | None = WALLET_DOCUMENTS.default) -> list[Document]:
        size = WALLET_DOCUMENTS.size(first)
        return [Document.of(d) for d in (self._wallet or [])[:size]]


@strawberry.type(
    description=(
        "What a scenario's answers lead to: the items, one merged material list, and the "
        "bundle's time limit. Items are handled in parallel, so promisedDays is the longest "
        "item's, not the sum (working days)."
    )
)
class ScenarioPlan:
    region_source: RegionSource
    complete: bool = strawberry.field(
        description="Every question asked has its answer: the plan can be submitted."
    )
    asked_questions: list[str] = strawberry.field(
        directives=bounded(MAX_QUESTIONS),
        description="Codes of the questions to show for these answers, in order.",
    )
    missing_questions: list[str] = strawberry.field(
        directives=bounded(MAX_QUESTIONS),
        description="Questions shown but not answered yet; their conditions count as false.",
    )
    items: list[ScenarioPlanItem] = strawberry.field(
        directives=bounded(MAX_ITEMS), description=f"At most {MAX_ITEMS}."
    )
    materials: list[ScenarioPlanMaterial] = strawberry.field(
        directives=bounded(MAX_PLAN_MATERIALS),
        description=(
            "Each material once: matched by document kind and name, or by the scenario's groups."
        ),
    )
    promised_days: int = strawberry.field(
        description="Working days: the longest promised limit of the bundle's items (parallel)."
    )
    separate_promised_days: int = strawberry.field(
        description="Working days the items would take one after another (for comparison)."
    )
    visits: int = strawberry.field(
        description="Visits needed: the most any item needs (one trip to a centre serves all)."
    )
    separate_visits: int = strawberry.field(description="Visits if applied for one by one.")
    channels: list[Channel] = strawberry.field(
        directives=bounded(len(Channel)),
        description="Channels every available item accepts: where the bundle can be submitted.",
    )
    digest: str = strawberry.field(
        description="Pass it as submitScenario's planDigest: PLAN_CHANGED if anything changed."
    )
    _plan: strawberry.Private[Plan]

    @classmethod
    def of(cls, plan: Plan) -> Self:
        return cls(
            region_source=plan.region_source,
            complete=plan.complete,
            asked_questions=list(plan.answers.asked),
            missing_questions=list(plan.answers.missing),
            items=[ScenarioPlanItem.of(item) for item in plan.items],
            materials=[ScenarioPlanMaterial.of(m) for m in plan.materials],
            promised_days=plan.promised_days,
            separate_promised_days=plan.separate_promised_days,
            visits=plan.visits,
            separate_visits=plan.separate_visits,
            channels=plan.channels,
            digest=plan.digest,
            _plan=plan,
        )

    @strawberry.field
    def scenario(self) -> Scenario:
        return Scenario.of(self._plan.scenario)

    @strawberry.field(description="The region whose implementations the plan uses.")
    def region(self) -> Region:
        return Region.of(self._plan.region)

    @strawberry.field(
        directives=PLAN_SERVICES.directives,
        description=PLAN_SERVICES.describe("The available items' services, in the bundle's order."),
    )
    def services(self, first: int | None = PLAN_SERVICES.default) -> list[Service]:
        size = PLAN_SERVICES.size(first)
        found = [Service.of(i.implementation) for i in self._plan.items if i.implementation]
        return found[:size]

    provider_services = PLAN_PROVIDER_SERVICES  # social services the answers lead to


@strawberry.type(
    description="An item (with its guide) or a scenario recommended to the caller, and why."
)
class Recommendation:
    reason_code: ReasonCode
    reason: str = strawberry.field(description="zh-CN, for the resident it is shown to.")
    item: BaseItem | None = strawberry.field(description="The recommended item, if an item.")
    service: Service | None = strawberry.field(
        description=(
            "The item's guide for the resident's district (or the level above); null when "
            "only districts have one and the district is not known: ask for it."
        )
    )
    scenario: Scenario | None

    @classmethod
    def of(cls, found: RecommendationData) -> Self:
        return cls(
            reason_code=found.reason_code,
            reason=found.reason,
            item=BaseItem.of(found.item) if found.item else None,
            service=Service.of(found.service) if found.service else None,
            scenario=Scenario.of(found.scenario) if found.scenario else None,
        )


# -- inputs


@strawberry.input(description="The answer to one question.")
class ScenarioAnswerInput:
    question: str = strawberry.field(description="The question's code.")
    values: list[str] = strawberry.field(
        description=(
            'One value for SINGLE_CHOICE, YES_NO (YES or NO) and NUMBER (e.g. "12"); any '
            "number of distinct option values for MULTIPLE_CHOICE. At most 64 characters each."
        )
    )


@strawberry.input
class ScenarioFilter:
    audience: Audience | None = None
    theme_code: str | None = None
    keyword: str | None = strawberry.field(
        default=None, description="Part of the name or summary; at most 20 characters."
    )


@strawberry.input
class SubmitScenarioInput:
    scenario_code: str
    answers: list[ScenarioAnswerInput] = strawberry.field(
        description="Every question asked must be answered; at most 50."
    )
    region_code: str | None = strawberry.field(
        default=None,
        description=(
            "Whose implementations to apply to; default: the resident's district from the "
            "verified ID number, else the city level."
        ),
    )
    form: JSON | None = strawberry.field(
        default=None,
        description=(
            'Each item\'s form under its basic code: {"<basic code>": {...}}, checked against '
            "that item's JSON Schema; at most 64 KB per item."
        ),
    )
    document_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list,
        description=(
            "Wallet documents for the merged material list, each given once and used by every "
            "item that needs its kind; at most 30. Government-issued ones are attached."
        ),
    )
    channel: Channel = strawberry.field(
        description="WEB_HALL, MOBILE_APP, MINI_PROGRAM or TV_HALL; every item must accept it."
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="At most 128 characters: a retry with the same key and input returns the "
        "same bundle.",
    )
    plan_digest: str | None = strawberry.field(
        default=None,
        description="scenarioPlan's digest the resident confirmed: PLAN_CHANGED if it moved.",
    )


@strawberry.input
class UpsertScenarioInput:
    code: str = strawberry.field(
        description="Lower-case letters, digits and hyphens, 2-32 characters: newborn, restaurant."
    )
    definition: JSON = strawberry.field(
        description=(
            "name, summary, audience, themes, leadDepartment, position, questions, items, "
            "materialRules, materialGroups (see the README); at most 64 KB."
        )
    )


@strawberry.input
class PublishScenarioInput:
    code: str


@strawberry.input
class UpsertThemeInput:
    code: str = strawberry.field(description="Upper-case letters and underscores: BIRTH.")
    name: str
    audience: Audience
    description: str = ""
    position: int = 0
    item_codes: list[str] = strawberry.field(
        default_factory=list, description="Basic codes in display order; at most 200."
    )


# -- errors and results


@strawberry.type
class SubmitScenarioError(UserError):
    code: ScenarioErrorCode
    fields: list[str] = strawberry.field(
        default_factory=list,
        directives=bounded(MAX_ERROR_FIELDS),
        description=(
            "Every input field at fault, e.g. form.<basic code>.shopName; for ANSWER_REQUIRED "
            f"the codes of the questions still to answer. At most {MAX_ERROR_FIELDS}."
        ),
    )

    @classmethod
    def of(cls, error: ScenarioError) -> Self:  # type: ignore[override]
        return cls(
            code=error.code,  # type: ignore[arg-type]
            message=error.message,
            field=error.field,
            fields=list(error.fields),
        )


@strawberry.interface
class ScenarioEditError(UserError):
    code: ScenarioErrorCode
    violations: list[GuideViolation] = strawberry.field(
        directives=bounded(MAX_VIOLATIONS),
        description=(
            f"Every problem found (the first {MAX_VIOLATIONS}): rule, field under "
            "`definition.`, what to do."
        ),
    )

    @classmethod
    def of(cls, error: ScenarioError) -> Self:  # type: ignore[override]
        return cls(
            code=error.code,  # type: ignore[arg-type]
            message=error.message,
            field=error.field,
            violations=[GuideViolation.of(v) for v in error.violations],
        )


@strawberry.type
class UpsertScenarioError(ScenarioEditError):
    pass


@strawberry.type
class PublishScenarioError(ScenarioEditError):
    pass


@strawberry.type
class UpsertThemeError(ScenarioEditError):
    pass


SubmitScenarioResult = Annotated[
    Application | SubmitScenarioError, strawberry.union("SubmitScenarioResult")
]
UpsertScenarioResult = Annotated[
    Scenario | UpsertScenarioError, strawberry.union("UpsertScenarioResult")
]
PublishScenarioResult = Annotated[
    Scenario | PublishScenarioError, strawberry.union("PublishScenarioResult")
]
UpsertThemeResult = Annotated[Theme | UpsertThemeError, strawberry.union("UpsertThemeResult")]

"""Catalogue staff mutations: inputs become drafts, the services decide, results come back."""

from __future__ import annotations

import strawberry

from resolvers.catalogue import editing, terminals
from resolvers.catalogue.drafts import (
    ArticleData,
    BaseItemData,
    FaqData,
    FeeItemData,
    ImplementationData,
    MaterialData,
    StepData,
    TerminalData,
)
from resolvers.catalogue.errors import CatalogueError, CatalogueErrorCode
from resolvers.catalogue.service import Placed, attach_material_file
from resolvers.policy import Action
from schema.authorised import authorised
from schema.catalogue.types import (
    Article,
    AttachMaterialFileInput,
    AttachMaterialFileResult,
    BaseItem,
    Material,
    PublishImplementationInput,
    PublishImplementationResult,
    RegisterTerminalInput,
    RegisterTerminalResult,
    Service,
    Terminal,
    TerminalRegistration,
    UpsertArticleInput,
    UpsertArticleResult,
    UpsertBaseItemInput,
    UpsertBaseItemResult,
    UpsertImplementationInput,
    UpsertImplementationResult,
)
from schema.context import Info
from schema.ids import node_uuid


def implementation_data(input: UpsertImplementationInput) -> ImplementationData:
    return ImplementationData(
        base_code=input.base_code,
        region_code=input.region_code,
        department_code=input.department_code,
        handling_type=input.handling_type,
        name=input.name,
        legal_basis=input.legal_basis,
        steps=[StepData(s.name, s.description) for s in input.steps]
        if input.steps is not None
        else None,
        divergence_justification=input.divergence_justification,
        conditions=input.conditions,
        statutory_days=input.statutory_days,
        promised_days=input.promised_days,
        fee=input.fee,
        fee_basis=input.fee_basis,
        fee_items=[
            FeeItemData(
                name=f.name,
                amount_fen=f.amount_fen,
                legal_basis=f.legal_basis,
                unit=f.unit,
                charging_department=f.charging_department,
                charged_at=f.charged_at.value if f.charged_at else "",
                exemptions=[
                    {"code": e.code, "name": e.name, "basis": e.basis} for e in f.exemptions
                ],
            )
            for f in input.fee_items
        ]
        if input.fee_items is not None
        else None,
        visits=input.visits,
        visit_reason=input.visit_reason,
        online_depth=input.online_depth,
        channels=list(input.channels),
        scope=input.scope,
        address=input.address,
        hours=input.hours,
        phone=input.phone,
        complaint_phone=input.complaint_phone,
        result_name=input.result_name,
        result_sample=input.result_sample,
        faqs=[FaqData(f.question, f.answer) for f in input.faqs],
        materials=[
            MaterialData(
                name=m.name,
                necessity=m.necessity,
                source=m.source,
                document_kind=m.document_kind,
                issuing_item_code=m.issuing_item_code,
                original=m.original,
                copies=m.copies,
                note=m.note,
            )
            for m in input.materials
        ],
        form_schema=input.form_schema,  # type: ignore[arg-type]
        cooperating_departments=list(input.cooperating_departments),
        valid_from=input.valid_from,
        valid_until=input.valid_until,
    )


@strawberry.type
class CatalogueMutation:
    @strawberry.mutation(
        extensions=authorised(Action.BASE_ITEM_UPSERT),
        description="Creates or updates a standard item (ADMIN).",
    )
    async def upsert_base_item(
        self, info: Info, input: UpsertBaseItemInput
    ) -> UpsertBaseItemResult:
        data = BaseItemData(
            basic_code=input.basic_code,
            name=input.name,
            kind=input.kind,
            item_type=input.item_type,
            legal_basis=input.legal_basis,
            steps=[StepData(s.name, s.description) for s in input.steps],
            audiences=list(input.audiences),
            keywords=list(input.keywords),
        )
        item = await editing.upsert_base_item(info.context.resources, info.context.principal, data)
        return BaseItem.of(item)

    @strawberry.mutation(
        extensions=authorised(Action.IMPLEMENTATION_UPSERT),
        description=(
            "Writes the draft of an implementation (ADMIN or the department's STAFF); the "
            "published version stays live until `publishImplementation`."
        ),
    )
    async def upsert_implementation(
        self, info: Info, input: UpsertImplementationInput
    ) -> UpsertImplementationResult:
        draft = await editing.upsert_implementation(
            info.context.resources, info.context.principal, implementation_data(input)
        )
        return Service.of(draft)

    @strawberry.mutation(
        extensions=authorised(Action.IMPLEMENTATION_PUBLISH),
        description="Runs the guide checks and 三级四同, then publishes the draft.",
    )
    async def publish_implementation(
        self, info: Info, input: PublishImplementationInput
    ) -> PublishImplementationResult:
        live = await editing.publish_implementation(
            info.context.resources, info.context.principal, input.code, input.justification
        )
        return Service.of(live)

    @strawberry.mutation(
        extensions=authorised(Action.ARTICLE_UPSERT),
        description="Creates or updates an article (ADMIN or the department's STAFF).",
    )
    async def upsert_article(self, info: Info, input: UpsertArticleInput) -> UpsertArticleResult:
        article_id = None
        if input.id is not None:
            article_id = node_uuid(input.id, "Article")
            if article_id is None:
                raise CatalogueError(CatalogueErrorCode.NOT_FOUND, "id")
        data = ArticleData(
            kind=input.kind,
            title=input.title,
            body=input.body,
            issuer=input.issuer,
            issued_on=input.issued_on,
            region_code=input.region_code,
            department_code=input.department_code,
            item_codes=list(input.item_codes),
            published=input.published,
        )
        article = await editing.upsert_article(
            info.context.resources, info.context.principal, article_id, data
        )
        return Article.of(article)

    @strawberry.mutation(
        extensions=authorised(Action.TERMINAL_REGISTER),
        description="Registers a terminal and returns its device credential once.",
    )
    async def register_terminal(
        self, info: Info, input: RegisterTerminalInput
    ) -> RegisterTerminalResult:
        data = TerminalData(
            code=input.code,
            name=input.name,
            community_code=input.community_code,
            placement=input.placement,
            address=input.address,
            latitude=input.location.lat,
            longitude=input.location.lng,
            hours=input.hours,
            service_codes=list(input.service_codes),
        )
        registration = await terminals.register_terminal(
            info.context.resources, info.context.principal, data
        )
        return TerminalRegistration(
            terminal=Terminal.of(Placed(registration.terminal, None)),
            credential=registration.credential,
        )

    @strawberry.mutation(
        extensions=authorised(Action.IMPLEMENTATION_UPSERT),
        description=(
            "Attaches a blank form or a filled-in sample to a material of a draft guide (ADMIN "
            "or the department's STAFF), from a checked upload of the caller's own; the "
            "published guide shows it once the draft is published."
        ),
    )
    async def attach_material_file(
        self, info: Info, input: AttachMaterialFileInput
    ) -> AttachMaterialFileResult:
        document_id = None
        if input.document_id is not None:
            document_id = node_uuid(input.document_id, "Document")
            if document_id is None:
                raise CatalogueError(CatalogueErrorCode.NOT_FOUND, "documentId")
        attached = await attach_material_file(
            info.context.resources,
            info.context.principal,
            code=input.code,
            position=input.material,
            role=input.role,
            document_id=document_id,
        )
        return Material.of(attached.material)

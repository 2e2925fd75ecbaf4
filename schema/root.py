"""The root types and the Schema: each domain's Query, Mutation and Subscription classes
(schema/<domain>/), composed, with the limits every public GraphQL API needs."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry import relay
from strawberry.extensions import MaskErrors, SchemaExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from resolvers.policy import Action
from schema.accounts.mutations import AccountMutation
from schema.accounts.queries import AccountQuery
from schema.accounts.subscriptions import AccountSubscription
from schema.accounts.types import Account
from schema.appeals.mutations import AppealMutation
from schema.appeals.queries import AppealQuery
from schema.appeals.types import Appeal
from schema.applications.mutations import ApplicationMutation
from schema.applications.on_behalf import OnBehalfMutation
from schema.applications.queries import ApplicationQuery
from schema.applications.subscriptions import ApplicationSubscription
from schema.applications.types import Application
from schema.authorised import KeptErrors, authorised
from schema.catalogue.mutations import CatalogueMutation
from schema.catalogue.queries import CatalogueQuery
from schema.catalogue.types import Article, Service, ServiceCentre, Terminal
from schema.context import Info
from schema.delegation.mutations import DelegationMutation
from schema.delegation.queries import DelegationQuery
from schema.delivery.mutations import DeliveryMutation, DeliveryQuery
from schema.devices.mutations import DeviceMutation
from schema.documents.mutations import DocumentMutation
from schema.documents.queries import DocumentQuery
from schema.documents.types import Document
from schema.error_codes import MASKED_MESSAGE, classify
from schema.exchange.queries import ExchangeQuery
from schema.exchange.types import ExchangeMessage
from schema.execution import PlainValues
from schema.hall.mutations import HallMutation
from schema.hall.queries import HallQuery
from schema.hall.subscriptions import HallSubscription
from schema.ids import parse_global_id
from schema.inspections.mutations import InspectionMutation, InspectionQuery
from schema.payments.mutations import PaymentMutation
from schema.payments.queries import PaymentQuery
from schema.providers.mutations import ProviderMutation
from schema.providers.queries import ProviderQuery
from schema.providers.types import Provider, ProviderService
from schema.scenarios.mutations import ScenarioMutation
from schema.scenarios.queries import ScenarioQuery
from schema.scenarios.types import Scenario
from schema.sdl import sorted_sdl
from schema.tvhall.mutations import TvHallMutation

log = logging.getLogger("rongban.graphql")

# Types reachable through node(id). An explicit registry: a global id naming any other
# type resolves to null instead of being guessed (strawberry GHSA-5xh2-23cc-5jc6).
NODE_TYPES: dict[str, type[relay.Node]] = {
    "Account": Account,
    "Service": Service,
    "Article": Article,
    "Document": Document,
    "Application": Application,
    "ExchangeMessage": ExchangeMessage,
    "Scenario": Scenario,
    "Provider": Provider,
    "ProviderService": ProviderService,
    "Appeal": Appeal,
}


# Root fields whose answers are the same for every anonymous caller and change only when
# the catalogue does: their responses may be cached whole (see api/graphql.py).
PUBLIC_CATALOGUE_FIELDS = frozenset(
    {
        "regions",
        "region",
        "departments",
        "department",
        "services",
        "service",
        "serviceStats",
        "articles",
        "article",
        "serviceCentres",
        "terminals",
        "themes",
        "theme",
        "scenarios",
        "scenario",
        "appealCategories",
    }
)


@strawberry.type
class Query(
    AccountQuery,
    CatalogueQuery,
    DocumentQuery,
    ApplicationQuery,
    AppealQuery,
    ExchangeQuery,
    ScenarioQuery,
    ProviderQuery,
    HallQuery,
    DelegationQuery,
    InspectionQuery,
    DeliveryQuery,
    PaymentQuery,
):
    @strawberry.field(
        extensions=authorised(Action.READ_PUBLIC),
        description="Any object by its global id, if the caller may see it; otherwise null.",
    )
    async def node(self, info: Info, id: strawberry.ID) -> relay.Node | None:
        parsed = parse_global_id(id)
        node_type = NODE_TYPES.get(parsed[0]) if parsed else None
        if parsed is None or node_type is None:
            return None
        resolved: Any = node_type.resolve_nodes(info=info, node_ids=[parsed[1]], required=False)
        nodes = await resolved if inspect.isawaitable(resolved) else resolved
        found: relay.Node | None = next(iter(nodes), None)
        return found


@strawberry.type
class Mutation(
    AccountMutation,
    CatalogueMutation,
    DocumentMutation,
    ApplicationMutation,
    ScenarioMutation,
    ProviderMutation,
    AppealMutation,
    HallMutation,
    DelegationMutation,
    TvHallMutation,
    InspectionMutation,
    DeliveryMutation,
    PaymentMutation,
    DeviceMutation,
    OnBehalfMutation,
):
    """Every mutation answers a union of its payload and its own error type (a UserError)."""


@strawberry.type
class Subscription(AccountSubscription, ApplicationSubscription, HallSubscription):
    """Live changes, over the WebSocket transport (graphql-transport-ws)."""


@dataclass(frozen=True, slots=True)
class SchemaOptions:
    max_operations: int = 5
    production: bool = False


class RongbanSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Unexpected errors are logged with their traceback (through the redacting
        # formatter); the client's own mistakes are not worth a traceback, and the query
        # text is never logged: its variables may hold personal data.
        for error in errors:
            verdict = classify(error)
            if verdict.masked:
                log.error(
                    "unexpected error at %s",
                    ".".join(str(p) for p in error.path or []),
                    exc_info=error.original_error or error,
                )
            else:
                log.info("request error %s", verdict.code)


class UsePreparedDocument(SchemaExtension):
    """Runs the document the request's preparation already parsed and validated with the
    limits (api/preparation.py), instead of parsing and validating it a second time. Without
    one (a direct `schema.execute`), strawberry parses and validates as usual."""

    def on_parse(self) -> Iterator[None]:
        document = getattr(self.execution_context.context, "document", None)
        if document is not None:
            self.execution_context.graphql_document = document
        yield

    def on_validate(self) -> Iterator[None]:
        if getattr(self.execution_context.context, "document", None) is not None:
            self.execution_context.validation_rules = ()
        yield


def _should_mask(error: GraphQLError) -> bool:
    return classify(error).masked


@lru_cache(maxsize=8)
def build_schema(options: SchemaOptions = SchemaOptions()) -> strawberry.Schema:
    """Builds (once per option set) the schema. The limits (depth, aliases, tokens, cost,
    introspection in production) are applied by every transport's preparation."""
    return RongbanSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=[
            UsePreparedDocument,
            KeptErrors,
            lambda: MaskErrors(should_mask_error=_should_mask, error_message=MASKED_MESSAGE),
        ],
        config=StrawberryConfig(
            disable_field_suggestions=options.production,
            batching_config={"max_operations": options.max_operations},
            relay_max_results=50,
        ),
        types=[*NODE_TYPES.values(), ServiceCentre, Terminal],
        execution_context_class=PlainValues,
    )


def sdl() -> str:
    """The committed contract: `schema/schema.graphql` is this text (fields in name order)."""
    return sorted_sdl(build_schema().as_str()) + "\n"

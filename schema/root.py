"""The root types and the Schema, with the limits every public GraphQL API needs."""

from __future__ import annotations

import inspect
import logging
from collections.abc import AsyncGenerator, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry import relay
from strawberry.extensions import MaskErrors, SchemaExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from resolvers.accounts import mutations as account_mutations
from resolvers.accounts import queries as account_queries
from resolvers.accounts.events import AccountEvent
from resolvers.appeals import mutations as appeal_mutations
from resolvers.appeals import queries as appeal_queries
from resolvers.appeals.dispatch import MAX_CATEGORY_GROUPS
from resolvers.applications import mutations as application_mutations
from resolvers.applications import queries as application_queries
from resolvers.catalogue import mutations as catalogue_mutations
from resolvers.catalogue import queries as catalogue_queries
from resolvers.documents import mutations as document_mutations
from resolvers.documents import queries as document_queries
from resolvers.exchange import queries as exchange_queries
from resolvers.notifications.service import MAX_TEMPLATES
from resolvers.policy import Action
from resolvers.providers import mutations as provider_mutations
from resolvers.providers import queries as provider_queries
from resolvers.scenarios import mutations as scenario_mutations
from resolvers.scenarios import queries as scenario_queries
from schema.accounts import Account
from schema.appeals import Appeal
from schema.applications import (
    RATING_SUMMARIES,
    RECTIFICATIONS,
    Application,
    ApplicationStatusChange,
)
from schema.authorised import authorised
from schema.catalogue import (
    DEPARTMENTS,
    DIVERGENCES,
    REGIONS,
    Article,
    ArticleConnection,
    CatalogueDivergence,
    Department,
    Region,
    Service,
    ServiceCentre,
    ServiceCentreConnection,
    ServiceConnection,
    ServiceStats,
    Terminal,
    TerminalConnection,
)
from schema.context import Info
from schema.cost import bounded
from schema.documents import Document
from schema.error_codes import MASKED_MESSAGE, classify
from schema.exchange import ExchangeMessage
from schema.providers import MY_PROVIDERS, Provider, ProviderService
from schema.scenarios import RECOMMENDATIONS, THEMES, Scenario

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
class Query:
    me = strawberry.field(
        extensions=authorised(Action.READ_PUBLIC),
        resolver=account_queries.me,
        description="The signed-in account, or null.",
    )
    regions: list[Region] = strawberry.field(
        extensions=authorised(Action.READ_PUBLIC),
        resolver=catalogue_queries.regions,
        directives=REGIONS.directives,
        description=REGIONS.describe(
            "Top-level regions, or the regions directly below `parentCode`."
        ),
    )
    region: Region | None = strawberry.field(
        resolver=catalogue_queries.region, extensions=authorised(Action.READ_PUBLIC)
    )
    departments: list[Department] = strawberry.field(
        extensions=authorised(Action.READ_PUBLIC),
        resolver=catalogue_queries.departments,
        directives=DEPARTMENTS.directives,
        description=DEPARTMENTS.describe(
            "Departments, optionally only those of one region (by code)."
        ),
    )
    department: Department | None = strawberry.field(
        extensions=authorised(Action.READ_PUBLIC),
        resolver=catalogue_queries.department,
        description="A department by credit code.",
    )
    services: ServiceConnection = strawberry.field(
        extensions=authorised(Action.READ_PUBLIC),
        resolver=catalogue_queries.services,
        description=(
            "Published services. With a keyword: ranked by relevance (at most 1,000 results); "
            "otherwise by name. `first` defaults to 20, at most 50."
        ),
    )
    service: Service | None = strawberry.field(
        extensions=authorised(Action.READ_PUBLIC),
        resolver=catalogue_queries.service_by_code,
        description=(
            "A published service by implementation code, or by basic code with `regionCode` "
            "(the region's own implementation, else the nearest level above). Null if unknown."
        ),
    )
    service_stats: ServiceStats | None = strawberry.field(
        extensions=authorised(Action.READ_PUBLIC),
        resolver=catalogue_queries.service_stats,
        description="Shares for a region and everything below it; the whole city without a code.",
    )
    catalogue_divergences: list[CatalogueDivergence] = strawberry.field(
        extensions=authorised(Action.CATALOGUE_DIVERGENCES),
        resolver=catalogue_queries.catalogue_divergences,
        directives=DIVERGENCES.directives,
        description=DIVERGENCES.describe(
            "Implementations in the region that differ from their base item (staff)."
        ),
    )
    articles: ArticleConnection = strawberry.field(
        extensions=authorised(Action.READ_PUBLIC),
        resolver=catalogue_queries.articles,
        description="Newest first.",
    )
    article: Article | None = strawberry.field(
        resolver=catalogue_queries.article, extensions=authorised(Action.READ_PUBLIC)
    )
    service_centres: ServiceCentreConnection = strawberry.field(
        extensions=authorised(Action.READ_PUBLIC),
        resolver=catalogue_queries.service_centres,
        description="Sorted by distance from `filter.near` when given, else by name.",
    )
    terminals: TerminalConnection = strawberry.field(
        extensions=authorised(Action.READ_PUBLIC),
        resolver=catalogue_queries.terminals,
        description="Sorted by distance from `filter.near` when given, else by code.",
    )
    my_documents = strawberry.field(
        extensions=authorised(Action.READ_OWN),
        resolver=document_queries.my_documents,
        description=(
            "The signed-in resident's document wallet, newest first. `first` at most 50 "
            "(default 20)."
        ),
    )
    my_applications = strawberry.field(
        extensions=authorised(Action.READ_OWN),
        resolver=application_queries.my_applications,
        description="The signed-in resident's applications, newest first. `first` at most 50.",
    )
    application = strawberry.field(
        extensions=authorised(Action.READ_PUBLIC),
        resolver=application_queries.application,
        description="An application of yours, or one your department handles; else null.",
    )
    work_items = strawberry.field(
        extensions=authorised(Action.WORK_ITEMS),
        resolver=application_queries.work_items,
        description=(
            "Staff inbox: applications awaiting the department's acceptance and its pending "
            "tasks, soonest working-day deadline first. `first` at most 50."
        ),
    )
    overdue_applications = strawberry.field(
        extensions=authorised(Action.APPLICATIONS_OVERDUE),
        resolver=application_queries.overdue_applications,
        description=(
            "效能监察: applications past their acceptance or completion deadline (clock "
            "running), in the caller's region and below (ADMIN: everywhere), oldest first."
        ),
    )
    notifications = strawberry.field(
        extensions=authorised(Action.READ_OWN),
        resolver=application_queries.notifications,
        description="The signed-in account's inbox, newest first. `first` at most 50.",
    )
    wechat_subscription_templates = strawberry.field(
        extensions=authorised(Action.READ_PUBLIC),
        resolver=application_queries.wechat_subscription_templates,
        directives=bounded(MAX_TEMPLATES),
        description=(
            "Template ids to pass to wx.requestSubscribeMessage, by event; at most "
            f"{MAX_TEMPLATES}."
        ),
    )
    application_ratings = strawberry.field(
        extensions=authorised(Action.APPLICATION_RATINGS),
        resolver=application_queries.application_ratings,
        directives=RATING_SUMMARIES.directives,
        description=RATING_SUMMARIES.describe(
            "好差评 counts per level and average (5..1), per item or department."
        ),
    )
    rectifications = strawberry.field(
        extensions=authorised(Action.RECTIFICATIONS),
        resolver=application_queries.rectifications,
        directives=RECTIFICATIONS.directives,
        description=RECTIFICATIONS.describe(
            "The department's 差评 rectifications, soonest due first."
        ),
    )
    calendar = strawberry.field(
        extensions=authorised(Action.READ_PUBLIC),
        resolver=application_queries.calendar,
        directives=bounded(application_queries.MAX_CALENDAR_DAYS),
        description=(
            "Working days and rest days between two dates, both included (at most "
            f"{application_queries.MAX_CALENDAR_DAYS} days)."
        ),
    )
    my_appeals = strawberry.field(
        extensions=authorised(Action.READ_OWN),
        resolver=appeal_queries.my_appeals,
        description="The signed-in resident's appeals, newest first. `first` at most 50.",
    )
    appeal = strawberry.field(
        extensions=authorised(Action.READ_PUBLIC),
        resolver=appeal_queries.appeal,
        description=(
            "An appeal you filed, one your department handles, or (12345 centre, ADMIN) any; "
            "else null."
        ),
    )
    appeal_categories = strawberry.field(
        extensions=authorised(Action.READ_PUBLIC),
        resolver=appeal_queries.appeal_categories,
        directives=bounded(MAX_CATEGORY_GROUPS),
        description=(
            "The 12345 dispatch catalogue (派单目录): groups with their leaf categories; at most "
            f"{MAX_CATEGORY_GROUPS} groups."
        ),
    )
    appeal_supervisions = strawberry.field(
        extensions=authorised(Action.APPEAL_SUPERVISIONS),
        resolver=appeal_queries.appeal_supervisions,
        description=(
            "The supervisors' inbox (12345 centre and ADMIN): 督办 raised for missed sign-for and "
            "reply deadlines, newest first; `unresolved` filters. `first` at most 50."
        ),
    )
    appeal_insights = strawberry.field(
        extensions=authorised(Action.APPEAL_INSIGHTS),
        resolver=appeal_queries.appeal_insights,
        description=(
            "Staff: hot topics, weekly trends, spikes, timeliness and satisfaction of appeals "
            "filed in the period (default: the last 12 weeks). Aggregates only; small groups "
            "suppressed."
        ),
    )
    calendar_known_until = strawberry.field(
        extensions=authorised(Action.READ_PUBLIC),
        resolver=application_queries.calendar_known_until,
        description="The last date the working-day calendar knows; deadlines past it are flagged.",
    )
    exchange_messages = strawberry.field(
        extensions=authorised(Action.EXCHANGE_MESSAGES),
        resolver=exchange_queries.exchange_messages,
        description=(
            "ADMIN: messages pushed to the provincial platform, newest first, with delivery "
            "status, attempts and the province's receipt. `first` at most 50."
        ),
    )
    exchange_callbacks = strawberry.field(
        extensions=authorised(Action.EXCHANGE_CALLBACKS),
        resolver=exchange_queries.exchange_callbacks,
        description=(
            "ADMIN: callbacks applied from department business systems, newest first. "
            "Refused ones are in the log only. `first` at most 50."
        ),
    )

    themes = strawberry.field(
        extensions=authorised(Action.READ_PUBLIC),
        resolver=scenario_queries.themes,
        directives=THEMES.directives,
        description=THEMES.describe(
            "Life events (PERSON) and business stages (ORGANISATION), in display order."
        ),
    )
    theme = strawberry.field(
        extensions=authorised(Action.READ_PUBLIC),
        resolver=scenario_queries.theme,
        description="A theme by code (BIRTH, MARKET_ENTRY ...).",
    )
    scenarios = strawberry.field(
        extensions=authorised(Action.READ_PUBLIC),
        resolver=scenario_queries.scenarios,
        description="Published scenario bundles (一件事), in display order. `first` at most 50.",
    )
    scenario = strawberry.field(
        extensions=authorised(Action.READ_PUBLIC),
        resolver=scenario_queries.scenario,
        description="A published scenario bundle by code, with its questions; null if unknown.",
    )
    scenario_plan = strawberry.field(
        extensions=authorised(Action.READ_PUBLIC),
        resolver=scenario_queries.scenario_plan,
        description=(
            "What the answers lead to: items as the region's services, one merged material "
            "list, promisedDays (working days, the longest item: handled in parallel) and "
            "visits. Partial answers give a partial plan (see complete, missingQuestions). "
            "Wrong answers are errors with extensions.code (UNKNOWN_QUESTION, INVALID_ANSWER, "
            "QUESTION_NOT_ASKED, ...) and field. Null for an unknown scenario."
        ),
    )
    recommended_services = strawberry.field(
        extensions=authorised(Action.READ_PUBLIC),
        resolver=scenario_queries.recommended_services,
        directives=RECOMMENDATIONS.directives,
        description=(
            "For a signed-in resident: services chosen from their own verified profile, "
            "wallet and history, each with a reason; then (and for anyone else) popular "
            f"services of the last 30 days. `first` 1-{RECOMMENDATIONS.cap}, default "
            f"{RECOMMENDATIONS.default}."
        ),
    )
    provider_services = strawberry.field(
        extensions=authorised(Action.READ_PUBLIC),
        resolver=provider_queries.provider_services,
        description=(
            "Third parties' social services (not government items: see `services`). Anyone: "
            "published ones of approved providers; members also their own in any status; staff "
            "everything but drafts. By name, or ranked for a keyword; `first` at most 50."
        ),
    )
    my_providers = strawberry.field(
        extensions=authorised(Action.READ_OWN),
        resolver=provider_queries.my_providers,
        directives=MY_PROVIDERS.directives,
        description=MY_PROVIDERS.describe(
            "The providers the signed-in account acts for (any status), by name."
        ),
    )
    providers = strawberry.field(
        extensions=authorised(Action.PROVIDERS_LIST),
        resolver=provider_queries.providers,
        description="Staff: providers, oldest first (status PENDING: the review queue).",
    )
    my_consents = strawberry.field(
        extensions=authorised(Action.READ_OWN),
        resolver=provider_queries.my_consents,
        description="The resident's hand-off consents, newest first. `first` at most 50.",
    )

    @strawberry.field(
        extensions=authorised(Action.READ_PUBLIC),
        description="Any object by its global id, if the caller may see it; otherwise null.",
    )
    async def node(self, info: Info, id: strawberry.ID) -> relay.Node | None:
        try:
            global_id = relay.GlobalID.from_id(id)
        except (ValueError, TypeError):
            return None
        node_type = NODE_TYPES.get(global_id.type_name)
        if node_type is None:
            return None
        resolved: Any = node_type.resolve_nodes(
            info=info, node_ids=[global_id.node_id], required=False
        )
        nodes = await resolved if inspect.isawaitable(resolved) else resolved
        found: relay.Node | None = next(iter(nodes), None)
        return found


@strawberry.type
class Mutation:
    login_with_we_chat = strawberry.mutation(
        extensions=authorised(Action.ACCOUNT_LOGIN_WECHAT),
        resolver=account_mutations.login_with_wechat,
        name="loginWithWeChat",
        description="Signs in with a `wx.login` code; creates the account on first use.",
    )
    bind_we_chat_phone = strawberry.mutation(
        extensions=authorised(Action.ACCOUNT_BIND_WECHAT_PHONE),
        resolver=account_mutations.bind_wechat_phone,
        name="bindWeChatPhone",
        description="Binds the phone number WeChat vouches for to the signed-in account.",
    )
    request_sms_code = strawberry.mutation(
        extensions=authorised(Action.ACCOUNT_REQUEST_SMS_CODE),
        resolver=account_mutations.request_sms_code,
        description="Sends a sign-in code by SMS (app sign-in).",
    )
    login_with_sms = strawberry.mutation(
        extensions=authorised(Action.ACCOUNT_LOGIN_SMS),
        resolver=account_mutations.login_with_sms,
        description="Signs in with the SMS code; creates the account on first use.",
    )
    refresh_session = strawberry.mutation(
        extensions=authorised(Action.ACCOUNT_REFRESH_SESSION),
        resolver=account_mutations.refresh_session,
        description="Exchanges a refresh token (once) for a new token and refresh token.",
    )
    logout = strawberry.mutation(
        extensions=authorised(Action.ACCOUNT_LOGOUT),
        resolver=account_mutations.logout,
        description="Ends this session, or all of them.",
    )
    start_identity_verification = strawberry.mutation(
        extensions=authorised(Action.ACCOUNT_START_IDENTITY_VERIFICATION),
        resolver=account_mutations.start_identity_verification,
        description=(
            "Starts real-name verification: checks the name and GB 11643 number, and opens a "
            "face check with WeChat (mini-program) or the real-name relay (app). Limited per "
            "account and per number each day (RATE_LIMITED with retryAfterSeconds)."
        ),
    )
    verify_identity = strawberry.mutation(
        extensions=authorised(Action.ACCOUNT_VERIFY_IDENTITY),
        resolver=account_mutations.verify_identity,
        description=(
            "Binds the identity once the face check of `verifyId` passed, as the provider (not "
            "the client) reports it; asking again answers the same. A number bound to another "
            "account moves here, and that account is told in its inbox."
        ),
    )
    login_terminal = strawberry.mutation(
        extensions=authorised(Action.ACCOUNT_LOGIN_TERMINAL),
        resolver=account_mutations.login_terminal,
        description="A self-service terminal signs in with its device credential.",
    )
    upsert_base_item = strawberry.mutation(
        extensions=authorised(Action.BASE_ITEM_UPSERT),
        resolver=catalogue_mutations.upsert_base_item,
        description="Creates or updates a standard item (ADMIN).",
    )
    upsert_implementation = strawberry.mutation(
        extensions=authorised(Action.IMPLEMENTATION_UPSERT),
        resolver=catalogue_mutations.upsert_implementation,
        description=(
            "Writes the draft of an implementation (ADMIN or the department's STAFF); the "
            "published version stays live until `publishImplementation`."
        ),
    )
    publish_implementation = strawberry.mutation(
        extensions=authorised(Action.IMPLEMENTATION_PUBLISH),
        resolver=catalogue_mutations.publish_implementation,
        description="Runs the guide checks and 三级四同, then publishes the draft.",
    )
    upsert_article = strawberry.mutation(
        extensions=authorised(Action.ARTICLE_UPSERT),
        resolver=catalogue_mutations.upsert_article,
        description="Creates or updates an article (ADMIN or the department's STAFF).",
    )
    register_terminal = strawberry.mutation(
        extensions=authorised(Action.TERMINAL_REGISTER),
        resolver=catalogue_mutations.register_terminal,
        description="Registers a terminal and returns its device credential once.",
    )
    login_staff = strawberry.mutation(
        extensions=authorised(Action.ACCOUNT_LOGIN_STAFF),
        resolver=account_mutations.login_staff,
        description=(
            "Staff sign-in: password and TOTP. Failures slow down the address they come "
            "from: after 5 (by default), each further attempt from it waits 1 s, doubling up "
            "to 5 minutes (RATE_LIMITED with retryAfterSeconds). Failures from many "
            "addresses lock the account for everyone (ACCOUNT_LOCKED, 15 minutes by default) "
            "unless an ADMIN unlocks it. An unknown username answers exactly like a wrong "
            "password. Retry SERVICE_BUSY and SERVICE_UNAVAILABLE after retryAfterSeconds."
        ),
    )
    unlock_staff_account = strawberry.mutation(
        extensions=authorised(Action.STAFF_UNLOCK),
        resolver=account_mutations.unlock_staff_account,
        description=(
            "ADMIN: lifts a staff account's sign-in lock and forgets the failed attempts "
            "counted against it (audited)."
        ),
    )
    grant_staff_role = strawberry.mutation(
        resolver=account_mutations.grant_staff_role,
        extensions=authorised(Action.STAFF_ROLE_GRANT),
        description=(
            "ADMIN: gives a staff account a role on top of STAFF (REVIEWER: reviews providers "
            "and their services); audited, in effect from the account's next request."
        ),
    )
    revoke_staff_role = strawberry.mutation(
        resolver=account_mutations.revoke_staff_role,
        extensions=authorised(Action.STAFF_ROLE_REVOKE),
        description="ADMIN: takes a role granted with grantStaffRole away again (audited).",
    )
    request_document_upload = strawberry.mutation(
        extensions=authorised(Action.DOCUMENT_REQUEST_UPLOAD),
        resolver=document_mutations.request_document_upload,
        description=(
            "Starts an upload: a PENDING document and a ticket to POST the file straight to "
            "storage (valid 10 minutes). Then call confirmDocumentUpload."
        ),
    )
    confirm_document_upload = strawberry.mutation(
        extensions=authorised(Action.DOCUMENT_CONFIRM_UPLOAD),
        resolver=document_mutations.confirm_document_upload,
        description=(
            "Checks the uploaded file (size, magic bytes against the kind's formats, malware "
            "scan) and makes it AVAILABLE; a file that fails is REJECTED and deleted. "
            "Confirming an AVAILABLE document again returns it."
        ),
    )
    delete_document = strawberry.mutation(
        extensions=authorised(Action.DOCUMENT_DELETE),
        resolver=document_mutations.delete_document,
        description="Deletes a document and its file; refused while an open application uses it.",
    )
    verify_document_original = strawberry.mutation(
        extensions=authorised(Action.DOCUMENT_VERIFY_ORIGINAL),
        resolver=document_mutations.verify_document_original,
        description=(
            "Staff: the resident's original was checked at a window; raises an uploaded "
            "document to trust level B. The note is kept in the access log."
        ),
    )
    submit_application = strawberry.mutation(
        extensions=authorised(Action.APPLICATION_SUBMIT),
        resolver=application_mutations.submit_application,
        description=(
            "Applies for a published service: the form is checked against its schema, each "
            "material is matched to a wallet document of its kind (government-issued ones "
            "are attached from the wallet), 容缺 materials may follow. Real-name residents."
        ),
    )
    supplement_application = strawberry.mutation(
        extensions=authorised(Action.APPLICATION_SUPPLEMENT),
        resolver=application_mutations.supplement_application,
        description="Supplies what 补正 asked for (or owed 容缺 materials); the clock restarts.",
    )
    withdraw_application = strawberry.mutation(
        extensions=authorised(Action.APPLICATION_WITHDRAW),
        resolver=application_mutations.withdraw_application,
        description="Withdraws an application before it is accepted.",
    )
    rate_application = strawberry.mutation(
        extensions=authorised(Action.APPLICATION_RATE),
        resolver=application_mutations.rate_application,
        description=(
            "好差评, once per finished application; DISSATISFIED or worse opens a rectification "
            "for the department."
        ),
    )
    accept_application = strawberry.mutation(
        extensions=authorised(Action.APPLICATION_ACCEPT),
        resolver=application_mutations.accept_application,
        description="Staff of the single window: accepts; one task per department, in parallel.",
    )
    reject_application = strawberry.mutation(
        extensions=authorised(Action.APPLICATION_REJECT),
        resolver=application_mutations.reject_application,
        description="Staff of the single window: does not accept, with a reason.",
    )
    request_supplement = strawberry.mutation(
        extensions=authorised(Action.APPLICATION_REQUEST_SUPPLEMENT),
        resolver=application_mutations.request_supplement,
        description="Staff: asks for 补正 in one go; the clock stops until the resident supplies.",
    )
    complete_task = strawberry.mutation(
        extensions=authorised(Action.APPLICATION_COMPLETE_TASK),
        resolver=application_mutations.complete_task,
        description="Staff of the task's department: approves or denies (with a note) its part.",
    )
    issue_result = strawberry.mutation(
        extensions=authorised(Action.APPLICATION_ISSUE_RESULT),
        resolver=application_mutations.issue_result,
        description="Staff of the single window: issues the result into the wallet (trust A).",
    )
    record_revisit = strawberry.mutation(
        extensions=authorised(Action.RECTIFICATION_REVISIT),
        resolver=application_mutations.record_revisit,
        description="Staff: records the revisit (回访) that closes a 差评 rectification.",
    )
    grant_subscriptions = strawberry.mutation(
        extensions=authorised(Action.NOTIFICATIONS_GRANT_SUBSCRIPTIONS),
        resolver=application_mutations.grant_subscriptions,
        description="Records what wx.requestSubscribeMessage returned: one message per accept.",
    )
    mark_notifications_read = strawberry.mutation(
        extensions=authorised(Action.NOTIFICATIONS_MARK_READ),
        resolver=application_mutations.mark_notifications_read,
        description="Marks inbox messages read (all of them without ids).",
    )
    submit_scenario = strawberry.mutation(
        extensions=authorised(Action.SCENARIO_SUBMIT),
        resolver=scenario_mutations.submit_scenario,
        description=(
            "Applies for a scenario bundle: one parent application and one per item, submitted "
            "together and handled in parallel; the parent's status follows its items and one "
            "message tells the resident when all are finished. Real-name residents."
        ),
    )
    upsert_scenario = strawberry.mutation(
        extensions=authorised(Action.SCENARIO_UPSERT),
        resolver=scenario_mutations.upsert_scenario,
        description=(
            "Writes a scenario's draft (ADMIN or the lead department's STAFF) after checking "
            "it: references, cycles, unreachable items, questions that change nothing."
        ),
    )
    publish_scenario = strawberry.mutation(
        extensions=authorised(Action.SCENARIO_PUBLISH),
        resolver=scenario_mutations.publish_scenario,
        description="Checks the draft again and publishes it as the next version.",
    )
    upsert_theme = strawberry.mutation(
        extensions=authorised(Action.THEME_UPSERT),
        resolver=scenario_mutations.upsert_theme,
        description="ADMIN: creates or changes a theme and the items listed under it.",
    )
    register_provider = strawberry.mutation(
        extensions=authorised(Action.PROVIDER_REGISTER),
        resolver=provider_mutations.register_provider,
        description=(
            "A resident registers an organisation (credit code checked, GB 32100) and becomes "
            "its first member; it is PENDING until staff review it. At most 5 a day."
        ),
    )
    review_provider = strawberry.mutation(
        extensions=authorised(Action.PROVIDER_REVIEW),
        resolver=provider_mutations.review_provider,
        description=(
            "REVIEWER (or ADMIN): APPROVE (members get the PROVIDER role at once) or REJECT "
            "with a reason."
        ),
    )
    create_provider_service = strawberry.mutation(
        extensions=authorised(Action.PROVIDER_SERVICE_CREATE),
        resolver=provider_mutations.create_provider_service,
        description=(
            "A DRAFT social service. Name, description and hours go through WeChat's content "
            "check: risky text is refused (CONTENT_RISKY)."
        ),
    )
    update_provider_service = strawberry.mutation(
        extensions=authorised(Action.PROVIDER_SERVICE_UPDATE),
        resolver=provider_mutations.update_provider_service,
        description="Changes a service; it goes back to DRAFT (and off residents' lists).",
    )
    submit_provider_service = strawberry.mutation(
        extensions=authorised(Action.PROVIDER_SERVICE_SUBMIT),
        resolver=provider_mutations.submit_provider_service,
        description="Submits a DRAFT for staff review (SUBMITTED).",
    )
    review_provider_service = strawberry.mutation(
        extensions=authorised(Action.PROVIDER_SERVICE_REVIEW),
        resolver=provider_mutations.review_provider_service,
        description=(
            "REVIEWER (or ADMIN): APPROVE (PUBLISHED: residents see it) or REJECT with a "
            "reason. Refused while WeChat's content check is PENDING."
        ),
    )
    suspend_provider_service = strawberry.mutation(
        extensions=authorised(Action.PROVIDER_SERVICE_SUSPEND),
        resolver=provider_mutations.suspend_provider_service,
        description=(
            "REVIEWER (or ADMIN): takes a PUBLISHED service off residents' lists, with a reason."
        ),
    )
    create_api_key = strawberry.mutation(
        extensions=authorised(Action.API_KEY_CREATE),
        resolver=provider_mutations.create_api_key,
        description=(
            "A key for the provider's systems (the provider API under /provider-api/v1), "
            "shown once; scoped, rate-limited per minute and per day."
        ),
    )
    revoke_api_key = strawberry.mutation(
        extensions=authorised(Action.API_KEY_REVOKE),
        resolver=provider_mutations.revoke_api_key,
        description="Revokes a key; its next request is refused.",
    )
    register_webhook = strawberry.mutation(
        extensions=authorised(Action.WEBHOOK_REGISTER),
        resolver=provider_mutations.register_webhook,
        description=(
            "A member registers an endpoint for events; the signing secret (whsec_) is shown "
            "once. https to a public address only; at most 10 per provider."
        ),
    )
    rotate_webhook_secret = strawberry.mutation(
        extensions=authorised(Action.WEBHOOK_ROTATE_SECRET),
        resolver=provider_mutations.rotate_webhook_secret,
        description=(
            "A new signing secret, shown once; the old one also signs for 24 hours "
            "(RONGBAN_WEBHOOK_SECRET_GRACE_SECONDS), so both verify during the switch."
        ),
    )
    delete_webhook = strawberry.mutation(
        extensions=authorised(Action.WEBHOOK_DELETE),
        resolver=provider_mutations.delete_webhook,
        description="Stops deliveries to an endpoint, queued ones included.",
    )
    test_webhook_delivery = strawberry.mutation(
        extensions=authorised(Action.WEBHOOK_TEST),
        resolver=provider_mutations.test_webhook_delivery,
        description="Queues a webhook.test message to one endpoint (10 a minute); see deliveries.",
    )
    grant_handoff_consent = strawberry.mutation(
        extensions=authorised(Action.HANDOFF_GRANT),
        resolver=provider_mutations.grant_handoff_consent,
        description=(
            "A resident opening a social service shares chosen fields with its provider: a "
            "consent record and a one-time code (valid 10 minutes) the provider exchanges for "
            "exactly those fields. Without it nothing is shared."
        ),
    )
    withdraw_handoff_consent = strawberry.mutation(
        extensions=authorised(Action.HANDOFF_WITHDRAW),
        resolver=provider_mutations.withdraw_handoff_consent,
        description=(
            "Withdraws a consent: an unused code stops working; a provider that already "
            "received the fields is told to delete them (handoff.withdrawn)."
        ),
    )
    exchange_handoff_code = strawberry.mutation(
        extensions=authorised(Action.HANDOFF_EXCHANGE),
        resolver=provider_mutations.exchange_handoff_code,
        description=(
            "A provider's member exchanges a resident's code, once, for the consented fields "
            "(provider systems: POST /provider-api/v1/handoffs/exchange)."
        ),
    )
    file_appeal = strawberry.mutation(
        extensions=authorised(Action.APPEAL_FILE),
        resolver=appeal_mutations.file_appeal,
        description=(
            "A resident files an appeal (at most 10 an hour). Dispatched at once through the "
            "dispatch table, else queued for the 12345 centre; mini-program text is checked by "
            "WeChat first (risky refused, review or an outage held, never passed unchecked)."
        ),
    )
    dispatch_appeal = strawberry.mutation(
        extensions=authorised(Action.APPEAL_DISPATCH),
        resolver=appeal_mutations.dispatch_appeal,
        description=(
            "12345 centre: dispatches a queued or returned appeal (派单 / 改派), or moves one a "
            "department has not finished; the department's deadlines start again."
        ),
    )
    sign_appeal = strawberry.mutation(
        extensions=authorised(Action.APPEAL_SIGN),
        resolver=appeal_mutations.sign_appeal,
        description="The department signs for a dispatched appeal (签收).",
    )
    return_appeal = strawberry.mutation(
        extensions=authorised(Action.APPEAL_RETURN),
        resolver=appeal_mutations.return_appeal,
        description=(
            "The department returns an appeal that is not its matter (退单), with a reason, "
            "within 2 working days of receipt."
        ),
    )
    request_appeal_extension = strawberry.mutation(
        extensions=authorised(Action.APPEAL_REQUEST_EXTENSION),
        resolver=appeal_mutations.request_appeal_extension,
        description="The department asks for more working days to reply (at most 10 a round).",
    )
    decide_appeal_extension = strawberry.mutation(
        extensions=authorised(Action.APPEAL_DECIDE_EXTENSION),
        resolver=appeal_mutations.decide_appeal_extension,
        description="12345 centre: approves (the reply deadline moves) or denies an extension.",
    )
    reply_appeal = strawberry.mutation(
        extensions=authorised(Action.APPEAL_REPLY),
        resolver=appeal_mutations.reply_appeal,
        description=(
            "The department replies; the resident (and each resident whose appeal was merged "
            "into it) is notified."
        ),
    )
    merge_appeals = strawberry.mutation(
        extensions=authorised(Action.APPEAL_MERGE),
        resolver=appeal_mutations.merge_appeals,
        description=(
            "并单: duplicates (same category) are merged into the target; one reply answers all. "
            "12345 centre, or a department for appeals that are all its own."
        ),
    )
    rate_appeal = strawberry.mutation(
        extensions=authorised(Action.APPEAL_RATE),
        resolver=appeal_mutations.rate_appeal,
        description=(
            "The resident rates a reply within 7 days: SATISFIED or BASICALLY_SATISFIED closes "
            "the appeal, DISSATISFIED sends it back to the department."
        ),
    )
    reopen_appeal = strawberry.mutation(
        extensions=authorised(Action.APPEAL_REOPEN),
        resolver=appeal_mutations.reopen_appeal,
        description="The resident sends a replied appeal back to the department within 7 days.",
    )
    moderate_appeal = strawberry.mutation(
        extensions=authorised(Action.APPEAL_MODERATE),
        resolver=appeal_mutations.moderate_appeal,
        description="12345 centre: releases held content (then dispatched) or rejects it.",
    )
    record_appeal_revisit = strawberry.mutation(
        extensions=authorised(Action.APPEAL_RECORD_REVISIT),
        resolver=appeal_mutations.record_appeal_revisit,
        description="12345 centre: records the 回访 call of a closed appeal.",
    )
    set_calendar_day = strawberry.mutation(
        extensions=authorised(Action.CALENDAR_SET_DAY),
        resolver=application_mutations.set_calendar_day,
        description="ADMIN: sets whether a date is a working day (holidays, 调休).",
    )


@strawberry.type
class Subscription:
    @strawberry.subscription(
        extensions=authorised(Action.READ_OWN),
        description="Changes of the signed-in account made on another device.",
    )
    async def account_events(self, info: Info) -> AsyncGenerator[AccountEvent, None]:
        async for event in account_queries.my_account_events(info):
            yield event

    @strawberry.subscription(
        extensions=authorised(Action.APPLICATION_EVENTS),
        description="Each status change of one of your applications (owner only).",
    )
    async def application_events(
        self, info: Info, application_id: strawberry.ID
    ) -> AsyncGenerator[ApplicationStatusChange, None]:
        async for change in application_queries.application_events(info, application_id):
            yield change


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
            lambda: MaskErrors(should_mask_error=_should_mask, error_message=MASKED_MESSAGE),
        ],
        config=StrawberryConfig(
            disable_field_suggestions=options.production,
            batching_config={"max_operations": options.max_operations},
            relay_max_results=50,
        ),
        types=[*NODE_TYPES.values(), ServiceCentre, Terminal],
    )


def sdl() -> str:
    """The committed contract: `schema/schema.graphql` is this text."""
    return build_schema().as_str() + "\n"

"""Who may do what: one table of actions and the relations that allow them.

Read this file to learn the rules. Every mutation and every staff query is an `Action`; the
table `POLICY` says which relations between the caller and the thing acted on (the subject)
allow it. Relations:

    anyone               every caller, signed in or not
    signed_in            any account (resident, officer, provider member, terminal)
    resident             an account with the RESIDENT role
    staff                an officer (STAFF) or an administrator (ADMIN)
    admin                ADMIN
    reviewer             an officer given the REVIEWER role by an ADMIN (reviews providers)
    supervisor           staff of the 12345 centre (RONGBAN_APPEAL_CENTRE_DEPARTMENT_CODE),
                         and ADMIN
    owner                the resident the subject belongs to
    own_department       staff of the department the subject belongs to (the single window of
                         an application, the department an appeal is with, an article's author)
    handling_department  staff of that department or of any department working on the subject
                         (a task on the application, a case that uses the document)
    in_region_scope      staff whose department's region contains the subject's region: their
                         region and everything below it (ADMIN: everywhere)
    provider_member      a member of the provider the subject belongs to (OWNER or EDITOR)
    provider_owner       an OWNER of the provider the subject belongs to
    centre_manager       staff who are a MANAGER of the service centre the subject is at
    centre_window        staff working at that centre (WINDOW or MANAGER)
    hall_terminal        a TERMINAL device standing in that centre's hall
    terminal             a self-service terminal's device account

How it is enforced, in two places that read the same table:
- GraphQL (schema/authorised.py): every root field names its action. Before the resolver runs,
  the caller is checked against the relations that need no subject (roles, the 12345 centre);
  relations that need a subject are assumed to hold for anyone who could hold them.
- Services: before acting, a service calls `authorize(resources, principal, action, subject)`
  with the rows it already loaded (`Subject`): no query is made for the check itself.

How a refusal looks:
- Mutations: the mutation's own error type in its result union, code UNAUTHENTICATED (not
  signed in) or FORBIDDEN (signed in, not allowed), nothing changed.
- Queries of staff (workItems, appealInsights, exchangeMessages ...): a top-level error with
  `extensions.code` UNAUTHENTICATED or FORBIDDEN: the caller asked for a list they may not have.
- Anything looked up by id (node, application(id), appeal(id), and a mutation's subject the
  caller may not even read): null, or the mutation's NOT_FOUND. Another department never
  learns that an application or an appeal exists; FORBIDDEN is for what the caller can see.

State machines (resolvers/*/workflow.py, resolvers/providers/services.py) say which action is
possible in which status; this table says who may take it. The table is `POLICY`, below the
relations it combines; `is_supervisor` and `region_scope` are the one place those are decided.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from uuid import UUID

from resolvers.principal import Principal
from resolvers.resources import Resources
from storage.models.accounts import Role
from storage.repositories import accounts as accounts_repo
from storage.repositories import hall as hall_repo


class Action(StrEnum):
    # -- reading (root queries; lookups by id are scoped, never refused)
    READ_PUBLIC = "READ_PUBLIC"  # catalogue, themes, scenarios, node(id) ... scoped to the caller
    READ_OWN = "READ_OWN"  # the caller's own lists: documents, inbox, appeals ...
    # The caller's own applications: the one own list a TV session may read too.
    READ_OWN_APPLICATIONS = "READ_OWN_APPLICATIONS"
    APPLICATION_EVENTS = "APPLICATION_EVENTS"  # status changes of one's own application, live
    # -- accounts
    ACCOUNT_LOGIN_WECHAT = "ACCOUNT_LOGIN_WECHAT"
    ACCOUNT_BIND_WECHAT_PHONE = "ACCOUNT_BIND_WECHAT_PHONE"
    ACCOUNT_REQUEST_SMS_CODE = "ACCOUNT_REQUEST_SMS_CODE"
    ACCOUNT_LOGIN_SMS = "ACCOUNT_LOGIN_SMS"
    ACCOUNT_REFRESH_SESSION = "ACCOUNT_REFRESH_SESSION"
    ACCOUNT_LOGOUT = "ACCOUNT_LOGOUT"
    ACCOUNT_START_IDENTITY_VERIFICATION = "ACCOUNT_START_IDENTITY_VERIFICATION"
    ACCOUNT_VERIFY_IDENTITY = "ACCOUNT_VERIFY_IDENTITY"
    ACCOUNT_LOGIN_TERMINAL = "ACCOUNT_LOGIN_TERMINAL"
    ACCOUNT_LOGIN_STAFF = "ACCOUNT_LOGIN_STAFF"
    STAFF_UNLOCK = "STAFF_UNLOCK"
    STAFF_ROLE_GRANT = "STAFF_ROLE_GRANT"
    STAFF_ROLE_REVOKE = "STAFF_ROLE_REVOKE"
    # -- catalogue
    BASE_ITEM_UPSERT = "BASE_ITEM_UPSERT"
    IMPLEMENTATION_UPSERT = "IMPLEMENTATION_UPSERT"
    IMPLEMENTATION_PUBLISH = "IMPLEMENTATION_PUBLISH"
    ARTICLE_UPSERT = "ARTICLE_UPSERT"
    TERMINAL_REGISTER = "TERMINAL_REGISTER"
    CATALOGUE_DIVERGENCES = "CATALOGUE_DIVERGENCES"
    CATALOGUE_DRAFTS_READ = "CATALOGUE_DRAFTS_READ"  # drafts and history of guides, scenarios
    CALENDAR_SET_DAY = "CALENDAR_SET_DAY"
    # -- documents
    DOCUMENT_REQUEST_UPLOAD = "DOCUMENT_REQUEST_UPLOAD"
    DOCUMENT_CONFIRM_UPLOAD = "DOCUMENT_CONFIRM_UPLOAD"
    DOCUMENT_DELETE = "DOCUMENT_DELETE"
    DOCUMENT_VERIFY_ORIGINAL = "DOCUMENT_VERIFY_ORIGINAL"
    DOCUMENT_DOWNLOAD = "DOCUMENT_DOWNLOAD"
    # -- applications
    APPLICATION_SUBMIT = "APPLICATION_SUBMIT"
    APPLICATION_SUPPLEMENT = "APPLICATION_SUPPLEMENT"
    APPLICATION_WITHDRAW = "APPLICATION_WITHDRAW"
    APPLICATION_RATE = "APPLICATION_RATE"
    APPLICATION_ACCEPT = "APPLICATION_ACCEPT"
    APPLICATION_REJECT = "APPLICATION_REJECT"
    APPLICATION_REQUEST_SUPPLEMENT = "APPLICATION_REQUEST_SUPPLEMENT"
    APPLICATION_COMPLETE_TASK = "APPLICATION_COMPLETE_TASK"
    APPLICATION_ISSUE_RESULT = "APPLICATION_ISSUE_RESULT"
    APPLICATION_RECORD_PROGRESS = "APPLICATION_RECORD_PROGRESS"  # department systems' callbacks
    APPLICATION_READ = "APPLICATION_READ"  # one application, its form and its documents
    RECTIFICATION_REVISIT = "RECTIFICATION_REVISIT"
    WORK_ITEMS = "WORK_ITEMS"
    APPLICATIONS_OVERDUE = "APPLICATIONS_OVERDUE"
    APPLICATION_RATINGS = "APPLICATION_RATINGS"
    RECTIFICATIONS = "RECTIFICATIONS"
    NOTIFICATIONS_GRANT_SUBSCRIPTIONS = "NOTIFICATIONS_GRANT_SUBSCRIPTIONS"
    NOTIFICATIONS_MARK_READ = "NOTIFICATIONS_MARK_READ"
    # -- fees and payments
    PAYMENT_CREATE = "PAYMENT_CREATE"  # a WeChat Pay order for one's own application's fee
    PAYMENT_EXEMPT = "PAYMENT_EXEMPT"  # the single window waives a fee item under a rule
    PAYMENT_ANOMALIES = "PAYMENT_ANOMALIES"  # what WeChat Pay reported that did not match ours
    # -- scenarios and themes
    SCENARIO_SUBMIT = "SCENARIO_SUBMIT"
    SCENARIO_UPSERT = "SCENARIO_UPSERT"
    SCENARIO_PUBLISH = "SCENARIO_PUBLISH"
    THEME_UPSERT = "THEME_UPSERT"
    # -- providers
    PROVIDER_REGISTER = "PROVIDER_REGISTER"
    PROVIDER_REVIEW = "PROVIDER_REVIEW"
    PROVIDER_SUSPEND = "PROVIDER_SUSPEND"
    PROVIDER_REINSTATE = "PROVIDER_REINSTATE"
    PROVIDER_MEMBER_INVITE = "PROVIDER_MEMBER_INVITE"
    PROVIDER_MEMBER_CHANGE_ROLE = "PROVIDER_MEMBER_CHANGE_ROLE"
    PROVIDER_MEMBER_REMOVE = "PROVIDER_MEMBER_REMOVE"
    PROVIDER_INVITATION_ACCEPT = "PROVIDER_INVITATION_ACCEPT"
    PROVIDER_INVITATION_CANCEL = "PROVIDER_INVITATION_CANCEL"
    PROVIDER_SERVICE_CREATE = "PROVIDER_SERVICE_CREATE"
    PROVIDER_SERVICE_UPDATE = "PROVIDER_SERVICE_UPDATE"
    PROVIDER_SERVICE_SUBMIT = "PROVIDER_SERVICE_SUBMIT"
    PROVIDER_SERVICE_REVIEW = "PROVIDER_SERVICE_REVIEW"
    PROVIDER_SERVICE_SUSPEND = "PROVIDER_SERVICE_SUSPEND"
    API_KEY_CREATE = "API_KEY_CREATE"
    API_KEY_REVOKE = "API_KEY_REVOKE"
    WEBHOOK_REGISTER = "WEBHOOK_REGISTER"
    WEBHOOK_ROTATE_SECRET = "WEBHOOK_ROTATE_SECRET"  # noqa: S105 (an action's name)
    WEBHOOK_DELETE = "WEBHOOK_DELETE"
    WEBHOOK_TEST = "WEBHOOK_TEST"
    HANDOFF_GRANT = "HANDOFF_GRANT"
    HANDOFF_WITHDRAW = "HANDOFF_WITHDRAW"
    HANDOFF_EXCHANGE = "HANDOFF_EXCHANGE"
    PROVIDERS_LIST = "PROVIDERS_LIST"
    PROVIDER_INSIDE_READ = "PROVIDER_INSIDE_READ"  # members, keys, webhooks, history
    # -- appeals (12345)
    APPEAL_FILE = "APPEAL_FILE"
    APPEAL_DISPATCH = "APPEAL_DISPATCH"
    APPEAL_SIGN = "APPEAL_SIGN"
    APPEAL_RETURN = "APPEAL_RETURN"
    APPEAL_REQUEST_EXTENSION = "APPEAL_REQUEST_EXTENSION"
    APPEAL_DECIDE_EXTENSION = "APPEAL_DECIDE_EXTENSION"
    APPEAL_REPLY = "APPEAL_REPLY"
    APPEAL_MERGE = "APPEAL_MERGE"
    APPEAL_RATE = "APPEAL_RATE"
    APPEAL_REOPEN = "APPEAL_REOPEN"
    APPEAL_MODERATE = "APPEAL_MODERATE"
    APPEAL_RECORD_REVISIT = "APPEAL_RECORD_REVISIT"
    APPEAL_READ = "APPEAL_READ"  # one appeal
    APPEAL_HANDLING_DETAILS = "APPEAL_HANDLING_DETAILS"  # reporter, duplicates, merges, 回访
    APPEAL_PHOTO_CHECKS = "APPEAL_PHOTO_CHECKS"
    APPEAL_PHOTO_PUBLISH = "APPEAL_PHOTO_PUBLISH"  # a photo shown to the public (Open311)
    APPEAL_SUPERVISIONS = "APPEAL_SUPERVISIONS"
    APPEAL_INSIGHTS = "APPEAL_INSIGHTS"
    APPEAL_CATEGORY_UPSERT = "APPEAL_CATEGORY_UPSERT"
    APPEAL_CATEGORY_RETIRE = "APPEAL_CATEGORY_RETIRE"
    APPEAL_ROUTE_SET = "APPEAL_ROUTE_SET"
    APPEAL_ROUTE_REMOVE = "APPEAL_ROUTE_REMOVE"
    APPEAL_DISPATCH_TABLE_READ = "APPEAL_DISPATCH_TABLE_READ"  # the table and its history
    # -- the hall: centres' windows, hours and staff; appointments; the queue
    HALL_WINDOW_UPSERT = "HALL_WINDOW_UPSERT"
    HALL_HOURS_SET = "HALL_HOURS_SET"
    HALL_STAFF_ASSIGN = "HALL_STAFF_ASSIGN"
    HALL_STAFF_REMOVE = "HALL_STAFF_REMOVE"
    HALL_TERMINAL_PLACE = "HALL_TERMINAL_PLACE"  # a terminal stands in the hall: walk-in slips
    HALL_TERMINAL_REMOVE = "HALL_TERMINAL_REMOVE"
    HALL_STAFF_READ = "HALL_STAFF_READ"
    APPOINTMENT_BOOK = "APPOINTMENT_BOOK"
    APPOINTMENT_CANCEL = "APPOINTMENT_CANCEL"
    QUEUE_CHECK_IN = "QUEUE_CHECK_IN"
    QUEUE_CALL_NEXT = "QUEUE_CALL_NEXT"
    QUEUE_RECALL = "QUEUE_RECALL"
    QUEUE_SKIP = "QUEUE_SKIP"
    QUEUE_TICKET_EVENTS = "QUEUE_TICKET_EVENTS"  # scoped like queueTicket(id)
    # -- devices, and acceptance at the hall's windows
    DEVICE_REGISTER = "DEVICE_REGISTER"
    DEVICE_RETIRE = "DEVICE_RETIRE"
    APPLICATION_SUBMIT_ON_BEHALF = "APPLICATION_SUBMIT_ON_BEHALF"
    APPLICATION_CONFIRM_ON_BEHALF = "APPLICATION_CONFIRM_ON_BEHALF"
    CITYWIDE_HAND_OVER = "CITYWIDE_HAND_OVER"  # the receiving centre sends paper materials
    CITYWIDE_RECEIVE = "CITYWIDE_RECEIVE"  # the handling department receives them
    TERMINAL_SIGN_IN_RESIDENT = "TERMINAL_SIGN_IN_RESIDENT"
    # -- provincial exchange
    EXCHANGE_MESSAGES = "EXCHANGE_MESSAGES"
    EXCHANGE_CALLBACKS = "EXCHANGE_CALLBACKS"
    # -- delegation (帮办代办)
    DELEGATION_GRANT = "DELEGATION_GRANT"
    DELEGATION_ACCEPT = "DELEGATION_ACCEPT"
    DELEGATION_REVOKE = "DELEGATION_REVOKE"
    DELEGATION_SUBMIT = "DELEGATION_SUBMIT"
    COMMUNITY_HELPER_REGISTER = "COMMUNITY_HELPER_REGISTER"
    COMMUNITY_HELPER_MANAGE = "COMMUNITY_HELPER_MANAGE"  # a helper's register of residents
    # -- 一次(集中)踏勘: one site visit of every department inspecting an application
    INSPECTION_PROPOSE = "INSPECTION_PROPOSE"
    INSPECTION_RESPOND = "INSPECTION_RESPOND"
    INSPECTION_RECORD_FINDING = "INSPECTION_RECORD_FINDING"
    # -- delivery of results (window, terminal pickup code, EMS)
    DELIVERY_CHOOSE = "DELIVERY_CHOOSE"
    DELIVERY_HAND_OVER = "DELIVERY_HAND_OVER"  # window staff hand a result to its owner
    DELIVERY_COLLECT_AT_TERMINAL = "DELIVERY_COLLECT_AT_TERMINAL"  # a pickup code entered
    # -- TV hall (电视政务大厅) sign-in
    TV_SIGN_IN_START = "TV_SIGN_IN_START"
    TV_SIGN_IN_CONFIRM = "TV_SIGN_IN_CONFIRM"
    TV_SIGN_IN_EXCHANGE = "TV_SIGN_IN_EXCHANGE"


# -- subjects


@dataclass(frozen=True, slots=True)
class Subject:
    """What the relations need to know about the thing acted on, taken from rows the
    service already loaded. Fields a kind of subject does not have stay empty."""

    owner_id: UUID | None = None  # the resident it belongs to
    department_id: UUID | None = None  # the department it belongs to
    departments: frozenset[UUID] = frozenset()  # further departments working on it
    region_id: UUID | None = None  # where it applies
    members: frozenset[UUID] = frozenset()  # the accounts acting for its provider
    owners: frozenset[UUID] = frozenset()  # those of them who are its OWNERs
    centre_id: UUID | None = None  # the service centre it is at (the hall)


class Caller:
    """The principal, with the facts about them that need reference data, each looked up
    at most once (from memory: regions and departments are held per process)."""

    def __init__(
        self, resources: Resources, principal: Principal, *, before_subject: bool = False
    ) -> None:
        self.resources = resources
        self.principal = principal
        # True for the check made before the subject is known (see `gate`).
        self.before_subject = before_subject
        self._supervisor: bool | None = None
        self._scope_root: UUID | None = None
        self._scope_known = False
        self._centre_roles: dict[UUID, str | None] = {}

    async def is_supervisor(self) -> bool:
        if self._supervisor is None:
            self._supervisor = await is_supervisor(self.resources, self.principal)
        return self._supervisor

    async def scope_root(self) -> UUID | None:
        """The region whose subtree is the officer's scope; None: no region at all."""
        if not self._scope_known:
            self._scope_root = await _scope_root(self.resources, self.principal)
            self._scope_known = True
        return self._scope_root

    async def centre_role(self, centre_id: UUID) -> str | None:
        """MANAGER or WINDOW for staff working at the centre, TERMINAL for a device in its
        hall; None otherwise (looked up once per centre and check)."""
        if centre_id not in self._centre_roles:
            account = self.principal.account_id
            role = None
            if account is not None and self.principal.is_staff:
                role = await hall_repo.staff_role(centre_id, account)
            elif account is not None and Role.TERMINAL in self.principal.roles:
                placed = await hall_repo.terminal_in_hall(centre_id, account)
                role = "TERMINAL" if placed else None
            self._centre_roles[centre_id] = role
        return self._centre_roles[centre_id]

    async def in_region_scope(self, region_id: UUID | None) -> bool:
        principal = self.principal
        if not principal.is_staff or region_id is None:
            return False
        if principal.is_admin:
            return True
        root = await self.scope_root()
        return root is not None and root in await self.resources.reference.region_chain(region_id)


async def is_supervisor(resources: Resources, principal: Principal) -> bool:
    """ADMIN, and staff of the 12345 centre: they dispatch, moderate and supervise appeals."""
    if not principal.is_staff:
        return False
    if principal.is_admin:
        return True
    if principal.department_id is None:
        return False
    department = await resources.reference.department(principal.department_id)
    return (
        department is not None
        and department.code == resources.settings.appeal_centre_department_code
    )


async def _scope_root(resources: Resources, principal: Principal) -> UUID | None:
    if principal.department_id is not None:
        department = await resources.reference.department(principal.department_id)
        if department is not None:
            return department.region_id
    return principal.region_id


async def region_scope(resources: Resources, principal: Principal) -> list[UUID] | None:
    """The regions a staff member answers for: None for everywhere (ADMIN), else their
    department's region (an officer without one: their own region) and every region below
    it; [] for anyone else."""
    if not principal.is_staff:
        return []
    if principal.is_admin:
        return None
    root = await _scope_root(resources, principal)
    if root is None:
        return []
    return await resources.reference.region_subtree(root)


# -- relations and rules

Check = Callable[[Caller, Subject | None], Awaitable[bool]]


class Rule:
    """A combination of relations: `a | b` (either), `a & b` (both)."""

    def __or__(self, other: Rule) -> Rule:
        return AnyOf((self, other))

    def __and__(self, other: Rule) -> Rule:
        return AllOf((self, other))

    async def allows(self, caller: Caller, subject: Subject | None) -> bool:
        raise NotImplementedError

    def possible(self, principal: Principal) -> bool:
        """Whether this caller could hold it for some subject (roles only)."""
        raise NotImplementedError

    def holds_for(self, relations: Iterable[str]) -> bool:
        """The rule over a set of relation names a caller is known to hold (for tests and
        documentation: the matrix test derives what it expects from this)."""
        raise NotImplementedError


@dataclass(frozen=True, eq=False)
class Relation(Rule):
    name: str
    check: Check
    # What a caller must be to hold the relation toward some subject: the check made
    # before a subject is known (GraphQL, before the resolver).
    could: Callable[[Principal], bool]
    needs_subject: bool = False

    async def allows(self, caller: Caller, subject: Subject | None) -> bool:
        if self.needs_subject and subject is None:
            return caller.before_subject and self.could(caller.principal)
        return await self.check(caller, subject)

    def possible(self, principal: Principal) -> bool:
        return self.could(principal)

    def holds_for(self, relations: Iterable[str]) -> bool:
        return self.name in set(relations)

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, eq=False)
class AnyOf(Rule):
    rules: tuple[Rule, ...]

    async def allows(self, caller: Caller, subject: Subject | None) -> bool:
        for rule in self.rules:
            if await rule.allows(caller, subject):
                return True
        return False

    def possible(self, principal: Principal) -> bool:
        return any(rule.possible(principal) for rule in self.rules)

    def holds_for(self, relations: Iterable[str]) -> bool:
        held = set(relations)
        return any(rule.holds_for(held) for rule in self.rules)

    def __str__(self) -> str:
        return " | ".join(str(rule) for rule in self.rules)


@dataclass(frozen=True, eq=False)
class AllOf(Rule):
    rules: tuple[Rule, ...]

    async def allows(self, caller: Caller, subject: Subject | None) -> bool:
        for rule in self.rules:
            if not await rule.allows(caller, subject):
                return False
        return True

    def possible(self, principal: Principal) -> bool:
        return all(rule.possible(principal) for rule in self.rules)

    def holds_for(self, relations: Iterable[str]) -> bool:
        held = set(relations)
        return all(rule.holds_for(held) for rule in self.rules)

    def __str__(self) -> str:
        return "(" + " & ".join(str(rule) for rule in self.rules) + ")"


def _signed_in(p: Principal) -> bool:
    return p.account_id is not None


def _staff(p: Principal) -> bool:
    return p.account_id is not None and p.is_staff


def _officer(p: Principal) -> bool:
    return _staff(p) and p.department_id is not None


async def _always(caller: Caller, subject: Subject | None) -> bool:
    return True


def _role(test: Callable[[Principal], bool]) -> Check:
    async def check(caller: Caller, subject: Subject | None) -> bool:
        return test(caller.principal)

    return check


async def _supervisor(caller: Caller, subject: Subject | None) -> bool:
    return await caller.is_supervisor()


async def _owner(caller: Caller, subject: Subject | None) -> bool:
    account = caller.principal.account_id
    return account is not None and subject is not None and subject.owner_id == account


async def _own_department(caller: Caller, subject: Subject | None) -> bool:
    department = caller.principal.department_id
    return (
        _officer(caller.principal)
        and subject is not None
        and subject.department_id is not None
        and subject.department_id == department
    )


async def _handling_department(caller: Caller, subject: Subject | None) -> bool:
    department = caller.principal.department_id
    if not _officer(caller.principal) or subject is None or department is None:
        return False
    return department == subject.department_id or department in subject.departments


async def _in_region_scope(caller: Caller, subject: Subject | None) -> bool:
    return subject is not None and await caller.in_region_scope(subject.region_id)


async def _provider_member(caller: Caller, subject: Subject | None) -> bool:
    account = caller.principal.account_id
    return account is not None and subject is not None and account in subject.members


async def _provider_owner(caller: Caller, subject: Subject | None) -> bool:
    account = caller.principal.account_id
    return account is not None and subject is not None and account in subject.owners


async def _centre_manager(caller: Caller, subject: Subject | None) -> bool:
    if subject is None or subject.centre_id is None or not _staff(caller.principal):
        return False
    return await caller.centre_role(subject.centre_id) == "MANAGER"


async def _centre_window(caller: Caller, subject: Subject | None) -> bool:
    if subject is None or subject.centre_id is None or not _staff(caller.principal):
        return False
    return await caller.centre_role(subject.centre_id) in ("MANAGER", "WINDOW")


def _terminal(p: Principal) -> bool:
    return _signed_in(p) and Role.TERMINAL in p.roles


async def _hall_terminal(caller: Caller, subject: Subject | None) -> bool:
    if subject is None or subject.centre_id is None or not _terminal(caller.principal):
        return False
    return await caller.centre_role(subject.centre_id) == "TERMINAL"


anyone = Relation("anyone", _always, lambda p: True)
signed_in = Relation("signed_in", _role(_signed_in), _signed_in)
resident = Relation(
    "resident",
    _role(lambda p: _signed_in(p) and Role.RESIDENT in p.roles),
    lambda p: _signed_in(p) and Role.RESIDENT in p.roles,
)
staff = Relation("staff", _role(_staff), _staff)
admin = Relation(
    "admin",
    _role(lambda p: _signed_in(p) and p.is_admin),
    lambda p: _signed_in(p) and p.is_admin,
)
reviewer = Relation(
    "reviewer",
    _role(lambda p: _staff(p) and Role.REVIEWER in p.roles),
    lambda p: _staff(p) and Role.REVIEWER in p.roles,
)
supervisor = Relation(
    "supervisor", _supervisor, lambda p: _officer(p) or (_staff(p) and p.is_admin)
)
owner = Relation("owner", _owner, _signed_in, needs_subject=True)
own_department = Relation("own_department", _own_department, _officer, needs_subject=True)
handling_department = Relation(
    "handling_department", _handling_department, _officer, needs_subject=True
)
in_region_scope = Relation("in_region_scope", _in_region_scope, _staff, needs_subject=True)
provider_member = Relation("provider_member", _provider_member, _signed_in, needs_subject=True)
provider_owner = Relation("provider_owner", _provider_owner, _signed_in, needs_subject=True)
centre_manager = Relation("centre_manager", _centre_manager, _staff, needs_subject=True)
centre_window = Relation("centre_window", _centre_window, _staff, needs_subject=True)
hall_terminal = Relation("hall_terminal", _hall_terminal, _terminal, needs_subject=True)
terminal = Relation("terminal", _role(_terminal), _terminal)
# A resident signed in at a self-service terminal (by its card reader and camera).
at_terminal = Relation(
    "at_terminal",
    _role(lambda p: _signed_in(p) and p.terminal_id is not None),
    lambda p: _signed_in(p) and p.terminal_id is not None,
)

RELATIONS: tuple[Relation, ...] = (
    anyone,
    signed_in,
    resident,
    staff,
    admin,
    reviewer,
    supervisor,
    owner,
    own_department,
    handling_department,
    in_region_scope,
    provider_member,
    provider_owner,
    centre_manager,
    centre_window,
    hall_terminal,
    terminal,
    at_terminal,
)

# Departments write the catalogue only for their own region and below: a district's officer
# cannot publish into another district.
_department_in_region = admin | (own_department & in_region_scope)

A = Action
POLICY: dict[Action, Rule] = {
    A.READ_PUBLIC: anyone,
    A.READ_OWN: signed_in,
    A.READ_OWN_APPLICATIONS: signed_in,
    A.APPLICATION_EVENTS: owner,
    # accounts: signing in is for anyone; the staff's accounts are the ADMIN's
    A.ACCOUNT_LOGIN_WECHAT: anyone,
    A.ACCOUNT_BIND_WECHAT_PHONE: signed_in,
    A.ACCOUNT_REQUEST_SMS_CODE: anyone,
    A.ACCOUNT_LOGIN_SMS: anyone,
    A.ACCOUNT_REFRESH_SESSION: anyone,
    A.ACCOUNT_LOGOUT: signed_in,
    A.ACCOUNT_START_IDENTITY_VERIFICATION: signed_in,
    A.ACCOUNT_VERIFY_IDENTITY: signed_in,
    A.ACCOUNT_LOGIN_TERMINAL: anyone,
    A.ACCOUNT_LOGIN_STAFF: anyone,
    A.STAFF_UNLOCK: admin,
    A.STAFF_ROLE_GRANT: admin,
    A.STAFF_ROLE_REVOKE: admin,
    # catalogue: the province's standard is the ADMIN's; a department writes its own guides,
    # articles and terminals, in its own region and below
    A.BASE_ITEM_UPSERT: admin,
    A.IMPLEMENTATION_UPSERT: _department_in_region,
    A.IMPLEMENTATION_PUBLISH: _department_in_region,
    A.ARTICLE_UPSERT: _department_in_region,  # no department: the platform's, ADMIN only
    A.TERMINAL_REGISTER: admin | (staff & in_region_scope),
    A.CATALOGUE_DIVERGENCES: staff,
    A.CATALOGUE_DRAFTS_READ: staff,
    A.CALENDAR_SET_DAY: admin,
    # documents: the wallet is the resident's; staff read what their cases use
    A.DOCUMENT_REQUEST_UPLOAD: signed_in,
    A.DOCUMENT_CONFIRM_UPLOAD: owner,
    A.DOCUMENT_DELETE: owner,
    A.DOCUMENT_VERIFY_ORIGINAL: handling_department,
    A.DOCUMENT_DOWNLOAD: owner | handling_department,
    # applications: the resident applies; the single window accepts, rejects and issues;
    # every department with a task handles its part
    A.APPLICATION_SUBMIT: resident,
    A.APPLICATION_SUPPLEMENT: owner,
    A.APPLICATION_WITHDRAW: owner,
    A.APPLICATION_RATE: owner,
    A.APPLICATION_ACCEPT: own_department,
    A.APPLICATION_REJECT: own_department,
    # Before acceptance no department has a task: only the single window asks for 补正.
    A.APPLICATION_REQUEST_SUPPLEMENT: handling_department,
    A.APPLICATION_COMPLETE_TASK: own_department,  # the task's department
    A.APPLICATION_ISSUE_RESULT: own_department,
    A.APPLICATION_RECORD_PROGRESS: handling_department,
    # Mirrors storage/repositories/applications.readable_by, which filters lists in SQL.
    A.APPLICATION_READ: owner | handling_department,
    A.RECTIFICATION_REVISIT: own_department,
    A.WORK_ITEMS: staff,
    A.APPLICATIONS_OVERDUE: staff,  # answers cover the caller's region scope
    A.APPLICATION_RATINGS: staff,  # answers cover the caller's department (ADMIN: all)
    A.RECTIFICATIONS: staff,
    A.NOTIFICATIONS_GRANT_SUBSCRIPTIONS: signed_in,
    A.NOTIFICATIONS_MARK_READ: signed_in,
    # payments: the resident pays their own fee; the single window grants exemptions
    A.PAYMENT_CREATE: owner,
    A.PAYMENT_EXEMPT: own_department,
    A.PAYMENT_ANOMALIES: admin,  # finance works from the platform's own records
    # scenarios: the lead department (牵头部门) writes its bundles; themes are the ADMIN's
    A.SCENARIO_SUBMIT: resident,
    A.SCENARIO_UPSERT: admin | own_department,
    A.SCENARIO_PUBLISH: admin | own_department,
    A.THEME_UPSERT: admin,
    # providers: residents register organisations; every member (EDITOR or OWNER) writes and
    # submits services, OWNERs manage members, keys and webhooks; reviewers review, suspend
    # and reinstate
    A.PROVIDER_REGISTER: resident,
    A.PROVIDER_REVIEW: reviewer | admin,
    A.PROVIDER_SUSPEND: reviewer | admin,
    A.PROVIDER_REINSTATE: reviewer | admin,
    # The invitee is whoever holds the invited phone: the service matches it, not the table.
    A.PROVIDER_INVITATION_ACCEPT: signed_in,
    A.PROVIDER_MEMBER_INVITE: provider_owner,
    A.PROVIDER_INVITATION_CANCEL: provider_owner,
    A.PROVIDER_MEMBER_CHANGE_ROLE: provider_owner,
    A.PROVIDER_MEMBER_REMOVE: provider_owner,
    A.PROVIDER_SERVICE_CREATE: provider_member,
    A.PROVIDER_SERVICE_UPDATE: provider_member,
    A.PROVIDER_SERVICE_SUBMIT: provider_member,
    A.PROVIDER_SERVICE_REVIEW: reviewer | admin,
    A.PROVIDER_SERVICE_SUSPEND: reviewer | admin,
    A.API_KEY_CREATE: provider_owner,
    A.API_KEY_REVOKE: provider_owner,
    A.WEBHOOK_REGISTER: provider_owner,
    A.WEBHOOK_ROTATE_SECRET: provider_owner,
    A.WEBHOOK_DELETE: provider_owner,
    A.WEBHOOK_TEST: provider_owner,
    A.HANDOFF_GRANT: resident,
    A.HANDOFF_WITHDRAW: owner,
    A.HANDOFF_EXCHANGE: provider_member,
    A.PROVIDERS_LIST: staff,
    A.PROVIDER_INSIDE_READ: staff | provider_member,
    # appeals: the resident files and rates; the department it is with handles it; the
    # 12345 centre dispatches, moderates, decides extensions and supervises
    A.APPEAL_FILE: resident,
    A.APPEAL_DISPATCH: supervisor,
    A.APPEAL_SIGN: own_department,
    A.APPEAL_RETURN: own_department,
    A.APPEAL_REQUEST_EXTENSION: own_department,
    A.APPEAL_DECIDE_EXTENSION: supervisor,
    A.APPEAL_REPLY: own_department,
    A.APPEAL_MERGE: supervisor | own_department,  # a department: only appeals all its own
    A.APPEAL_RATE: owner,
    A.APPEAL_REOPEN: owner,
    A.APPEAL_MODERATE: supervisor,
    A.APPEAL_RECORD_REVISIT: supervisor,
    # Mirrors storage/repositories/appeals.readable_by, which filters lists in SQL.
    A.APPEAL_READ: owner | own_department | supervisor,
    A.APPEAL_HANDLING_DETAILS: own_department | supervisor,
    A.APPEAL_PHOTO_CHECKS: owner,
    A.APPEAL_PHOTO_PUBLISH: own_department | supervisor,
    A.APPEAL_SUPERVISIONS: supervisor,
    A.APPEAL_INSIGHTS: staff,
    # the dispatch catalogue and table are the 12345 centre's (versioned, audited)
    A.APPEAL_CATEGORY_UPSERT: supervisor,
    A.APPEAL_CATEGORY_RETIRE: supervisor,
    A.APPEAL_ROUTE_SET: supervisor,
    A.APPEAL_ROUTE_REMOVE: supervisor,
    A.APPEAL_DISPATCH_TABLE_READ: supervisor,
    # the hall: a centre's MANAGER runs its windows, hours and staff (ADMIN everywhere); its
    # window staff call the queue; residents book their own appointments and check in with
    # them, a terminal in the hall issues walk-in tickets
    A.HALL_WINDOW_UPSERT: admin | centre_manager,
    A.HALL_HOURS_SET: admin | centre_manager,
    A.HALL_STAFF_ASSIGN: admin | centre_manager,
    A.HALL_STAFF_REMOVE: admin | centre_manager,
    A.HALL_TERMINAL_PLACE: admin | centre_manager,
    A.HALL_TERMINAL_REMOVE: admin | centre_manager,
    A.HALL_STAFF_READ: admin | centre_manager,
    A.APPOINTMENT_BOOK: resident,
    A.APPOINTMENT_CANCEL: owner,
    A.QUEUE_CHECK_IN: owner | hall_terminal,
    A.QUEUE_CALL_NEXT: centre_window,
    A.QUEUE_RECALL: centre_window,
    A.QUEUE_SKIP: centre_window,
    A.QUEUE_TICKET_EVENTS: anyone,
    # devices: a centre's managers register its card readers; terminals' readers are
    # registered where terminals are (the region's staff)
    A.DEVICE_REGISTER: admin | centre_manager | (staff & in_region_scope),
    A.DEVICE_RETIRE: admin | centre_manager | (staff & in_region_scope),
    # the window staff of the centre the card reader stands in act for the present resident
    A.APPLICATION_SUBMIT_ON_BEHALF: centre_window,
    A.APPLICATION_CONFIRM_ON_BEHALF: centre_window,
    # 全域通办: the receiving centre hands the originals over, the handling department receives
    A.CITYWIDE_HAND_OVER: centre_window,
    A.CITYWIDE_RECEIVE: own_department,
    # a terminal signs in the resident standing at it (card read and face check)
    A.TERMINAL_SIGN_IN_RESIDENT: terminal,
    # the provincial exchange is the ADMIN's to watch
    A.EXCHANGE_MESSAGES: admin,
    A.EXCHANGE_CALLBACKS: admin,
    # delegation: the principal grants and revokes; the agent (the subject's owner for these
    # two) accepts and submits; a community's officers keep its helpers and their registers
    A.DELEGATION_GRANT: resident,
    A.DELEGATION_ACCEPT: owner,
    A.DELEGATION_REVOKE: owner,
    A.DELEGATION_SUBMIT: owner,
    A.COMMUNITY_HELPER_REGISTER: admin | (staff & in_region_scope),
    A.COMMUNITY_HELPER_MANAGE: admin | (staff & in_region_scope),
    # joint inspection: the single window proposes the slot, each inspecting department answers
    # it and records its finding
    A.INSPECTION_PROPOSE: own_department,
    A.INSPECTION_RESPOND: handling_department,
    A.INSPECTION_RECORD_FINDING: handling_department,
    # the resident chooses how the result reaches them
    A.DELIVERY_CHOOSE: owner,
    # a window's staff hand it over against the owner's card; a terminal takes the code
    A.DELIVERY_HAND_OVER: centre_window,
    A.DELIVERY_COLLECT_AT_TERMINAL: terminal | at_terminal,
    # the TV asks and exchanges before anyone is signed in on it; the resident confirms
    A.TV_SIGN_IN_START: anyone,
    A.TV_SIGN_IN_CONFIRM: resident,
    A.TV_SIGN_IN_EXCHANGE: anyone,
}


# What a TV session (电视政务大厅, `Principal.tv`) may do: read the catalogue, guides, centres
# and the resident's own applications, and end or refresh its session; never submit or change.
TV_ACTIONS = frozenset(
    {
        A.READ_PUBLIC,
        # Of the resident's own things, their applications only: a screen in the living room
        # shows no wallet document and no inbox.
        A.READ_OWN_APPLICATIONS,
        A.APPLICATION_READ,
        A.APPLICATION_EVENTS,
        A.ACCOUNT_LOGOUT,
        A.ACCOUNT_REFRESH_SESSION,
    }
)


# -- deciding


class RefusalCode(StrEnum):
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"


_MESSAGES = {
    RefusalCode.UNAUTHENTICATED: "请先登录。",
    RefusalCode.FORBIDDEN: "您没有进行此操作的权限。",
}


class Refused(Exception):
    """The caller may not take the action. GraphQL turns it into the mutation's own error
    type (schema/authorised.py); other callers map the code to their own answer."""

    def __init__(self, code: RefusalCode, action: Action, field: str | None = None) -> None:
        super().__init__(f"{code.value}: {action.value}")
        self.code = code
        self.action = action
        self.field = field

    @property
    def message(self) -> str:
        return _MESSAGES[self.code]


@dataclass(slots=True)
class Decision:
    allowed: bool
    code: RefusalCode | None = field(default=None)


async def _decide(caller: Caller, action: Action, subject: Subject | None) -> Decision:
    if caller.principal.tv and action not in TV_ACTIONS:
        return Decision(False, RefusalCode.FORBIDDEN)
    if await POLICY[action].allows(caller, subject):
        return Decision(True)
    if caller.principal.account_id is None:
        return Decision(False, RefusalCode.UNAUTHENTICATED)
    return Decision(False, RefusalCode.FORBIDDEN)


async def decide(
    resources: Resources, principal: Principal, action: Action, subject: Subject | None = None
) -> Decision:
    """The table's answer for `action` on `subject`. A relation that needs a subject does
    not hold without one."""
    return await _decide(Caller(resources, principal), action, subject)


async def gate(resources: Resources, principal: Principal, action: Action) -> Decision:
    """The answer before the subject is known (GraphQL asks it before the resolver runs):
    relations that need a subject count as held by anyone who could hold them."""
    return await _decide(Caller(resources, principal, before_subject=True), action, None)


# Refusals of these actions go to the audit trail: someone tried to change staff accounts.
AUDITED_REFUSALS: dict[Action, str] = {
    Action.STAFF_UNLOCK: "STAFF_UNLOCKED",
    Action.STAFF_ROLE_GRANT: "STAFF_ROLE_GRANTED",
    Action.STAFF_ROLE_REVOKE: "STAFF_ROLE_REVOKED",
}


async def audit_refusal(principal: Principal, action: Action, request_id: str) -> None:
    """Writes a signed-in caller's refused attempt at an audited action to the audit trail."""
    name = AUDITED_REFUSALS.get(action)
    if name is None or principal.account_id is None:
        return
    await accounts_repo.audit(
        name,
        success=False,
        actor_id=principal.account_id,
        detail="not allowed",
        request_id=request_id,
    )


async def allows(
    resources: Resources, principal: Principal, action: Action, subject: Subject | None = None
) -> bool:
    """For what is shown rather than done: True when the table allows it."""
    return (await decide(resources, principal, action, subject)).allowed


async def authorize(
    resources: Resources,
    principal: Principal,
    action: Action,
    subject: Subject | None = None,
    *,
    field: str | None = None,
) -> None:
    """Raises Refused (UNAUTHENTICATED or FORBIDDEN) unless the table allows `action` on
    `subject`; services call it before acting."""
    decision = await decide(resources, principal, action, subject)
    if not decision.allowed:
        assert decision.code is not None
        raise Refused(decision.code, action, field)


async def authorize_seen(
    resources: Resources,
    principal: Principal,
    action: Action,
    subject: Subject | None,
    *,
    seen_by: Action,
    hidden: Exception,
    field: str | None = None,
) -> None:
    """`authorize` for a subject named by id. A caller the role check already refuses gets
    that refusal; a caller who may not even read the subject (`seen_by`), or names none that
    exists (`subject` None), gets `hidden` (the domain's NOT_FOUND), so that its existence is
    not revealed; everyone else gets the table's answer."""
    caller = Caller(resources, principal, before_subject=True)
    decision = await _decide(caller, action, None)
    if not decision.allowed:
        assert decision.code is not None
        raise Refused(decision.code, action, field)
    if subject is None or not await allows(resources, principal, seen_by, subject):
        raise hidden
    await authorize(resources, principal, action, subject, field=field)

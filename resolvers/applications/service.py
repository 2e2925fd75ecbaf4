"""Online applications: the domain's public service. Other domains and the schema call it;
the work is done in the modules it gathers:

- submission: the form, materials matched to documents, idempotency (shared with bundles);
- window: the single window's acceptance (with parallel department tasks), refusal, 补正;
- tasks: the departments' decisions, results (办结) and progress notes;
- resident: withdrawal and supplying what is owed (补正, 容缺后补);
- ratings: 好差评 and rectifications;
- bundles: a scenario bundle's parent following its children;
- transitions: the steps every transition shares, on the table of workflow.py.

Every transition runs in one transaction that locks the application row, checks the caller
through the policy and the move against the workflow table, writes the timeline event and the
outbox rows of its notifications; pushes to the app happen after commit.
"""

from __future__ import annotations

from uuid import UUID

from resolvers.applications.bundles import notify as notify_bundle
from resolvers.applications.bundles import parent_status as bundle_status
from resolvers.applications.deadlines import acceptance_due, promised_days
from resolvers.applications.events import StatusChange, publish
from resolvers.applications.ratings import MAX_COMMENT, rate, record_revisit
from resolvers.applications.resident import supplement, withdraw
from resolvers.applications.submission import (
    SELF_SERVICE_CHANNELS,
    SUBMIT_SCOPE,
    Plan,
    Replayed,
    check_form,
    chosen_documents,
    clean_key,
    create_submitted,
    plan_materials,
    read_form,
    remember_key,
    replayed,
    request_hash,
    require_real_name,
    require_self_service,
    reserve_numbers,
    submit,
)
from resolvers.applications.tasks import ResultFile, complete_task, issue_result, record_progress
from resolvers.applications.transitions import (
    MAX_NOTE,
    clean_note,
    global_uuid,
    subject,
    subject_of,
)
from resolvers.applications.window import MAX_TASKS, accept, reject, request_supplement
from resolvers.principal import Principal
from resolvers.resources import Resources
from storage.models.applications import Application, RatingLevel
from storage.repositories import applications as repo

__all__ = [
    "MAX_COMMENT",
    "MAX_NOTE",
    "MAX_TASKS",
    "SELF_SERVICE_CHANNELS",
    "SUBMIT_SCOPE",
    "Plan",
    "Replayed",
    "ResultFile",
    "StatusChange",
    "accept",
    "acceptance_due",
    "bundle_status",
    "check_form",
    "chosen_documents",
    "clean_key",
    "clean_note",
    "complete_task",
    "create_submitted",
    "global_uuid",
    "issue_result",
    "notify_bundle",
    "plan_materials",
    "promised_days",
    "publish",
    "rate",
    "rate_application",
    "read_form",
    "record_progress",
    "record_revisit",
    "reject",
    "remember_key",
    "replayed",
    "request_hash",
    "request_supplement",
    "require_real_name",
    "require_self_service",
    "reserve_numbers",
    "subject",
    "subject_of",
    "submit",
    "supplement",
    "withdraw",
]


async def rate_application(
    resources: Resources,
    principal: Principal,
    application_id: UUID,
    level: RatingLevel,
    comment: str | None,
) -> Application:
    """Rates a finished application (see `rate`) and answers it as it stands afterwards."""
    await rate(resources, principal, application_id, level, comment)
    rated = await repo.by_id(application_id)
    assert rated is not None
    return rated

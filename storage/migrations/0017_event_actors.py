from tortoise import migrations
from tortoise.migrations import operations as ops
from storage.models.applications import ActorKind
from tortoise import fields

# Events written before this migration say who acted only through their type and actor:
# the resident's steps (with an actor: the owner), the single window's (with an actor: staff;
# without one it is a bundle's parent following its items), a department's (task outcomes
# and progress), and the platform's (everything else). The department is the task's for a
# department's step (or the acting officer's, for progress without a task of its own), the
# application's for the window's, none otherwise.
_BACK_FILL = [
    """
    UPDATE "application_event" SET "actor_kind" = CASE
        WHEN "type" IN ('TASK_APPROVED', 'TASK_DENIED', 'PROGRESS') THEN 'DEPARTMENT'
        WHEN "type" IN ('ACCEPTED', 'NOT_ACCEPTED', 'SUPPLEMENT_REQUESTED', 'COMPLETED')
            AND "actor_id" IS NOT NULL THEN 'WINDOW'
        WHEN "type" IN ('SUBMITTED', 'SUPPLEMENTED', 'WITHDRAWN', 'RATED')
            AND "actor_id" IS NOT NULL THEN 'RESIDENT'
        ELSE 'SYSTEM'
    END
    """,
    """
    UPDATE "application_event" SET "department_id" = COALESCE(
        (SELECT "t"."department_id" FROM "application_task" "t"
          WHERE "t"."id" = "application_event"."task_id"),
        (SELECT "a"."department_id" FROM "account" "a"
          WHERE "a"."id" = "application_event"."actor_id")
    )
    WHERE "actor_kind" = 'DEPARTMENT'
    """,
    """
    UPDATE "application_event" SET "department_id" = (
        SELECT "p"."department_id" FROM "application" "p"
         WHERE "p"."id" = "application_event"."application_id"
    )
    WHERE "actor_kind" = 'WINDOW'
    """,
]


class Migration(migrations.Migration):
    dependencies = [('models', '0016_guide_files_and_fees')]

    initial = False

    operations = [
        # Nullable first, so that existing rows can be given their kind before it is required.
        ops.AddField(
            model_name='ApplicationEvent',
            name='actor_kind',
            field=fields.CharEnumField(description='RESIDENT: RESIDENT\nWINDOW: WINDOW\nDEPARTMENT: DEPARTMENT\nSYSTEM: SYSTEM', enum_type=ActorKind, max_length=12, null=True),
        ),
        ops.AddField(
            model_name='ApplicationEvent',
            name='department_id',
            field=fields.UUIDField(null=True, description='the department it was acted for'),
        ),
        ops.RunSQL(_BACK_FILL),
        ops.AlterField(
            model_name='ApplicationEvent',
            name='actor_kind',
            field=fields.CharEnumField(description='RESIDENT: RESIDENT\nWINDOW: WINDOW\nDEPARTMENT: DEPARTMENT\nSYSTEM: SYSTEM', enum_type=ActorKind, max_length=12),
        ),
        # SQLite rebuilds the table for the change above: the timeline's index under the
        # name 0006 gave it (a no-op on PostgreSQL, which kept it).
        ops.RunSQL(
            'CREATE INDEX IF NOT EXISTS "idx_application_applica_bc07db" '
            'ON "application_event" ("application_id", "seq")'
        ),
    ]

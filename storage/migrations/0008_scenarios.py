from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from storage.models.catalogue import PublicationStatus
from storage.models.scenarios import RecommendationKind, RecommendationTarget
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0007_exchange')]

    initial = False

    operations = [
        ops.CreateModel(
            name='RecommendationRule',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('code', fields.CharField(unique=True, max_length=48)),
                ('kind', fields.CharEnumField(description='DOCUMENT_EXPIRING: DOCUMENT_EXPIRING\nAGE: AGE\nREGION: REGION\nORGANISATION: ORGANISATION\nFOLLOW_UP: FOLLOW_UP', enum_type=RecommendationKind, max_length=20)),
                ('target', fields.CharEnumField(description='ITEM: ITEM\nSCENARIO: SCENARIO\nISSUING_ITEM: ISSUING_ITEM', enum_type=RecommendationTarget, max_length=16)),
                ('target_code', fields.CharField(default='', max_length=32)),
                ('params', fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
                ('reason', fields.CharField(max_length=120)),
                ('priority', fields.IntField(default=100, description='lower comes first')),
                ('active', fields.BooleanField(default=True)),
            ],
            options={'table': 'recommendation_rule', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One rule of personal recommendations: when it applies, what it suggests, and why.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Scenario',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('code', fields.CharField(db_index=True, max_length=32)),
                ('version', fields.IntField(default=1)),
                ('status', fields.CharEnumField(default=PublicationStatus.DRAFT, description='DRAFT: DRAFT\nPUBLISHED: PUBLISHED\nARCHIVED: ARCHIVED', enum_type=PublicationStatus, max_length=12)),
                ('name', fields.CharField(max_length=64)),
                ('summary', fields.CharField(default='', max_length=1000)),
                ('audience', fields.CharField(description='PERSON or ORGANISATION', max_length=16)),
                ('position', fields.IntField(default=100)),
                ('lead_department', fields.ForeignKeyField('models.Department', source_field='lead_department_id', null=True, db_constraint=True, to_field='id', related_name='scenarios', on_delete=OnDelete.RESTRICT)),
                ('definition', fields.JSONField(encoder=JSON_DUMPS, decoder=loads)),
                ('digest', fields.CharField(description='SHA-256 of the canonical definition', max_length=64)),
                ('edited_by_id', fields.UUIDField(null=True)),
                ('published_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'scenario', 'app': 'models', 'unique_together': (('code', 'version'),), 'indexes': [Index(fields=['status', 'position'])], 'pk_attr': 'id', 'table_description': 'One version of a scenario bundle: questions, items and material rules, validated.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ScenarioItem',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('scenario', fields.ForeignKeyField('models.Scenario', source_field='scenario_id', db_constraint=True, to_field='id', related_name='items', on_delete=OnDelete.CASCADE)),
                ('basic_code', fields.CharField(db_index=True, max_length=32)),
                ('position', fields.IntField(default=0)),
            ],
            options={'table': 'scenario_item', 'app': 'models', 'unique_together': (('scenario_id', 'basic_code'),), 'pk_attr': 'id', 'table_description': 'An item a scenario version may lead to, for look-ups by item (themes, recommendations).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ScenarioSubmission',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('application', fields.OneToOneField('models.Application', source_field='application_id', db_constraint=True, to_field='id', related_name='scenario_submission', on_delete=OnDelete.CASCADE)),
                ('scenario', fields.ForeignKeyField('models.Scenario', source_field='scenario_id', db_index=True, db_constraint=True, to_field='id', related_name='submissions', on_delete=OnDelete.RESTRICT)),
                ('region', fields.ForeignKeyField('models.Region', source_field='region_id', db_constraint=True, to_field='id', related_name='scenario_submissions', on_delete=OnDelete.RESTRICT)),
                ('answers_sealed', fields.TextField(unique=False)),
                ('plan_digest', fields.CharField(max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'scenario_submission', 'app': 'models', 'pk_attr': 'id', 'table_description': 'The bundle behind a parent application: which scenario version, region and answers.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Theme',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('code', fields.CharField(unique=True, max_length=32)),
                ('name', fields.CharField(max_length=32)),
                ('audience', fields.CharField(description='PERSON or ORGANISATION', max_length=16)),
                ('position', fields.IntField(default=0)),
                ('description', fields.CharField(default='', max_length=500)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'theme', 'app': 'models', 'pk_attr': 'id', 'table_description': "A life event of a person (出生 … 身后) or a stage of an organisation's life (准入准营 …)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ScenarioTheme',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('scenario', fields.ForeignKeyField('models.Scenario', source_field='scenario_id', db_constraint=True, to_field='id', related_name='themes', on_delete=OnDelete.CASCADE)),
                ('theme', fields.ForeignKeyField('models.Theme', source_field='theme_id', db_index=True, db_constraint=True, to_field='id', related_name='scenarios', on_delete=OnDelete.RESTRICT)),
            ],
            options={'table': 'scenario_theme', 'app': 'models', 'unique_together': (('scenario_id', 'theme_id'),), 'pk_attr': 'id', 'table_description': 'A theme a scenario version is listed under.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ThemeItem',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('theme', fields.ForeignKeyField('models.Theme', source_field='theme_id', db_constraint=True, to_field='id', related_name='items', on_delete=OnDelete.CASCADE)),
                ('basic_code', fields.CharField(db_index=True, max_length=32)),
                ('position', fields.IntField(default=0)),
            ],
            options={'table': 'theme_item', 'app': 'models', 'unique_together': (('theme_id', 'basic_code'),), 'pk_attr': 'id', 'table_description': 'A standard item (by basic code) listed under a theme.'},
            bases=['Model'],
        ),
        ops.AlterField(
            model_name='Application',
            name='department',
            field=fields.ForeignKeyField('models.Department', source_field='department_id', null=True, db_constraint=True, to_field='id', related_name='applications', on_delete=OnDelete.RESTRICT),
        ),
        ops.AlterField(
            model_name='Application',
            name='implementation',
            field=fields.ForeignKeyField('models.Implementation', source_field='implementation_id', null=True, db_constraint=True, to_field='id', related_name='applications', on_delete=OnDelete.RESTRICT),
        ),
        # SQLite has no ALTER COLUMN: Tortoise rebuilds the table above and loses its indexes.
        # Put them back under the names 0006 gave them (a no-op on PostgreSQL, which kept them).
        ops.RunSQL([
            'CREATE INDEX IF NOT EXISTS "idx_application_owner_i_047407" ON "application" ("owner_id", "submitted_at")',
            'CREATE INDEX IF NOT EXISTS "idx_application_departm_c9a224" ON "application" ("department_id", "status")',
            'CREATE INDEX IF NOT EXISTS "idx_application_status_b7a059" ON "application" ("status", "due_date")',
        ]),
    ]

from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from storage.models.appeals import AppealCatalogueAction
from tortoise.fields.data import JSON_DUMPS
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0014_provisional_deadlines')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Appeal',
            name='reply_wanted',
            field=fields.BooleanField(default=True),
        ),
        ops.CreateModel(
            name='AppealCatalogueChange',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('version', fields.IntField(unique=True)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('actor_id', fields.UUIDField(null=True)),
                ('action', fields.CharEnumField(description='CATEGORY_UPSERTED: CATEGORY_UPSERTED\nCATEGORY_RETIRED: CATEGORY_RETIRED\nROUTE_SET: ROUTE_SET\nROUTE_REMOVED: ROUTE_REMOVED', enum_type=AppealCatalogueAction, max_length=24)),
                ('subject', fields.CharField(description='a category code, or code@region', max_length=40)),
                ('before', fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads)),
                ('after', fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads)),
            ],
            options={'table': 'appeal_catalogue_change', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One edit of the dispatch catalogue or table by the 12345 centre or ADMIN: the'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AppealCatalogueVersion',
            fields=[
                ('name', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=16)),
                ('version', fields.IntField(default=0)),
            ],
            options={'table': 'appeal_catalogue_version', 'app': 'models', 'pk_attr': 'name', 'table_description': 'The one row counting edits of the dispatch catalogue and table: locked by each edit'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='AppealCategory',
            name='active',
            field=fields.BooleanField(default=True),
        ),
        ops.AddField(
            model_name='AppealCategory',
            name='version',
            field=fields.IntField(default=0, description='catalogue version of its last change'),
        ),
        ops.AddField(
            model_name='AppealRoute',
            name='version',
            field=fields.IntField(default=0, description='catalogue version of its last change'),
        ),
    ]

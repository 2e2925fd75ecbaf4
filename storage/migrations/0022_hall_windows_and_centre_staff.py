from tortoise import migrations
from tortoise.migrations import operations as ops
from storage.models.hall import CentreStaffRole
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0021_appeal_insight_aggregates')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CentreStaff',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('centre', fields.ForeignKeyField('models.ServiceCentre', source_field='centre_id', db_constraint=True, to_field='id', related_name='staff', on_delete=OnDelete.CASCADE)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='centres', on_delete=OnDelete.CASCADE)),
                ('role', fields.CharEnumField(description='MANAGER: MANAGER\nWINDOW: WINDOW', enum_type=CentreStaffRole, max_length=8)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'centre_staff', 'app': 'models', 'unique_together': (('centre_id', 'account_id'),), 'pk_attr': 'id', 'table_description': 'A STAFF account working at a centre (besides the department it may belong to).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='HallWindow',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('centre', fields.ForeignKeyField('models.ServiceCentre', source_field='centre_id', db_constraint=True, to_field='id', related_name='hall_windows', on_delete=OnDelete.CASCADE)),
                ('number', fields.CharField(description='shown above the desk, e.g. 12号窗口', max_length=16)),
                ('name', fields.CharField(description='综合受理, 不动产登记 …', max_length=64)),
                ('group', fields.CharField(description='queue group: the ticket prefix', max_length=8)),
                ('is_open', fields.BooleanField(default=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'hall_window', 'app': 'models', 'unique_together': (('centre_id', 'number'),), 'pk_attr': 'id', 'table_description': 'A window (窗口) of a centre. Windows of one `group` share a queue: tickets are numbered'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='HallWindowService',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('window', fields.ForeignKeyField('models.HallWindow', source_field='window_id', db_constraint=True, to_field='id', related_name='services', on_delete=OnDelete.CASCADE)),
                ('implementation', fields.ForeignKeyField('models.Implementation', source_field='implementation_id', db_constraint=True, to_field='id', related_name='hall_windows', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'hall_window_service', 'app': 'models', 'unique_together': (('window_id', 'implementation_id'),), 'pk_attr': 'id', 'table_description': 'An item (its implementation) a window accepts. A window with none accepts every item'},
            bases=['Model'],
        ),
    ]

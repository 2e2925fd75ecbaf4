from tortoise import migrations
from tortoise.migrations import operations as ops
from storage.models.applications import EventType
from storage.models.exchange import CallbackKind, ExchangeStep, SigningAlgorithm
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0006_applications')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ExchangeAcknowledgement',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('message_id', fields.UUIDField(unique=True, description='the outbox message pushed')),
                ('application_id', fields.UUIDField()),
                ('event_id', fields.UUIDField(description='the application event it reported')),
                ('sequence', fields.IntField(description="position in the application's stream, from 1")),
                ('step', fields.CharEnumField(description='SUBMIT: SUBMIT\nACCEPT: ACCEPT\nREJECT: REJECT\nSUPPLEMENT_NOTICE: SUPPLEMENT_NOTICE\nSUPPLEMENT: SUPPLEMENT\nHANDLE: HANDLE\nPROGRESS: PROGRESS\nDECIDE: DECIDE\nFINISH: FINISH\nWITHDRAW: WITHDRAW\nRATE: RATE', enum_type=ExchangeStep, max_length=20)),
                ('event_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ack_id', fields.CharField(description="the province's own receipt id", max_length=64)),
                ('acknowledged_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('province_received_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('duplicate', fields.BooleanField(default=False, description='the province had it already')),
            ],
            options={'table': 'exchange_acknowledgement', 'app': 'models', 'indexes': [Index(fields=['application_id', 'sequence']), Index(fields=['event_at'])], 'pk_attr': 'id', 'table_description': "The province's receipt of one pushed message, kept as proof that it arrived."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ExchangeSystem',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('key_id', fields.CharField(unique=True, description='sent as X-Exchange-System', max_length=64)),
                ('department', fields.ForeignKeyField('models.Department', source_field='department_id', db_constraint=True, to_field='id', related_name='exchange_systems', on_delete=OnDelete.RESTRICT)),
                ('name', fields.CharField(default='', max_length=128)),
                ('algorithm', fields.CharEnumField(description='HMAC_SHA256: HMAC-SHA256\nSM2_SM3: SM2-SM3', enum_type=SigningAlgorithm, max_length=16)),
                ('secret_sealed', fields.TextField(null=True, unique=False)),
                ('public_key', fields.CharField(null=True, max_length=130)),
                ('active', fields.BooleanField(default=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'exchange_system', 'app': 'models', 'pk_attr': 'id', 'table_description': "A department's own business system, allowed to report back through signed callbacks."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ExchangeCallback',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('system', fields.ForeignKeyField('models.ExchangeSystem', source_field='system_id', db_constraint=True, to_field='id', related_name='callbacks', on_delete=OnDelete.RESTRICT)),
                ('message_id', fields.CharField(max_length=64)),
                ('body_sha256', fields.CharField(description='a reused id with other content', max_length=64)),
                ('kind', fields.CharEnumField(description='PROGRESS: PROGRESS\nTASK_OUTCOME: TASK_OUTCOME\nRESULT_DOCUMENT: RESULT_DOCUMENT', enum_type=CallbackKind, max_length=20)),
                ('application_id', fields.UUIDField()),
                ('received_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'exchange_callback', 'app': 'models', 'unique_together': (('system_id', 'message_id'),), 'indexes': [Index(fields=['received_at'])], 'pk_attr': 'id', 'table_description': 'The ledger of applied callbacks, one row per message id of a system.'},
            bases=['Model'],
        ),
        ops.AlterField(
            model_name='ApplicationEvent',
            name='type',
            field=fields.CharEnumField(description='SUBMITTED: SUBMITTED\nACCEPTED: ACCEPTED\nNOT_ACCEPTED: NOT_ACCEPTED\nSUPPLEMENT_REQUESTED: SUPPLEMENT_REQUESTED\nSUPPLEMENTED: SUPPLEMENTED\nTASK_APPROVED: TASK_APPROVED\nTASK_DENIED: TASK_DENIED\nAPPROVED: APPROVED\nDENIED: DENIED\nCOMPLETED: COMPLETED\nWITHDRAWN: WITHDRAWN\nDEADLINE_WARNING: DEADLINE_WARNING\nOVERDUE: OVERDUE\nRATED: RATED\nPROGRESS: PROGRESS', enum_type=EventType, max_length=24),
        ),
        ops.AddField(
            model_name='OutboxMessage',
            name='strict',
            field=fields.BooleanField(default=False, description='a dead letter holds back its key'),
        ),
    ]

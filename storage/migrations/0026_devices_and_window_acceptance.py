from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from storage.models.applications import EventType
from storage.models.devices import DeviceKind, DeviceStatus
from storage.models.window import ConsentMethod, OnBehalfStatus, TransferStatus
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0025_payments')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CitywideAcceptance',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('application', fields.OneToOneField('models.Application', source_field='application_id', db_constraint=True, to_field='id', related_name='citywide_acceptance', on_delete=OnDelete.RESTRICT)),
                ('receiving_centre', fields.ForeignKeyField('models.ServiceCentre', source_field='receiving_centre_id', db_constraint=True, to_field='id', related_name='citywide_acceptances', on_delete=OnDelete.RESTRICT)),
                ('handling_department', fields.ForeignKeyField('models.Department', source_field='handling_department_id', db_constraint=True, to_field='id', related_name='citywide_acceptances', on_delete=OnDelete.RESTRICT)),
                ('accepted_on', fields.DateField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'citywide_acceptance', 'app': 'models', 'pk_attr': 'id', 'table_description': '受办分离: a citywide item accepted at a centre of another district than the one whose'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Device',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('kind', fields.CharEnumField(description='CARD_READER: CARD_READER\nTERMINAL: TERMINAL', enum_type=DeviceKind, max_length=12)),
                ('serial', fields.CharField(unique=True, description="the maker's serial", max_length=64)),
                ('name', fields.CharField(max_length=64)),
                ('centre', fields.ForeignKeyField('models.ServiceCentre', source_field='centre_id', null=True, db_constraint=True, to_field='id', related_name='devices', on_delete=OnDelete.RESTRICT)),
                ('window', fields.ForeignKeyField('models.HallWindow', source_field='window_id', null=True, db_constraint=True, to_field='id', related_name='devices', on_delete=OnDelete.SET_NULL)),
                ('terminal', fields.ForeignKeyField('models.Terminal', source_field='terminal_id', null=True, db_constraint=True, to_field='id', related_name='devices', on_delete=OnDelete.RESTRICT)),
                ('public_key', fields.CharField(description='raw Ed25519 key, base64url', max_length=64)),
                ('status', fields.CharEnumField(default=DeviceStatus.ACTIVE, description='ACTIVE: ACTIVE\nRETIRED: RETIRED', enum_type=DeviceStatus, max_length=8)),
                ('registered_by_id', fields.UUIDField()),
                ('registered_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('retired_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'device', 'app': 'models', 'unique_together': (('public_key',),), 'indexes': [Index(fields=['centre_id', 'registered_at'])], 'pk_attr': 'id', 'table_description': 'A registered device and the public key its reads are verified with (Ed25519).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MaterialTransfer',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('application', fields.ForeignKeyField('models.Application', source_field='application_id', db_constraint=True, to_field='id', related_name='material_transfers', on_delete=OnDelete.RESTRICT)),
                ('status', fields.CharEnumField(description='HANDED_OVER: HANDED_OVER\nRECEIVED: RECEIVED', enum_type=TransferStatus, max_length=12)),
                ('description', fields.CharField(description='what was sent: 原件 of …', max_length=200)),
                ('tracking', fields.CharField(default='', description='courier or bag number', max_length=64)),
                ('handed_over_by_id', fields.UUIDField()),
                ('handed_over_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('received_by_id', fields.UUIDField(null=True)),
                ('received_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'material_transfer', 'app': 'models', 'pk_attr': 'id', 'table_description': 'The paper originals of a citywide acceptance on their way to the handling department.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OnBehalfSubmission',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('resident', fields.ForeignKeyField('models.Account', source_field='resident_id', db_constraint=True, to_field='id', related_name='on_behalf_submissions', on_delete=OnDelete.RESTRICT)),
                ('officer_id', fields.UUIDField(db_index=True)),
                ('centre', fields.ForeignKeyField('models.ServiceCentre', source_field='centre_id', db_constraint=True, to_field='id', related_name='on_behalf_submissions', on_delete=OnDelete.RESTRICT)),
                ('window', fields.ForeignKeyField('models.HallWindow', source_field='window_id', null=True, db_constraint=True, to_field='id', related_name='on_behalf_submissions', on_delete=OnDelete.SET_NULL)),
                ('device', fields.ForeignKeyField('models.Device', source_field='device_id', db_constraint=True, to_field='id', related_name='on_behalf_submissions', on_delete=OnDelete.RESTRICT)),
                ('implementation', fields.ForeignKeyField('models.Implementation', source_field='implementation_id', db_constraint=True, to_field='id', related_name='on_behalf_submissions', on_delete=OnDelete.RESTRICT)),
                ('form_sealed', fields.TextField(unique=False)),
                ('document_ids', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('status', fields.CharEnumField(default=OnBehalfStatus.PENDING, description='PENDING: PENDING\nCONFIRMED: CONFIRMED\nEXPIRED: EXPIRED', enum_type=OnBehalfStatus, max_length=10)),
                ('code_hash', fields.CharField(null=True, description='SMS_CODE consent', max_length=64)),
                ('attempts', fields.IntField(default=0)),
                ('challenge', fields.CharField(max_length=64)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('confirmed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('consent', fields.CharEnumField(null=True, description='SMS_CODE: SMS_CODE\nDEVICE_SIGNATURE: DEVICE_SIGNATURE', enum_type=ConsentMethod, max_length=16)),
                ('application', fields.ForeignKeyField('models.Application', source_field='application_id', null=True, db_constraint=True, to_field='id', related_name='on_behalf', on_delete=OnDelete.RESTRICT)),
            ],
            options={'table': 'on_behalf_submission', 'app': 'models', 'pk_attr': 'id', 'table_description': 'What window staff prepared for a present resident, held until the resident consents.'},
            bases=['Model'],
        ),
        ops.AlterField(
            model_name='ApplicationEvent',
            name='type',
            field=fields.CharEnumField(description='SUBMITTED: SUBMITTED\nACCEPTED: ACCEPTED\nNOT_ACCEPTED: NOT_ACCEPTED\nSUPPLEMENT_REQUESTED: SUPPLEMENT_REQUESTED\nSUPPLEMENTED: SUPPLEMENTED\nTASK_APPROVED: TASK_APPROVED\nTASK_DENIED: TASK_DENIED\nAPPROVED: APPROVED\nDENIED: DENIED\nCOMPLETED: COMPLETED\nWITHDRAWN: WITHDRAWN\nDEADLINE_WARNING: DEADLINE_WARNING\nOVERDUE: OVERDUE\nRATED: RATED\nPROGRESS: PROGRESS\nMATERIALS_HANDED_OVER: MATERIALS_HANDED_OVER\nMATERIALS_RECEIVED: MATERIALS_RECEIVED', enum_type=EventType, max_length=24),
        ),
    ]

from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from storage.models.providers import ProviderEventType, ProviderMemberRole, ProviderStatus
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0017_event_actors')]

    initial = False

    operations = [
        ops.CreateModel(
            name='HeldWebhookMessage',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('provider', fields.ForeignKeyField('models.Provider', source_field='provider_id', db_constraint=True, to_field='id', related_name='held_webhook_messages', on_delete=OnDelete.CASCADE)),
                ('payload', fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
                ('held_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'provider_webhook_held', 'app': 'models', 'indexes': [Index(fields=['provider_id', 'held_at'])], 'pk_attr': 'id', 'table_description': 'A webhook message that came due while its provider was suspended: held here, not'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ProviderInvitation',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('provider', fields.ForeignKeyField('models.Provider', source_field='provider_id', db_constraint=True, to_field='id', related_name='invitations', on_delete=OnDelete.CASCADE)),
                ('phone_index', fields.CharField(db_index=True, description='blind index', max_length=64)),
                ('phone_masked', fields.CharField(max_length=16)),
                ('role', fields.CharEnumField(description='OWNER: OWNER\nEDITOR: EDITOR', enum_type=ProviderMemberRole, max_length=8)),
                ('invited_by_id', fields.UUIDField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('accepted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('accepted_by_id', fields.UUIDField(null=True)),
            ],
            options={'table': 'provider_invitation', 'app': 'models', 'indexes': [Index(fields=['provider_id', 'created_at'])], 'pk_attr': 'id', 'table_description': "An OWNER's invitation of whoever holds a phone number. The number is kept only as the"},
            bases=['Model'],
        ),
        ops.AlterField(
            model_name='Provider',
            name='status',
            field=fields.CharEnumField(default=ProviderStatus.PENDING, description='PENDING: PENDING\nAPPROVED: APPROVED\nREJECTED: REJECTED\nSUSPENDED: SUSPENDED', enum_type=ProviderStatus, max_length=12),
        ),
        ops.AlterField(
            model_name='ProviderEvent',
            name='type',
            field=fields.CharEnumField(description='REGISTERED: REGISTERED\nAPPROVED: APPROVED\nREJECTED: REJECTED\nSUSPENDED: SUSPENDED\nREINSTATED: REINSTATED\nMEMBER_INVITED: MEMBER_INVITED\nMEMBER_ADDED: MEMBER_ADDED\nMEMBER_ROLE_CHANGED: MEMBER_ROLE_CHANGED\nMEMBER_REMOVED: MEMBER_REMOVED\nSERVICE_CREATED: SERVICE_CREATED\nSERVICE_UPDATED: SERVICE_UPDATED\nSERVICE_SUBMITTED: SERVICE_SUBMITTED\nSERVICE_PUBLISHED: SERVICE_PUBLISHED\nSERVICE_REJECTED: SERVICE_REJECTED\nSERVICE_SUSPENDED: SERVICE_SUSPENDED\nCONTENT_CHECKED: CONTENT_CHECKED\nAPI_KEY_CREATED: API_KEY_CREATED\nAPI_KEY_REVOKED: API_KEY_REVOKED\nWEBHOOK_REGISTERED: WEBHOOK_REGISTERED\nWEBHOOK_SECRET_ROTATED: WEBHOOK_SECRET_ROTATED\nWEBHOOK_DELETED: WEBHOOK_DELETED', enum_type=ProviderEventType, max_length=32),
        ),
        ops.AlterModelOptions(
            name='ProviderMember',
            options={'table': 'provider_member', 'app': 'models', 'unique_together': (('provider_id', 'account_id'),), 'pk_attr': 'id', 'table_description': 'An account acting for a provider (its first member, an OWNER, is the one who registered'},
        ),
        ops.AlterField(
            model_name='ProviderMember',
            name='owner',
            field=fields.BooleanField(default=False, description='OWNER (else EDITOR)'),
        ),
    ]

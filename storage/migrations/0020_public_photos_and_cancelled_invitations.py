from tortoise import migrations
from tortoise.migrations import operations as ops
from storage.models.providers import ProviderEventType
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0019_outbox_lease')]

    initial = False

    operations = [
        ops.AddField(
            model_name='AppealPhoto',
            name='published_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='AppealPhoto',
            name='published_by_id',
            field=fields.UUIDField(null=True),
        ),
        ops.AlterField(
            model_name='ProviderEvent',
            name='type',
            field=fields.CharEnumField(description='REGISTERED: REGISTERED\nAPPROVED: APPROVED\nREJECTED: REJECTED\nSUSPENDED: SUSPENDED\nREINSTATED: REINSTATED\nMEMBER_INVITED: MEMBER_INVITED\nINVITATION_CANCELLED: INVITATION_CANCELLED\nMEMBER_ADDED: MEMBER_ADDED\nMEMBER_ROLE_CHANGED: MEMBER_ROLE_CHANGED\nMEMBER_REMOVED: MEMBER_REMOVED\nSERVICE_CREATED: SERVICE_CREATED\nSERVICE_UPDATED: SERVICE_UPDATED\nSERVICE_SUBMITTED: SERVICE_SUBMITTED\nSERVICE_PUBLISHED: SERVICE_PUBLISHED\nSERVICE_REJECTED: SERVICE_REJECTED\nSERVICE_SUSPENDED: SERVICE_SUSPENDED\nCONTENT_CHECKED: CONTENT_CHECKED\nAPI_KEY_CREATED: API_KEY_CREATED\nAPI_KEY_REVOKED: API_KEY_REVOKED\nWEBHOOK_REGISTERED: WEBHOOK_REGISTERED\nWEBHOOK_SECRET_ROTATED: WEBHOOK_SECRET_ROTATED\nWEBHOOK_DELETED: WEBHOOK_DELETED', enum_type=ProviderEventType, max_length=32),
        ),
        ops.AddField(
            model_name='ProviderInvitation',
            name='cancelled_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='ProviderInvitation',
            name='cancelled_by_id',
            field=fields.UUIDField(null=True),
        ),
    ]

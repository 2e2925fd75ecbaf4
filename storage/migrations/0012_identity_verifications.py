from tortoise import migrations
from tortoise.migrations import operations as ops
from storage.models.accounts import IdentityChannel, VerificationStatus
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0011_uploads_and_photo_checks')]

    initial = False

    operations = [
        ops.CreateModel(
            name='IdentityVerification',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='identity_verifications', on_delete=OnDelete.CASCADE)),
                ('channel', fields.CharEnumField(description='WECHAT_FACE: WECHAT_FACE\nREAL_NAME_RELAY: REAL_NAME_RELAY', enum_type=IdentityChannel, max_length=16)),
                ('out_seq_no', fields.CharField(unique=True, max_length=32)),
                ('verify_id', fields.CharField(unique=True, max_length=256)),
                ('name_sealed', fields.TextField(unique=False)),
                ('id_number_sealed', fields.TextField(unique=False)),
                ('id_number_index', fields.CharField(db_index=True, max_length=64)),
                ('status', fields.CharEnumField(default=VerificationStatus.PENDING, description='PENDING: PENDING\nPASSED: PASSED\nMISMATCH: MISMATCH\nFAILED: FAILED\nCANCELLED: CANCELLED\nEXPIRED: EXPIRED', enum_type=VerificationStatus, max_length=12)),
                ('result_code', fields.CharField(null=True, description="the provider's", max_length=16)),
                ('checks', fields.IntField(default=0, description='times the provider was asked the result')),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'identity_verification', 'app': 'models', 'indexes': [Index(fields=['account_id', 'created_at'])], 'pk_attr': 'id', 'table_description': "One real-name claim, confirmed (or not) by an identity provider's face check."},
            bases=['Model'],
        ),
    ]

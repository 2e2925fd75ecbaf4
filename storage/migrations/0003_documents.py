from tortoise import migrations
from tortoise.migrations import operations as ops
from storage.models.documents import AccessAction, DocumentKind, DocumentStatus, RejectionReason, TrustLevel
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0002_catalogue')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Document',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('owner', fields.ForeignKeyField('models.Account', source_field='owner_id', db_constraint=True, to_field='id', related_name='documents', on_delete=OnDelete.RESTRICT)),
                ('kind', fields.CharEnumField(description='ID_CARD_FRONT: ID_CARD_FRONT\nID_CARD_BACK: ID_CARD_BACK\nHOUSEHOLD_REGISTER: HOUSEHOLD_REGISTER\nBUSINESS_LICENCE: BUSINESS_LICENCE\nPHOTO: PHOTO\nCERTIFICATE: CERTIFICATE\nOTHER: OTHER', enum_type=DocumentKind, max_length=24)),
                ('file_name', fields.CharField(max_length=128)),
                ('declared_content_type', fields.CharField(max_length=64)),
                ('detected_content_type', fields.CharField(null=True, max_length=64)),
                ('declared_size', fields.BigIntField()),
                ('size', fields.BigIntField()),
                ('sha256', fields.CharField(null=True, max_length=64)),
                ('status', fields.CharEnumField(default=DocumentStatus.PENDING, description='PENDING: PENDING\nAVAILABLE: AVAILABLE\nREJECTED: REJECTED', enum_type=DocumentStatus, max_length=12)),
                ('rejection_reason', fields.CharEnumField(null=True, description='TYPE_MISMATCH: TYPE_MISMATCH\nTOO_LARGE: TOO_LARGE\nEMPTY: EMPTY\nMALWARE: MALWARE', enum_type=RejectionReason, max_length=16)),
                ('trust_level', fields.CharEnumField(default=TrustLevel.C, description='A: A\nB: B\nC: C\nD: D', enum_type=TrustLevel, max_length=1)),
                ('issuer', fields.ForeignKeyField('models.Department', source_field='issuer_id', null=True, db_constraint=True, to_field='id', related_name='issued_documents', on_delete=OnDelete.RESTRICT)),
                ('valid_from', fields.DateField(null=True)),
                ('valid_until', fields.DateField(null=True)),
                ('object_key', fields.CharField(max_length=128)),
                ('upload_expires_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('confirming_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('confirmed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('verified_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('verified_by_id', fields.UUIDField(null=True)),
            ],
            options={'table': 'document', 'app': 'models', 'indexes': [Index(fields=['owner_id', 'created_at']), Index(fields=['status', 'upload_expires_at'])], 'pk_attr': 'id', 'table_description': "One file in a resident's wallet."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DocumentAccess',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
                ('document_id', fields.UUIDField(db_index=True)),
                ('actor_id', fields.UUIDField(db_index=True)),
                ('action', fields.CharEnumField(description='DOWNLOAD: DOWNLOAD\nVERIFY_ORIGINAL: VERIFY_ORIGINAL', enum_type=AccessAction, max_length=16)),
                ('reason', fields.CharField(max_length=200)),
                ('request_id', fields.CharField(default='', max_length=36)),
            ],
            options={'table': 'document_access', 'app': 'models', 'pk_attr': 'id', 'table_description': "A staff member's access to someone else's document: who, when, why, which document."},
            bases=['Model'],
        ),
    ]

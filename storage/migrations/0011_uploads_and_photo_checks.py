from tortoise import migrations
from tortoise.migrations import operations as ops
from storage.models.appeals import AppealEventType, PhotoCheck
from storage.models.documents import RejectionReason
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0010_appeals')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='AppealEvent',
            name='type',
            field=fields.CharEnumField(description='FILED: FILED\nHELD: HELD\nRELEASED: RELEASED\nREJECTED: REJECTED\nDISPATCHED: DISPATCHED\nREDISPATCHED: REDISPATCHED\nSIGNED: SIGNED\nRETURNED: RETURNED\nEXTENSION_REQUESTED: EXTENSION_REQUESTED\nEXTENSION_APPROVED: EXTENSION_APPROVED\nEXTENSION_DENIED: EXTENSION_DENIED\nREPLIED: REPLIED\nRATED: RATED\nREOPENED: REOPENED\nMERGED: MERGED\nABSORBED: ABSORBED\nSUPERVISED: SUPERVISED\nCLOSED: CLOSED\nREVISITED: REVISITED\nPHOTO_REMOVED: PHOTO_REMOVED', enum_type=AppealEventType, max_length=24),
        ),
        ops.AlterModelOptions(
            name='AppealPhoto',
            options={'table': 'appeal_photo', 'app': 'models', 'unique_together': (('appeal_id', 'document_id'),), 'indexes': [Index(fields=['document_id']), Index(fields=['check_status', 'check_requested_at'])], 'pk_attr': 'id', 'table_description': 'A wallet photo attached to an appeal, with the state of its image check.'},
        ),
        ops.AddField(
            model_name='AppealPhoto',
            name='check_label',
            field=fields.IntField(null=True, description="WeChat's label (100: normal)"),
        ),
        ops.AddField(
            model_name='AppealPhoto',
            name='check_requested_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='AppealPhoto',
            name='check_status',
            field=fields.CharEnumField(default=PhotoCheck.NOT_REQUIRED, description='NOT_REQUIRED: NOT_REQUIRED\nPENDING: PENDING\nPASSED: PASSED\nREVIEW: REVIEW\nRISKY: RISKY', enum_type=PhotoCheck, max_length=12),
        ),
        ops.AddField(
            model_name='AppealPhoto',
            name='check_trace_id',
            field=fields.CharField(null=True, unique=True, max_length=64),
        ),
        ops.AddField(
            model_name='AppealPhoto',
            name='checked_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddIndex(
            model_name='AppealPhoto',
            index=Index(fields=['check_status', 'check_requested_at']),
        ),
        ops.AlterField(
            model_name='Document',
            name='rejection_reason',
            field=fields.CharEnumField(null=True, description='TYPE_MISMATCH: TYPE_MISMATCH\nTOO_LARGE: TOO_LARGE\nEMPTY: EMPTY\nMALWARE: MALWARE\nIMAGE_TOO_LARGE: IMAGE_TOO_LARGE\nIMAGE_UNREADABLE: IMAGE_UNREADABLE\nQUOTA_EXCEEDED: QUOTA_EXCEEDED', enum_type=RejectionReason, max_length=16),
        ),
        ops.AddField(
            model_name='Document',
            name='original_sha256',
            field=fields.CharField(null=True, max_length=64),
        ),
        ops.AddField(
            model_name='Document',
            name='original_size',
            field=fields.BigIntField(null=True),
        ),
        # Files confirmed until now were stored as uploaded.
        ops.RunSQL(
            'UPDATE "document" SET "original_sha256" = "sha256", "original_size" = "size" '
            "WHERE \"sha256\" IS NOT NULL"
        ),
        # SQLite has no ALTER COLUMN: Tortoise rebuilds the tables above and loses their
        # indexes. Put them back under the names 0003 and 0010 gave them (a no-op on
        # PostgreSQL, which kept them).
        ops.RunSQL([
            'CREATE INDEX IF NOT EXISTS "idx_document_owner_i_66965e" ON "document" ("owner_id", "created_at")',
            'CREATE INDEX IF NOT EXISTS "idx_document_status_2c4df9" ON "document" ("status", "upload_expires_at")',
            'CREATE INDEX IF NOT EXISTS "idx_appeal_even_appeal__146d6d" ON "appeal_event" ("appeal_id", "seq")',
        ]),
    ]

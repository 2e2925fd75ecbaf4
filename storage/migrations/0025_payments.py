from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from storage.models.documents import DocumentKind
from storage.models.payments import AnomalyKind, ChargeStage, OrderStatus, PaymentChannel, PaymentStatus, RefundStatus
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0024_delegation_inspections_delivery')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Payment',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('application_id', fields.UUIDField(unique=True)),
                ('owner_id', fields.UUIDField(db_index=True)),
                ('department_id', fields.UUIDField()),
                ('stage', fields.CharEnumField(description='ON_SUBMISSION: ON_SUBMISSION\nAFTER_ACCEPTANCE: AFTER_ACCEPTANCE\nBEFORE_RESULT: BEFORE_RESULT', enum_type=ChargeStage, max_length=20)),
                ('status', fields.CharEnumField(description='PENDING: PENDING\nDUE: DUE\nPAID: PAID\nEXEMPT: EXEMPT\nCANCELLED: CANCELLED\nREFUNDED: REFUNDED', enum_type=PaymentStatus, max_length=12)),
                ('amount_fen', fields.IntField(description='what is due: the items not exempted')),
                ('paid_fen', fields.IntField(default=0)),
                ('refunded_fen', fields.IntField(default=0, description='refunds asked for, not only done')),
                ('due_by', fields.DateField(null=True, description='pay by then (China time)')),
                ('description', fields.CharField(description='shown to the payer', max_length=127)),
                ('paid_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('transaction_id', fields.CharField(null=True, max_length=32)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'payment', 'app': 'models', 'indexes': [Index(fields=['status', 'paid_at'])], 'pk_attr': 'id', 'table_description': "What one application owes, as fixed from the guide's fee items when it was submitted"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PaymentAnomaly',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('kind', fields.CharEnumField(description='UNKNOWN_ORDER: UNKNOWN_ORDER\nAMOUNT_MISMATCH: AMOUNT_MISMATCH\nMERCHANT_MISMATCH: MERCHANT_MISMATCH\nPAID_AFTER_CLOSE: PAID_AFTER_CLOSE\nUNKNOWN_REFUND: UNKNOWN_REFUND\nREFUND_AMOUNT_MISMATCH: REFUND_AMOUNT_MISMATCH', enum_type=AnomalyKind, max_length=24)),
                ('out_trade_no', fields.CharField(db_index=True, max_length=32)),
                ('out_refund_no', fields.CharField(null=True, max_length=64)),
                ('notification_id', fields.CharField(null=True, max_length=64)),
                ('transaction_id', fields.CharField(null=True, max_length=32)),
                ('expected_fen', fields.IntField(null=True)),
                ('reported_fen', fields.IntField(null=True)),
                ('note', fields.CharField(default='', max_length=300)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'payment_anomaly', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Something WeChat Pay reported that does not match our records, for finance to handle:'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PaymentItem',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('payment', fields.ForeignKeyField('models.Payment', source_field='payment_id', db_constraint=True, to_field='id', related_name='items', on_delete=OnDelete.CASCADE)),
                ('position', fields.IntField()),
                ('name', fields.CharField(max_length=128)),
                ('unit', fields.CharField(default='', max_length=16)),
                ('legal_basis', fields.TextField(unique=False)),
                ('amount_fen', fields.IntField()),
                ('stage', fields.CharEnumField(description='ON_SUBMISSION: ON_SUBMISSION\nAFTER_ACCEPTANCE: AFTER_ACCEPTANCE\nBEFORE_RESULT: BEFORE_RESULT', enum_type=ChargeStage, max_length=20)),
                ('department_id', fields.UUIDField()),
                ('exemptions', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('exempted_by_rule', fields.CharField(null=True, max_length=32)),
                ('exemption_reason', fields.CharField(default='', max_length=300)),
                ('exempted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('exempted_by_id', fields.UUIDField(null=True)),
            ],
            options={'table': 'payment_item', 'app': 'models', 'unique_together': (('payment_id', 'position'),), 'pk_attr': 'id', 'table_description': 'One fee item of a payment, with its exemption when one applies.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PaymentNotification',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('notification_id', fields.CharField(unique=True, max_length=64)),
                ('event_type', fields.CharField(max_length=32)),
                ('out_trade_no', fields.CharField(db_index=True, max_length=32)),
                ('out_refund_no', fields.CharField(null=True, max_length=64)),
                ('applied', fields.BooleanField(description='false: kept as an anomaly, nothing changed')),
                ('received_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'payment_notification', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Every notification applied (or found not to match), once: WeChat retries for about a'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PaymentOrder',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('payment', fields.ForeignKeyField('models.Payment', source_field='payment_id', db_constraint=True, to_field='id', related_name='orders', on_delete=OnDelete.RESTRICT)),
                ('out_trade_no', fields.CharField(unique=True, max_length=32)),
                ('channel', fields.CharEnumField(description='JSAPI: JSAPI\nAPP: APP', enum_type=PaymentChannel, max_length=8)),
                ('amount_fen', fields.IntField()),
                ('status', fields.CharEnumField(default=OrderStatus.OPEN, description='OPEN: OPEN\nPAID: PAID\nCLOSED: CLOSED', enum_type=OrderStatus, max_length=8)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('client_payment', fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
                ('transaction_id', fields.CharField(null=True, max_length=32)),
                ('paid_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('closed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_queried_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'payment_order', 'app': 'models', 'indexes': [Index(fields=['status', 'expires_at']), Index(fields=['payment_id', 'status'])], 'pk_attr': 'id', 'table_description': 'One WeChat Pay order for a payment. At most one OPEN per payment (the payment row is'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PaymentReceipt',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('payment', fields.ForeignKeyField('models.Payment', source_field='payment_id', db_constraint=True, to_field='id', related_name='receipts', on_delete=OnDelete.RESTRICT)),
                ('number', fields.CharField(unique=True, max_length=32)),
                ('amount_fen', fields.IntField()),
                ('department_id', fields.UUIDField()),
                ('document_id', fields.UUIDField(null=True)),
                ('issued_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'payment_receipt', 'app': 'models', 'unique_together': (('payment_id', 'department_id'),), 'pk_attr': 'id', 'table_description': '财政电子票据: issued by each charging department for what it charged of a paid fee,'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PaymentRefund',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('payment', fields.ForeignKeyField('models.Payment', source_field='payment_id', db_constraint=True, to_field='id', related_name='refunds', on_delete=OnDelete.RESTRICT)),
                ('order', fields.ForeignKeyField('models.PaymentOrder', source_field='order_id', db_constraint=True, to_field='id', related_name='refunds', on_delete=OnDelete.RESTRICT)),
                ('out_refund_no', fields.CharField(unique=True, max_length=64)),
                ('amount_fen', fields.IntField()),
                ('reason', fields.CharField(max_length=80)),
                ('status', fields.CharEnumField(default=RefundStatus.PENDING, description='PENDING: PENDING\nPROCESSING: PROCESSING\nSUCCESS: SUCCESS\nFAILED: FAILED', enum_type=RefundStatus, max_length=12)),
                ('refund_id', fields.CharField(null=True, max_length=32)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('succeeded_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'payment_refund', 'app': 'models', 'indexes': [Index(fields=['status', 'created_at'])], 'pk_attr': 'id', 'table_description': 'A refund of (part of) a paid order: written with the change that causes it, asked of'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ReceiptCounter',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('department_id', fields.UUIDField()),
                ('year', fields.IntField()),
                ('issued', fields.IntField(default=0)),
            ],
            options={'table': 'receipt_counter', 'app': 'models', 'unique_together': (('department_id', 'year'),), 'pk_attr': 'id', 'table_description': 'The last receipt number a charging department gave out in a year.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Reconciliation',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('day', fields.DateField(db_index=True)),
                ('lines', fields.IntField()),
                ('matched', fields.IntField()),
                ('paid_but_unknown', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('known_but_unpaid', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('amount_mismatches', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('clean', fields.BooleanField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'payment_reconciliation', 'app': 'models', 'pk_attr': 'id', 'table_description': "One day's reconciliation against WeChat Pay's trade bill: the counts, and each"},
            bases=['Model'],
        ),
        ops.AlterField(
            model_name='Document',
            name='kind',
            field=fields.CharEnumField(description='ID_CARD_FRONT: ID_CARD_FRONT\nID_CARD_BACK: ID_CARD_BACK\nHOUSEHOLD_REGISTER: HOUSEHOLD_REGISTER\nBUSINESS_LICENCE: BUSINESS_LICENCE\nPHOTO: PHOTO\nCERTIFICATE: CERTIFICATE\nRECEIPT: RECEIPT\nOTHER: OTHER', enum_type=DocumentKind, max_length=24),
        ),
    ]

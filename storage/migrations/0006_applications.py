from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from storage.models.applications import ApplicationStatus, EventType, MaterialState, RatingLevel, RectificationStatus, TaskStatus
from storage.models.calendar import CalendarSource
from storage.models.catalogue import Channel, MaterialSource, Necessity
from storage.models.outbox import OutboxStatus, next_seq
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0005_catalogue_indexes')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Application',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('number', fields.CharField(unique=True, description='CD + date + sequence', max_length=24)),
                ('owner', fields.ForeignKeyField('models.Account', source_field='owner_id', db_constraint=True, to_field='id', related_name='applications', on_delete=OnDelete.RESTRICT)),
                ('implementation', fields.ForeignKeyField('models.Implementation', source_field='implementation_id', db_constraint=True, to_field='id', related_name='applications', on_delete=OnDelete.RESTRICT)),
                ('department', fields.ForeignKeyField('models.Department', source_field='department_id', db_constraint=True, to_field='id', related_name='applications', on_delete=OnDelete.RESTRICT)),
                ('region', fields.ForeignKeyField('models.Region', source_field='region_id', db_constraint=True, to_field='id', related_name='applications', on_delete=OnDelete.RESTRICT)),
                ('parent', fields.ForeignKeyField('models.Application', source_field='parent_id', null=True, db_constraint=True, to_field='id', related_name='children', on_delete=OnDelete.RESTRICT)),
                ('status', fields.CharEnumField(description='SUBMITTED: SUBMITTED\nSUPPLEMENT_REQUESTED: SUPPLEMENT_REQUESTED\nACCEPTED: ACCEPTED\nNOT_ACCEPTED: NOT_ACCEPTED\nAPPROVED: APPROVED\nDENIED: DENIED\nCOMPLETED: COMPLETED\nWITHDRAWN: WITHDRAWN', enum_type=ApplicationStatus, max_length=24)),
                ('resume_status', fields.CharEnumField(null=True, description='SUBMITTED: SUBMITTED\nSUPPLEMENT_REQUESTED: SUPPLEMENT_REQUESTED\nACCEPTED: ACCEPTED\nNOT_ACCEPTED: NOT_ACCEPTED\nAPPROVED: APPROVED\nDENIED: DENIED\nCOMPLETED: COMPLETED\nWITHDRAWN: WITHDRAWN', enum_type=ApplicationStatus, max_length=24)),
                ('channel', fields.CharEnumField(description='WEB_HALL: WEB_HALL\nSERVICE_HALL: SERVICE_HALL\nTERMINAL: TERMINAL\nMOBILE_APP: MOBILE_APP\nMINI_PROGRAM: MINI_PROGRAM\nTV_HALL: TV_HALL', enum_type=Channel, max_length=16)),
                ('terminal', fields.ForeignKeyField('models.Terminal', source_field='terminal_id', null=True, db_constraint=True, to_field='id', related_name='applications', on_delete=OnDelete.RESTRICT)),
                ('window_staff_id', fields.UUIDField(null=True, description='SERVICE_HALL: the clerk')),
                ('form_sealed', fields.TextField(null=True, unique=False)),
                ('submitted_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('acceptance_due_date', fields.DateField(null=True)),
                ('accepted_on', fields.DateField(null=True)),
                ('due_date', fields.DateField(null=True, description='completion deadline')),
                ('due_beyond_calendar', fields.BooleanField(default=False, description='a deadline falls past the last year the calendar knows')),
                ('stopped_on', fields.DateField(null=True, description='补正: the clock stopped that day')),
                ('stopped_working_days', fields.IntField(default=0)),
                ('reason', fields.CharField(default='', description='why not accepted/denied', max_length=500)),
                ('result_document', fields.ForeignKeyField('models.Document', source_field='result_document_id', null=True, db_constraint=True, to_field='id', related_name='result_of', on_delete=OnDelete.SET_NULL)),
                ('warned_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('overdue_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'application', 'app': 'models', 'indexes': [Index(fields=['owner_id', 'submitted_at']), Index(fields=['department_id', 'status']), Index(fields=['status', 'due_date'])], 'pk_attr': 'id', 'table_description': "One resident's application under one exact published implementation version."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ApplicationCounter',
            fields=[
                ('day', fields.DateField(primary_key=True, unique=True, db_index=True)),
                ('issued', fields.IntField(default=0)),
            ],
            options={'table': 'application_counter', 'app': 'models', 'pk_attr': 'day', 'table_description': 'The last application number given out on one day (China time).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ApplicationEvent',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('seq', fields.BigIntField(default=next_seq, description='order within the application')),
                ('application', fields.ForeignKeyField('models.Application', source_field='application_id', db_constraint=True, to_field='id', related_name='events', on_delete=OnDelete.CASCADE)),
                ('type', fields.CharEnumField(description='SUBMITTED: SUBMITTED\nACCEPTED: ACCEPTED\nNOT_ACCEPTED: NOT_ACCEPTED\nSUPPLEMENT_REQUESTED: SUPPLEMENT_REQUESTED\nSUPPLEMENTED: SUPPLEMENTED\nTASK_APPROVED: TASK_APPROVED\nTASK_DENIED: TASK_DENIED\nAPPROVED: APPROVED\nDENIED: DENIED\nCOMPLETED: COMPLETED\nWITHDRAWN: WITHDRAWN\nDEADLINE_WARNING: DEADLINE_WARNING\nOVERDUE: OVERDUE\nRATED: RATED', enum_type=EventType, max_length=24)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('actor_id', fields.UUIDField(null=True, description='null: the system (deadline scanner)')),
                ('task_id', fields.UUIDField(null=True)),
                ('status', fields.CharEnumField(description='status after', enum_type=ApplicationStatus, max_length=24)),
                ('note', fields.CharField(default='', max_length=500)),
            ],
            options={'table': 'application_event', 'app': 'models', 'indexes': [Index(fields=['application_id', 'seq'])], 'pk_attr': 'id', 'table_description': 'The timeline and audit trail: who did what to the application, when, and why.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ApplicationMaterial',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('application', fields.ForeignKeyField('models.Application', source_field='application_id', db_constraint=True, to_field='id', related_name='materials', on_delete=OnDelete.CASCADE)),
                ('position', fields.IntField(description="index in the guide's material list")),
                ('name', fields.CharField(max_length=128)),
                ('necessity', fields.CharEnumField(description='REQUIRED: REQUIRED\nOPTIONAL: OPTIONAL\nDEFERRABLE: DEFERRABLE', enum_type=Necessity, max_length=12)),
                ('source', fields.CharEnumField(description='APPLICANT: APPLICANT\nGOVERNMENT: GOVERNMENT', enum_type=MaterialSource, max_length=12)),
                ('document_kind', fields.CharField(null=True, max_length=32)),
                ('document', fields.ForeignKeyField('models.Document', source_field='document_id', null=True, db_constraint=True, to_field='id', related_name='application_uses', on_delete=OnDelete.SET_NULL)),
                ('state', fields.CharEnumField(description='PROVIDED: PROVIDED\nFROM_WALLET: FROM_WALLET\nFROM_ISSUER: FROM_ISSUER\nOWED: OWED\nMISSING: MISSING', enum_type=MaterialState, max_length=12)),
            ],
            options={'table': 'application_material', 'app': 'models', 'indexes': [Index(fields=['document_id'])], 'pk_attr': 'id', 'table_description': 'How one material of the guide was satisfied (which wallet document, or owed).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ApplicationTask',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('application', fields.ForeignKeyField('models.Application', source_field='application_id', db_constraint=True, to_field='id', related_name='tasks', on_delete=OnDelete.CASCADE)),
                ('department', fields.ForeignKeyField('models.Department', source_field='department_id', db_constraint=True, to_field='id', related_name='application_tasks', on_delete=OnDelete.RESTRICT)),
                ('lead', fields.BooleanField(default=False, description="the implementation's own organ")),
                ('status', fields.CharEnumField(default=TaskStatus.PENDING, description='PENDING: PENDING\nAPPROVED: APPROVED\nDENIED: DENIED\nCANCELLED: CANCELLED', enum_type=TaskStatus, max_length=12)),
                ('due_date', fields.DateField(null=True)),
                ('acted_by_id', fields.UUIDField(null=True)),
                ('acted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('note', fields.CharField(default='', max_length=500)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'application_task', 'app': 'models', 'unique_together': (('application_id', 'department_id'),), 'indexes': [Index(fields=['department_id', 'status', 'due_date'])], 'pk_attr': 'id', 'table_description': "One department's part of an accepted application, handled in parallel with the rest."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CalendarDay',
            fields=[
                ('day', fields.DateField(primary_key=True, unique=True, db_index=True)),
                ('is_workday', fields.BooleanField()),
                ('note', fields.CharField(default='', max_length=64)),
                ('source', fields.CharEnumField(description='CHINESECALENDAR: chinesecalendar\nADMIN: admin', enum_type=CalendarSource, max_length=16)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'calendar_day', 'app': 'models', 'pk_attr': 'day', 'table_description': 'Whether a date (China time) is a working day. Weekends are rest days unless they are'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='IdempotencyRecord',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('principal_id', fields.UUIDField()),
                ('scope', fields.CharField(description='the mutation, e.g. submitApplication', max_length=32)),
                ('key', fields.CharField(max_length=128)),
                ('request_hash', fields.CharField(max_length=64)),
                ('application', fields.ForeignKeyField('models.Application', source_field='application_id', db_constraint=True, to_field='id', related_name='idempotency_keys', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'idempotency_record', 'app': 'models', 'unique_together': (('principal_id', 'scope', 'key'),), 'pk_attr': 'id', 'table_description': "A client's idempotency key: the same key and input return the first result."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Notification',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='notifications', on_delete=OnDelete.CASCADE)),
                ('outbox_id', fields.UUIDField()),
                ('topic', fields.CharField(description='APPLICATION_STATUS, DEADLINE, ...', max_length=32)),
                ('subject_id', fields.UUIDField(null=True, description='e.g. the application')),
                ('title', fields.CharField(max_length=64)),
                ('body', fields.CharField(max_length=200)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('read_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'notification', 'app': 'models', 'unique_together': (('outbox_id', 'account_id'),), 'indexes': [Index(fields=['account_id', 'created_at'])], 'pk_attr': 'id', 'table_description': "One message in an account's inbox. `outbox_id` makes delivery idempotent: an outbox"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OutboxMessage',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('seq', fields.BigIntField(default=next_seq, db_index=True)),
                ('kind', fields.CharField(max_length=48)),
                ('payload', fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
                ('key', fields.CharField(description='stream: strict order within one key', max_length=64)),
                ('status', fields.CharEnumField(default=OutboxStatus.PENDING, description='PENDING: PENDING\nFAILED: FAILED\nDELIVERED: DELIVERED\nDEAD: DEAD', enum_type=OutboxStatus, max_length=12)),
                ('attempts', fields.IntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('claimed_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_error', fields.CharField(default='', description='never personal data', max_length=200)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('delivered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'outbox_message', 'app': 'models', 'indexes': [Index(fields=['status', 'next_attempt_at']), Index(fields=['key', 'seq'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Rating',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('application', fields.OneToOneField('models.Application', source_field='application_id', db_constraint=True, to_field='id', related_name='rating', on_delete=OnDelete.CASCADE)),
                ('level', fields.CharEnumField(description='VERY_SATISFIED: VERY_SATISFIED\nSATISFIED: SATISFIED\nBASICALLY_SATISFIED: BASICALLY_SATISFIED\nDISSATISFIED: DISSATISFIED\nVERY_DISSATISFIED: VERY_DISSATISFIED', enum_type=RatingLevel, max_length=20)),
                ('score', fields.IntField(description='5 very satisfied .. 1 very dissatisfied')),
                ('comment', fields.CharField(default='', max_length=200)),
                ('base_code', fields.CharField(db_index=True, max_length=32)),
                ('department_id', fields.UUIDField(db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'rating', 'app': 'models', 'pk_attr': 'id', 'table_description': '好差评: one rating per finished application.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Rectification',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('rating', fields.OneToOneField('models.Rating', source_field='rating_id', db_constraint=True, to_field='id', related_name='rectification', on_delete=OnDelete.CASCADE)),
                ('application_id', fields.UUIDField()),
                ('department', fields.ForeignKeyField('models.Department', source_field='department_id', db_constraint=True, to_field='id', related_name='rectifications', on_delete=OnDelete.RESTRICT)),
                ('status', fields.CharEnumField(description='OPEN: OPEN\nREVISITED: REVISITED', enum_type=RectificationStatus, max_length=12)),
                ('due_date', fields.DateField(null=True)),
                ('due_beyond_calendar', fields.BooleanField(default=False)),
                ('revisit_note', fields.CharField(default='', max_length=500)),
                ('revisited_by_id', fields.UUIDField(null=True)),
                ('revisited_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'rectification', 'app': 'models', 'indexes': [Index(fields=['department_id', 'status'])], 'pk_attr': 'id', 'table_description': 'A 差评 opens one: the department fixes the cause and records a revisit by the deadline.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SubscriptionGrant',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='subscription_grants', on_delete=OnDelete.CASCADE)),
                ('template_id', fields.CharField(max_length=64)),
                ('remaining', fields.IntField(default=0)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'subscription_grant', 'app': 'models', 'unique_together': (('account_id', 'template_id'),), 'pk_attr': 'id', 'table_description': 'How many subscribe messages of one template the account allowed (one per accept).'},
            bases=['Model'],
        ),
    ]

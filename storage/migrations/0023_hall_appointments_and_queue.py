from tortoise import migrations
from tortoise.migrations import operations as ops
from storage.models.hall import AppointmentStatus, TicketKind, TicketStatus
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0022_hall_windows_and_centre_staff')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AppointmentSlot',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('centre', fields.ForeignKeyField('models.ServiceCentre', source_field='centre_id', db_constraint=True, to_field='id', related_name='appointment_slots', on_delete=OnDelete.CASCADE)),
                ('group', fields.CharField(max_length=8)),
                ('starts_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ends_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('capacity', fields.SmallIntField()),
                ('booked', fields.SmallIntField(default=0)),
            ],
            options={'table': 'appointment_slot', 'app': 'models', 'unique_together': (('centre_id', 'group', 'starts_at'),), 'pk_attr': 'id', 'table_description': 'One bookable time slot of a queue group on a day. Created when first booked, with the'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Appointment',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('resident', fields.ForeignKeyField('models.Account', source_field='resident_id', db_constraint=True, to_field='id', related_name='appointments', on_delete=OnDelete.CASCADE)),
                ('slot', fields.ForeignKeyField('models.AppointmentSlot', source_field='slot_id', db_constraint=True, to_field='id', related_name='appointments', on_delete=OnDelete.RESTRICT)),
                ('centre', fields.ForeignKeyField('models.ServiceCentre', source_field='centre_id', db_constraint=True, to_field='id', related_name='appointments', on_delete=OnDelete.CASCADE)),
                ('implementation', fields.ForeignKeyField('models.Implementation', source_field='implementation_id', db_constraint=True, to_field='id', related_name='appointments', on_delete=OnDelete.RESTRICT)),
                ('service_code', fields.CharField(max_length=96)),
                ('service_name', fields.CharField(max_length=256)),
                ('group', fields.CharField(max_length=8)),
                ('day', fields.DateField()),
                ('starts_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ends_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('status', fields.CharEnumField(default=AppointmentStatus.BOOKED, description='BOOKED: BOOKED\nCANCELLED: CANCELLED\nCHECKED_IN: CHECKED_IN\nNO_SHOW: NO_SHOW', enum_type=AppointmentStatus, max_length=12)),
                ('active_key', fields.CharField(null=True, unique=True, max_length=160)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('cancelled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('checked_in_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'appointment', 'app': 'models', 'indexes': [Index(fields=['resident_id', 'starts_at'])], 'pk_attr': 'id', 'table_description': "A resident's booking (预约) of a slot for one item at a centre."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CentreHours',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('centre', fields.ForeignKeyField('models.ServiceCentre', source_field='centre_id', db_constraint=True, to_field='id', related_name='opening_hours', on_delete=OnDelete.CASCADE)),
                ('weekday', fields.SmallIntField()),
                ('opens_minute', fields.SmallIntField()),
                ('closes_minute', fields.SmallIntField()),
            ],
            options={'table': 'centre_hours', 'app': 'models', 'unique_together': (('centre_id', 'weekday'),), 'pk_attr': 'id', 'table_description': 'When a centre is open on one weekday (0 Monday … 6 Sunday). A weekday without a row is'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='HallAudit',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('centre', fields.ForeignKeyField('models.ServiceCentre', source_field='centre_id', db_constraint=True, to_field='id', related_name='hall_audit', on_delete=OnDelete.CASCADE)),
                ('actor', fields.ForeignKeyField('models.Account', source_field='actor_id', db_constraint=True, to_field='id', related_name='hall_actions', on_delete=OnDelete.RESTRICT)),
                ('action', fields.CharField(max_length=32)),
                ('subject_id', fields.UUIDField(null=True)),
                ('detail', fields.CharField(default='', max_length=256)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'hall_audit', 'app': 'models', 'indexes': [Index(fields=['centre_id', 'at'])], 'pk_attr': 'id', 'table_description': 'What centre staff did in the hall (windows, hours, staff, calls), for the audit trail.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='HallTerminal',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('centre', fields.ForeignKeyField('models.ServiceCentre', source_field='centre_id', db_constraint=True, to_field='id', related_name='hall_terminals', on_delete=OnDelete.CASCADE)),
                ('terminal', fields.ForeignKeyField('models.Terminal', source_field='terminal_id', unique=True, db_constraint=True, to_field='id', related_name='hall', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'hall_terminal', 'app': 'models', 'pk_attr': 'id', 'table_description': "A self-service terminal standing in a centre's hall: it issues walk-in queue tickets"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='QueueCounter',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('centre', fields.ForeignKeyField('models.ServiceCentre', source_field='centre_id', db_constraint=True, to_field='id', related_name='queue_counters', on_delete=OnDelete.CASCADE)),
                ('group', fields.CharField(max_length=8)),
                ('day', fields.DateField()),
                ('last_number', fields.IntField(default=0)),
            ],
            options={'table': 'queue_counter', 'app': 'models', 'unique_together': (('centre_id', 'group', 'day'),), 'pk_attr': 'id', 'table_description': 'The last ticket number given in a queue group of a centre on a day.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='QueueTicket',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('centre', fields.ForeignKeyField('models.ServiceCentre', source_field='centre_id', db_constraint=True, to_field='id', related_name='queue_tickets', on_delete=OnDelete.CASCADE)),
                ('group', fields.CharField(max_length=8)),
                ('day', fields.DateField()),
                ('number', fields.IntField()),
                ('kind', fields.CharEnumField(description='APPOINTMENT: APPOINTMENT\nWALK_IN: WALK_IN', enum_type=TicketKind, max_length=12)),
                ('status', fields.CharEnumField(default=TicketStatus.WAITING, description='WAITING: WAITING\nCALLED: CALLED\nSERVED: SERVED\nSKIPPED: SKIPPED', enum_type=TicketStatus, max_length=8)),
                ('implementation', fields.ForeignKeyField('models.Implementation', source_field='implementation_id', db_constraint=True, to_field='id', related_name='queue_tickets', on_delete=OnDelete.RESTRICT)),
                ('service_code', fields.CharField(max_length=96)),
                ('service_name', fields.CharField(max_length=256)),
                ('appointment', fields.ForeignKeyField('models.Appointment', source_field='appointment_id', null=True, db_constraint=True, to_field='id', related_name='tickets', on_delete=OnDelete.SET_NULL)),
                ('owner', fields.ForeignKeyField('models.Account', source_field='owner_id', null=True, db_constraint=True, to_field='id', related_name='queue_tickets', on_delete=OnDelete.SET_NULL)),
                ('terminal', fields.ForeignKeyField('models.Terminal', source_field='terminal_id', null=True, db_constraint=True, to_field='id', related_name='queue_tickets', on_delete=OnDelete.SET_NULL)),
                ('queued_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('issued_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('window', fields.ForeignKeyField('models.HallWindow', source_field='window_id', null=True, db_constraint=True, to_field='id', related_name='tickets', on_delete=OnDelete.SET_NULL)),
                ('called_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('recalls', fields.SmallIntField(default=0)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('reminded', fields.BooleanField(default=False)),
            ],
            options={'table': 'queue_ticket', 'app': 'models', 'unique_together': (('centre_id', 'group', 'day', 'number'),), 'indexes': [Index(fields=['centre_id', 'group', 'day', 'status', 'queued_at'])], 'pk_attr': 'id', 'table_description': 'A number in a queue group of a centre on one day (A001 …). Tickets are called in the'},
            bases=['Model'],
        ),
    ]

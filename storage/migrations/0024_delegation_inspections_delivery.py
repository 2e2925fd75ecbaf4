from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from storage.models.delegation import AgentKind, DelegationEventType, DelegationStatus
from storage.models.delivery import DeliveryMethod, DeliveryStatus
from storage.models.inspections import FindingOutcome, InspectionEventType, InspectionResponse, InspectionStatus
from storage.models.outbox import next_seq
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0023_hall_appointments_and_queue')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CommunityHelper',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('community', fields.ForeignKeyField('models.Region', source_field='community_id', db_constraint=True, to_field='id', related_name='community_helpers', on_delete=OnDelete.RESTRICT)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='helper_of', on_delete=OnDelete.CASCADE)),
                ('registered_by_id', fields.UUIDField(description='the officer who registered the helper')),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'community_helper', 'app': 'models', 'unique_together': (('community_id', 'account_id'),), 'pk_attr': 'id', 'table_description': 'A STAFF account working as 社区代办员 for one community (a COMMUNITY region).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Delegation',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('principal', fields.ForeignKeyField('models.Account', source_field='principal_id', db_constraint=True, to_field='id', related_name='delegations_given', on_delete=OnDelete.RESTRICT)),
                ('agent', fields.ForeignKeyField('models.Account', source_field='agent_id', db_constraint=True, to_field='id', related_name='delegations_received', on_delete=OnDelete.RESTRICT)),
                ('agent_kind', fields.CharEnumField(description='RESIDENT: RESIDENT\nCOMMUNITY_HELPER: COMMUNITY_HELPER', enum_type=AgentKind, max_length=16)),
                ('helper', fields.ForeignKeyField('models.CommunityHelper', source_field='helper_id', null=True, db_constraint=True, to_field='id', related_name='delegations', on_delete=OnDelete.RESTRICT)),
                ('service_codes', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('valid_until', fields.DateField(description='China date, the last day it is in force')),
                ('status', fields.CharEnumField(description='PENDING: PENDING\nACTIVE: ACTIVE\nREVOKED: REVOKED', enum_type=DelegationStatus, max_length=8)),
                ('granted_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('accepted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'delegation', 'app': 'models', 'indexes': [Index(fields=['principal_id', 'granted_at']), Index(fields=['agent_id', 'granted_at'])], 'pk_attr': 'id', 'table_description': "A principal's grant to an agent: which items (implementation or basic codes), until"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DelegatedApplication',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('delegation', fields.ForeignKeyField('models.Delegation', source_field='delegation_id', db_constraint=True, to_field='id', related_name='applications', on_delete=OnDelete.RESTRICT)),
                ('application', fields.ForeignKeyField('models.Application', source_field='application_id', unique=True, db_constraint=True, to_field='id', related_name='delegated', on_delete=OnDelete.CASCADE)),
                ('agent_id', fields.UUIDField()),
                ('submitted_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'delegated_application', 'app': 'models', 'indexes': [Index(fields=['delegation_id', 'submitted_at'])], 'pk_attr': 'id', 'table_description': 'An application an agent submitted under a delegation: the applicant is the principal,'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DelegationEvent',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('delegation', fields.ForeignKeyField('models.Delegation', source_field='delegation_id', db_constraint=True, to_field='id', related_name='events', on_delete=OnDelete.CASCADE)),
                ('seq', fields.BigIntField(default=next_seq, description='order of the steps')),
                ('type', fields.CharEnumField(description='GRANTED: GRANTED\nACCEPTED: ACCEPTED\nREVOKED: REVOKED\nSUBMITTED: SUBMITTED', enum_type=DelegationEventType, max_length=12)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('actor_id', fields.UUIDField()),
                ('principal_id', fields.UUIDField()),
                ('agent_id', fields.UUIDField()),
                ('application_id', fields.UUIDField(null=True)),
            ],
            options={'table': 'delegation_event', 'app': 'models', 'indexes': [Index(fields=['delegation_id', 'seq'])], 'pk_attr': 'id', 'table_description': 'The trail: every step on a delegation names the principal, the agent and who acted.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Delivery',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('application', fields.ForeignKeyField('models.Application', source_field='application_id', unique=True, db_constraint=True, to_field='id', related_name='delivery', on_delete=OnDelete.CASCADE)),
                ('method', fields.CharEnumField(description='WINDOW: WINDOW\nTERMINAL: TERMINAL\nPOST: POST', enum_type=DeliveryMethod, max_length=8)),
                ('status', fields.CharEnumField(description='READY: READY\nCREATED: CREATED\nPICKED_UP: PICKED_UP\nIN_TRANSIT: IN_TRANSIT\nDELIVERED: DELIVERED', enum_type=DeliveryStatus, max_length=12)),
                ('pickup_code_hash', fields.CharField(null=True, unique=True, max_length=64)),
                ('recipient_sealed', fields.TextField(null=True, unique=False)),
                ('recipient_masked', fields.CharField(default='', max_length=64)),
                ('tracking_number', fields.CharField(null=True, unique=True, max_length=32)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'delivery', 'app': 'models', 'pk_attr': 'id', 'table_description': "The resident's one choice for an application's result."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DeliveryEvent',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('seq', fields.BigIntField(default=next_seq, description='order of the steps')),
                ('delivery', fields.ForeignKeyField('models.Delivery', source_field='delivery_id', db_constraint=True, to_field='id', related_name='events', on_delete=OnDelete.CASCADE)),
                ('status', fields.CharEnumField(description='READY: READY\nCREATED: CREATED\nPICKED_UP: PICKED_UP\nIN_TRANSIT: IN_TRANSIT\nDELIVERED: DELIVERED', enum_type=DeliveryStatus, max_length=12)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('courier_event_id', fields.CharField(null=True, unique=True, max_length=64)),
            ],
            options={'table': 'delivery_event', 'app': 'models', 'indexes': [Index(fields=['delivery_id', 'seq'])], 'pk_attr': 'id', 'table_description': "A status the delivery reached. Courier events carry the courier's event id, once."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='HelperClient',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('helper', fields.ForeignKeyField('models.CommunityHelper', source_field='helper_id', db_constraint=True, to_field='id', related_name='clients', on_delete=OnDelete.CASCADE)),
                ('resident', fields.ForeignKeyField('models.Account', source_field='resident_id', db_constraint=True, to_field='id', related_name='helped_by', on_delete=OnDelete.CASCADE)),
                ('added_by_id', fields.UUIDField()),
                ('added_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('removed_by_id', fields.UUIDField(null=True)),
                ('removed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'helper_client', 'app': 'models', 'indexes': [Index(fields=['helper_id', 'resident_id'])], 'pk_attr': 'id', 'table_description': "A resident on a helper's register: the people the helper may act for (with their"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Inspection',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('application', fields.ForeignKeyField('models.Application', source_field='application_id', unique=True, db_constraint=True, to_field='id', related_name='inspections', on_delete=OnDelete.CASCADE)),
                ('lead_department_id', fields.UUIDField()),
                ('status', fields.CharEnumField(description='PROPOSED: PROPOSED\nDECLINED: DECLINED\nSCHEDULED: SCHEDULED\nCOMPLETED: COMPLETED', enum_type=InspectionStatus, max_length=12)),
                ('round', fields.IntField(default=1)),
                ('starts_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ends_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('address', fields.CharField(max_length=200)),
                ('proposed_by_id', fields.UUIDField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('scheduled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('completed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'inspection', 'app': 'models', 'pk_attr': 'id', 'table_description': 'The joint inspection of one application (one at a time). `round` counts proposals.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='InspectionEvent',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('inspection', fields.ForeignKeyField('models.Inspection', source_field='inspection_id', db_constraint=True, to_field='id', related_name='events', on_delete=OnDelete.CASCADE)),
                ('seq', fields.BigIntField(default=next_seq, description='order of the steps')),
                ('type', fields.CharEnumField(description='PROPOSED: PROPOSED\nCONFIRMED: CONFIRMED\nDECLINED: DECLINED\nSCHEDULED: SCHEDULED\nFINDING_RECORDED: FINDING_RECORDED\nCOMPLETED: COMPLETED', enum_type=InspectionEventType, max_length=20)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('actor_id', fields.UUIDField(null=True)),
                ('department_id', fields.UUIDField(null=True)),
                ('round', fields.IntField()),
                ('note', fields.CharField(default='', max_length=500)),
            ],
            options={'table': 'inspection_event', 'app': 'models', 'indexes': [Index(fields=['inspection_id', 'seq'])], 'pk_attr': 'id', 'table_description': "The inspection's timeline: who did what for which department, when."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='InspectionParticipant',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('inspection', fields.ForeignKeyField('models.Inspection', source_field='inspection_id', db_constraint=True, to_field='id', related_name='participants', on_delete=OnDelete.CASCADE)),
                ('department_id', fields.UUIDField()),
                ('response', fields.CharEnumField(description='PENDING: PENDING\nCONFIRMED: CONFIRMED\nDECLINED: DECLINED', enum_type=InspectionResponse, max_length=12)),
                ('reason', fields.CharField(default='', max_length=500)),
                ('responded_by_id', fields.UUIDField(null=True)),
                ('responded_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('outcome', fields.CharEnumField(null=True, description='PASSED: PASSED\nFAILED: FAILED', enum_type=FindingOutcome, max_length=8)),
                ('finding', fields.CharField(default='', max_length=500)),
                ('recorded_by_id', fields.UUIDField(null=True)),
                ('recorded_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'inspection_participant', 'app': 'models', 'unique_together': (('inspection_id', 'department_id'),), 'pk_attr': 'id', 'table_description': "One department's part in the visit: its answer to the slot and its finding."},
            bases=['Model'],
        ),
    ]

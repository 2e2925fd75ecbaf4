from tortoise import migrations
from tortoise.migrations import operations as ops
from storage.models.applications import EventType
from storage.models.delivery import DeliveryStatus
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0026_devices_and_window_acceptance')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='ApplicationEvent',
            name='type',
            field=fields.CharEnumField(description='SUBMITTED: SUBMITTED\nACCEPTED: ACCEPTED\nNOT_ACCEPTED: NOT_ACCEPTED\nSUPPLEMENT_REQUESTED: SUPPLEMENT_REQUESTED\nSUPPLEMENTED: SUPPLEMENTED\nTASK_APPROVED: TASK_APPROVED\nTASK_DENIED: TASK_DENIED\nAPPROVED: APPROVED\nDENIED: DENIED\nCOMPLETED: COMPLETED\nWITHDRAWN: WITHDRAWN\nDEADLINE_WARNING: DEADLINE_WARNING\nOVERDUE: OVERDUE\nRATED: RATED\nPROGRESS: PROGRESS\nMATERIALS_HANDED_OVER: MATERIALS_HANDED_OVER\nMATERIALS_RECEIVED: MATERIALS_RECEIVED\nINSPECTION_PROPOSED: INSPECTION_PROPOSED\nINSPECTION_CONFIRMED: INSPECTION_CONFIRMED\nINSPECTION_DECLINED: INSPECTION_DECLINED\nINSPECTION_SCHEDULED: INSPECTION_SCHEDULED\nINSPECTION_FINDING: INSPECTION_FINDING', enum_type=EventType, max_length=24),
        ),
        ops.AlterField(
            model_name='Delivery',
            name='status',
            field=fields.CharEnumField(description='READY: READY\nCREATED: CREATED\nPICKED_UP: PICKED_UP\nIN_TRANSIT: IN_TRANSIT\nDELIVERED: DELIVERED\nCOLLECTED: COLLECTED', enum_type=DeliveryStatus, max_length=12),
        ),
        ops.AddField(
            model_name='Delivery',
            name='collected_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Delivery',
            name='collected_by_id',
            field=fields.UUIDField(null=True, description='WINDOW: the officer'),
        ),
        ops.AddField(
            model_name='Delivery',
            name='collected_terminal_id',
            field=fields.UUIDField(null=True),
        ),
        ops.AddField(
            model_name='Delivery',
            name='collected_window_id',
            field=fields.UUIDField(null=True),
        ),
        ops.AlterField(
            model_name='DeliveryEvent',
            name='status',
            field=fields.CharEnumField(description='READY: READY\nCREATED: CREATED\nPICKED_UP: PICKED_UP\nIN_TRANSIT: IN_TRANSIT\nDELIVERED: DELIVERED\nCOLLECTED: COLLECTED', enum_type=DeliveryStatus, max_length=12),
        ),
    ]

from tortoise import migrations
from tortoise.migrations import operations as ops
from storage.models.calendar import CalendarSource
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0013_exchange_secret_rotation')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Application',
            name='due_provisional',
            field=fields.BooleanField(default=False),
        ),
        ops.AlterField(
            model_name='CalendarDay',
            name='source',
            field=fields.CharEnumField(description='CHINESECALENDAR: chinesecalendar\nADMIN: admin\nOFFICIAL: official\nPROVISIONAL: provisional', enum_type=CalendarSource, max_length=16),
        ),
    ]

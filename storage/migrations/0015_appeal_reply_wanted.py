from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0014_provisional_deadlines')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Appeal',
            name='reply_wanted',
            field=fields.BooleanField(default=True),
        ),
    ]

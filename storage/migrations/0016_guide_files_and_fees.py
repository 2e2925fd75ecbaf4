from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0015_appeal_contact_and_catalogue')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Department',
            name='phone',
            field=fields.CharField(default='', description='咨询电话: what a guide without its own gives', max_length=32),
        ),
        ops.AddField(
            model_name='Implementation',
            name='fee_items',
            field=fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads),
        ),
        ops.AddField(
            model_name='Material',
            name='blank_form',
            field=fields.JSONField(null=True, description='空白表格', encoder=JSON_DUMPS, decoder=loads),
        ),
        ops.AddField(
            model_name='Material',
            name='sample',
            field=fields.JSONField(null=True, description='示例样表', encoder=JSON_DUMPS, decoder=loads),
        ),
        ops.AddField(
            model_name='ServiceCentre',
            name='windows',
            field=fields.CharField(default='', description='窗口: which desks serve what', max_length=256),
        ),
    ]

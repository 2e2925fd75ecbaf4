from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0004_article_items')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='Implementation',
            name='base',
            field=fields.ForeignKeyField('models.BaseItem', source_field='base_id', db_index=True, db_constraint=True, to_field='id', related_name='implementations', on_delete=OnDelete.RESTRICT),
        ),
        ops.AlterField(
            model_name='Implementation',
            name='department',
            field=fields.ForeignKeyField('models.Department', source_field='department_id', db_index=True, db_constraint=True, to_field='id', related_name='implementations', on_delete=OnDelete.RESTRICT),
        ),
        ops.AlterField(
            model_name='Material',
            name='implementation',
            field=fields.ForeignKeyField('models.Implementation', source_field='implementation_id', db_index=True, db_constraint=True, to_field='id', related_name='materials', on_delete=OnDelete.CASCADE),
        ),
        ops.AlterField(
            model_name='Region',
            name='parent',
            field=fields.ForeignKeyField('models.Region', source_field='parent_id', null=True, db_index=True, db_constraint=True, to_field='id', related_name='children', on_delete=OnDelete.RESTRICT),
        ),
        ops.AlterField(
            model_name='ServiceCentre',
            name='region',
            field=fields.ForeignKeyField('models.Region', source_field='region_id', db_index=True, db_constraint=True, to_field='id', related_name='centres', on_delete=OnDelete.RESTRICT),
        ),
        ops.AlterField(
            model_name='Terminal',
            name='community',
            field=fields.ForeignKeyField('models.Region', source_field='community_id', db_index=True, db_constraint=True, to_field='id', related_name='terminals', on_delete=OnDelete.RESTRICT),
        ),
    ]

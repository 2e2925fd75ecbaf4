from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0003_documents')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ArticleItem',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('article', fields.ForeignKeyField('models.Article', source_field='article_id', db_constraint=True, to_field='id', related_name='items', on_delete=OnDelete.CASCADE)),
                ('basic_code', fields.CharField(db_index=True, max_length=32)),
            ],
            options={'table': 'article_item', 'app': 'models', 'unique_together': (('article_id', 'basic_code'),), 'pk_attr': 'id', 'table_description': 'An item (by basic code) an article concerns.'},
            bases=['Model'],
        ),
        ops.RemoveField(model_name='Article', name='item_codes'),
    ]

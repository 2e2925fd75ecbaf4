from tortoise import migrations
from tortoise.migrations import operations as ops
from storage.models.scenarios import RecommendationKind
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0012_identity_verifications')]

    initial = False

    operations = [
        ops.AddField(
            model_name='ExchangeSystem',
            name='previous_secret_sealed',
            field=fields.TextField(null=True, unique=False),
        ),
        ops.AddField(
            model_name='ExchangeSystem',
            name='previous_secret_until',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AlterField(
            model_name='RecommendationRule',
            name='kind',
            field=fields.CharEnumField(description='DOCUMENT_EXPIRING: DOCUMENT_EXPIRING\nAGE: AGE\nREGION: REGION\nORGANISATION: ORGANISATION\nFOLLOW_UP: FOLLOW_UP\nEVERYONE: EVERYONE', enum_type=RecommendationKind, max_length=20),
        ),
    ]

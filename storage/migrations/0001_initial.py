from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from storage.models.catalogue import RegionLevel
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='AuditEvent',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
                ('actor_id', fields.UUIDField(null=True, db_index=True)),
                ('action', fields.CharField(max_length=48)),
                ('success', fields.BooleanField()),
                ('detail', fields.CharField(default='', max_length=128)),
                ('request_id', fields.CharField(default='', max_length=36)),
            ],
            options={'table': 'audit_event', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Security-relevant events (sign-ins, identity checks): who, what, when, success.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Region',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('code', fields.CharField(unique=True, max_length=12)),
                ('name', fields.CharField(max_length=64)),
                ('level', fields.CharEnumField(description='CITY: CITY\nCOUNTY: COUNTY\nZONE: ZONE\nSTREET: STREET\nCOMMUNITY: COMMUNITY', enum_type=RegionLevel, max_length=12)),
                ('parent', fields.ForeignKeyField('models.Region', source_field='parent_id', null=True, db_constraint=True, to_field='id', related_name='children', on_delete=OnDelete.RESTRICT)),
                ('retired', fields.BooleanField(default=False)),
                ('platform_code', fields.BooleanField(default=False, description='true when the code is ours, not GB/T 2260')),
            ],
            options={'table': 'region', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Department',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('code', fields.CharField(unique=True, description='unified social credit code', max_length=18)),
                ('name', fields.CharField(max_length=128)),
                ('region', fields.ForeignKeyField('models.Region', source_field='region_id', db_constraint=True, to_field='id', related_name='departments', on_delete=OnDelete.RESTRICT)),
            ],
            options={'table': 'department', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Account',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('roles', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('disabled', fields.BooleanField(default=False)),
                ('wechat_openid', fields.CharField(null=True, unique=True, max_length=64)),
                ('wechat_unionid', fields.CharField(null=True, unique=True, max_length=64)),
                ('wechat_session_key_sealed', fields.TextField(null=True, unique=False)),
                ('phone_sealed', fields.TextField(null=True, unique=False)),
                ('phone_index', fields.CharField(null=True, unique=True, max_length=64)),
                ('phone_masked', fields.CharField(null=True, max_length=16)),
                ('name_sealed', fields.TextField(null=True, unique=False)),
                ('id_number_sealed', fields.TextField(null=True, unique=False)),
                ('id_number_index', fields.CharField(null=True, unique=True, max_length=64)),
                ('id_number_masked', fields.CharField(null=True, max_length=18)),
                ('name_masked', fields.CharField(null=True, max_length=32)),
                ('identity_verified_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('username', fields.CharField(null=True, unique=True, max_length=64)),
                ('display_name', fields.CharField(null=True, max_length=64)),
                ('password_hash', fields.CharField(null=True, max_length=255)),
                ('totp_secret_sealed', fields.TextField(null=True, unique=False)),
                ('last_otp_counter', fields.BigIntField(null=True)),
                ('failed_logins', fields.IntField(default=0)),
                ('locked_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('department', fields.ForeignKeyField('models.Department', source_field='department_id', null=True, db_constraint=True, to_field='id', related_name='staff', on_delete=OnDelete.RESTRICT)),
                ('region', fields.ForeignKeyField('models.Region', source_field='region_id', null=True, db_constraint=True, to_field='id', related_name='staff', on_delete=OnDelete.RESTRICT)),
            ],
            options={'table': 'account', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One person, organ officer, provider member or device.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AuthSession',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='sessions', on_delete=OnDelete.CASCADE)),
                ('access_hash', fields.CharField(unique=True, max_length=64)),
                ('refresh_hash', fields.CharField(unique=True, max_length=64)),
                ('previous_refresh_hash', fields.CharField(null=True, db_index=True, max_length=64)),
                ('access_expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('refresh_expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('rotated_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('method', fields.CharField(max_length=16)),
            ],
            options={'table': 'auth_session', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A signed-in device: an access token and a refresh token, both stored as keyed hashes.'},
            bases=['Model'],
        ),
    ]

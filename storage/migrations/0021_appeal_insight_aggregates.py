from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

# The counts of the appeals already filed, recounted from their rows (PostgreSQL; an
# embedded SQLite database runs `rongban insights backfill`). The words behind the keyword
# digests need the secret key: `rongban insights backfill` opens them after migrating.
REBUILD_SQL = [
    "DELETE FROM appeal_stat",
    "DELETE FROM appeal_term_stat",
    """INSERT INTO appeal_stat (day, district_id, category_id, shard, appeals, open, replied,
        merged, replies, replies_on_time, reply_days, rated_satisfied,
        rated_basically_satisfied, rated_dissatisfied)
    SELECT day, district_id, category_id, 0, sum(appeals), sum(open), sum(replied), sum(merged),
        sum(replies), sum(on_time), sum(days), sum(satisfied), sum(basically), sum(dissatisfied)
    FROM (
        SELECT CAST((a.submitted_at AT TIME ZONE 'Asia/Shanghai') AS date) AS day,
            a.district_id, a.category_id,
            count(*) FILTER (WHERE a.status NOT IN ('HELD', 'REJECTED')) AS appeals,
            count(*) FILTER (WHERE a.status IN ('SUBMITTED', 'DISPATCHED', 'SIGNED', 'RETURNED'))
                AS open,
            count(*) FILTER (WHERE a.status IN ('REPLIED', 'CLOSED')) AS replied,
            count(*) FILTER (WHERE a.status = 'MERGED') AS merged,
            0 AS replies, 0 AS on_time, 0 AS days, 0 AS satisfied, 0 AS basically,
            0 AS dissatisfied
        FROM appeal a GROUP BY 1, 2, 3
        UNION ALL
        SELECT CAST((a.submitted_at AT TIME ZONE 'Asia/Shanghai') AS date),
            a.district_id, a.category_id, 0, 0, 0, 0, count(*),
            count(*) FILTER (WHERE r.on_time), coalesce(sum(r.working_days), 0), 0, 0, 0
        FROM appeal_reply r JOIN appeal a ON a.id = r.appeal_id GROUP BY 1, 2, 3
        UNION ALL
        SELECT CAST((a.submitted_at AT TIME ZONE 'Asia/Shanghai') AS date),
            a.district_id, a.category_id, 0, 0, 0, 0, 0, 0, 0,
            count(*) FILTER (WHERE g.level = 'SATISFIED'),
            count(*) FILTER (WHERE g.level = 'BASICALLY_SATISFIED'),
            count(*) FILTER (WHERE g.level = 'DISSATISFIED')
        FROM appeal_rating g JOIN appeal a ON a.id = g.appeal_id GROUP BY 1, 2, 3
    ) parts
    GROUP BY day, district_id, category_id""",
    """INSERT INTO appeal_term_stat (day, district_id, category_id, shard, digest, appeals)
    SELECT CAST((a.submitted_at AT TIME ZONE 'Asia/Shanghai') AS date),
        a.district_id, a.category_id, 0, d.digest, count(*)
    FROM appeal a, jsonb_array_elements_text(a.keyword_digests::jsonb) AS d(digest)
    WHERE a.status NOT IN ('HELD', 'REJECTED')
    GROUP BY 1, 2, 3, 5""",
]


async def backfill(apps, editor):
    if editor.client.capabilities.dialect != "postgres":
        return
    for statement in REBUILD_SQL:
        await editor.client.execute_query(statement)

class Migration(migrations.Migration):
    dependencies = [('models', '0020_public_photos_and_cancelled_invitations')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AppealStat',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('day', fields.DateField()),
                ('district_id', fields.UUIDField()),
                ('category_id', fields.UUIDField()),
                ('shard', fields.SmallIntField(default=0)),
                ('appeals', fields.IntField(default=0)),
                ('open', fields.IntField(default=0)),
                ('replied', fields.IntField(default=0)),
                ('merged', fields.IntField(default=0)),
                ('replies', fields.IntField(default=0)),
                ('replies_on_time', fields.IntField(default=0)),
                ('reply_days', fields.IntField(default=0, description='working days to reply, summed')),
                ('rated_satisfied', fields.IntField(default=0)),
                ('rated_basically_satisfied', fields.IntField(default=0)),
                ('rated_dissatisfied', fields.IntField(default=0)),
            ],
            options={'table': 'appeal_stat', 'app': 'models', 'unique_together': (('day', 'district_id', 'category_id', 'shard'),), 'indexes': [Index(fields=['district_id', 'day'])], 'pk_attr': 'id', 'table_description': 'Insight figures of the appeals filed on one China day in one district and leaf'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AppealTerm',
            fields=[
                ('digest', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('word_sealed', fields.TextField(description='SM4-GCM, context appeal.term', unique=False)),
            ],
            options={'table': 'appeal_term', 'app': 'models', 'pk_attr': 'digest', 'table_description': "A keyword's digest and the word, sealed: opened only for the hot topics shown."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AppealTermStat',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('day', fields.DateField()),
                ('district_id', fields.UUIDField()),
                ('category_id', fields.UUIDField()),
                ('shard', fields.SmallIntField(default=0)),
                ('digest', fields.CharField(max_length=64)),
                ('appeals', fields.IntField(default=0)),
            ],
            options={'table': 'appeal_term_stat', 'app': 'models', 'unique_together': (('day', 'district_id', 'category_id', 'shard', 'digest'),), 'indexes': [Index(fields=['district_id', 'day'])], 'pk_attr': 'id', 'table_description': 'How many appeals of one day, district and leaf category (those that reached the'},
            bases=['Model'],
        ),
        ops.RunPython(backfill),
    ]

"""A year of appeals for insight tests and benchmarks: synthetic by construction (no real
resident, no real case), with a realistic category mix, districts weighted by population,
seasons, texts built from each category's phrase templates, and handling that looks like
Chengdu's published figures (about 4.2 working days to reply, over 90% satisfied).

    python -m tests.perf.appeals_year --count 100000   # into RONGBAN_DATABASE_URL, then time
                                                       # appealInsights over it
"""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar
from uuid import uuid4

import orjson
from tortoise.transactions import in_transaction

from resolvers.appeals.insights import backfill
from resolvers.appeals.keywords import digests, extract
from resolvers.calendar.workdays import CHINA
from storage.crypto import Keyring
from storage.models.accounts import Account, Role
from storage.models.appeals import (
    Appeal,
    AppealCategory,
    AppealChannel,
    AppealCounter,
    AppealKind,
    AppealRating,
    AppealReply,
    AppealRoute,
    AppealStatus,
    Satisfaction,
)
from storage.models.calendar import CalendarDay
from storage.models.catalogue import Department, Region

T = TypeVar("T")

# Share of appeals by leaf category (weights; the rest of the catalogue shares `OTHER`).
MIX = {
    "0201": 9.0,
    "0301": 8.0,
    "0101": 5.5,
    "0401": 4.5,
    "0601": 4.0,
    "0203": 3.5,
    "0202": 3.5,
    "0103": 3.0,
    "0106": 3.0,
    "0902": 3.5,
    "0702": 2.5,
    "0801": 2.5,
    "0403": 2.0,
    "0402": 2.0,
    "0503": 2.5,
    "0504": 2.0,
    "0602": 2.0,
    "0604": 2.0,
    "0302": 2.0,
    "0901": 2.0,
    "0105": 1.5,
    "0104": 1.0,
    "0303": 1.5,
    "1001": 1.5,
}
OTHER = 0.8
# Month multipliers (1 = January): water, floods and noise in summer, gas in winter, unpaid
# wages before the Spring Festival, school places before September.
SEASONS: dict[str, dict[int, float]] = {
    "0401": {6: 1.5, 7: 1.8, 8: 1.8},
    "0402": {6: 2.5, 7: 3.0, 8: 2.5},
    "0201": {5: 1.2, 6: 1.4, 7: 1.5, 8: 1.5, 9: 1.2},
    "0203": {6: 1.3, 7: 1.5, 8: 1.5},
    "0403": {1: 1.8, 2: 1.6, 11: 1.4, 12: 1.8},
    "0601": {1: 2.5, 2: 1.5, 12: 2.0},
    "0702": {6: 2.0, 7: 2.5, 8: 2.0},
}
# Districts by population (2020 census, in 10,000s); zones count as their own districts.
POPULATION = {
    "510104": 90,
    "510105": 96,
    "510106": 127,
    "510107": 121,
    "510108": 138,
    "510112": 135,
    "510113": 49,
    "510114": 156,
    "510115": 97,
    "510116": 146,
    "510117": 139,
    "510118": 36,
    "510121": 80,
    "510129": 50,
    "510131": 26,
    "510181": 71,
    "510182": 78,
    "510183": 60,
    "510184": 74,
    "510185": 112,
    "5101GX": 126,
    "5101TF": 100,
}
# Points near each district's centre (approximate, for the map and for duplicates).
CENTRES = {
    "510104": (30.657, 104.083),
    "510105": (30.674, 104.062),
    "510106": (30.692, 104.052),
    "510107": (30.642, 104.043),
    "510108": (30.660, 104.101),
    "510112": (30.557, 104.274),
    "510113": (30.878, 104.251),
    "510114": (30.823, 104.159),
    "510115": (30.682, 103.856),
    "510116": (30.574, 103.923),
    "510117": (30.808, 103.888),
    "510118": (30.410, 103.811),
    "510121": (30.862, 104.412),
    "510129": (30.587, 103.521),
    "510131": (30.197, 103.506),
    "510181": (30.988, 103.647),
    "510182": (30.990, 103.958),
    "510183": (30.410, 103.464),
    "510184": (30.630, 103.673),
    "510185": (30.390, 104.547),
    "5101GX": (30.580, 104.063),
    "5101TF": (30.414, 104.070),
}
PLACES = ["小区", "菜市场旁", "学校门口", "地铁站口", "商业街", "公园旁", "老旧院落", "安置小区"]
TIMES = ["每天晚上", "凌晨", "周末", "最近一周", "这个月", "连续三天", "每天早上"]
# Phrase templates by category: {place} and {time} are filled in; a few words of each
# template carry the subject, the rest varies so that texts are not identical.
TEMPLATES: dict[str, list[str]] = {
    "0201": [
        "{place}楼下的酒吧{time}音响声音很大，吵得无法休息",
        "{place}广场舞{time}音量太大，严重扰民",
        "{place}隔壁商铺{time}用喇叭招揽生意，噪音扰民",
    ],
    "0301": [
        "{place}物业{time}不处理漏水，物业费却年年涨",
        "{place}业委会和物业公司矛盾，电梯和绿化无人管理",
        "{place}物业乱收停车费，业主多次反映无果",
    ],
    "0101": [
        "{place}{time}有流动摊贩占道经营，人行道被堵",
        "{place}商户把货物摆到人行道上占道经营",
    ],
    "0401": [
        "{place}{time}停水，没有提前通知",
        "{place}自来水水压不足，高楼层{time}没水用",
        "{place}自来水发黄有异味，担心水质",
    ],
    "0601": ["在{place}附近工地干活，老板拖欠工资三个月", "公司{time}拖欠工资，农民工讨薪无门"],
    "0203": ["{place}烧烤店{time}油烟直排，窗户都不敢开", "{place}餐馆油烟管道直接对着住户窗户"],
    "0202": [
        "{place}工地{time}夜间施工噪音很大",
        "{place}附近工地凌晨还在浇筑混凝土，施工噪音扰民",
    ],
    "0103": ["{place}路面坑洼，下雨积水，电动车容易摔倒", "{place}人行道地砖破损{time}没人修"],
    "0106": ["{place}垃圾桶满了{time}没人清运，臭味很大", "{place}建筑垃圾堆在路边一直没有清运"],
    "0902": ["在{place}商场买的家电坏了，商家拒绝售后", "{place}健身房关门跑路，预付卡无法退费"],
    "0702": [
        "孩子上小学的学位划片不清楚，{place}的学位不够",
        "{place}的孩子幼升小入学报名遇到问题",
    ],
    "0801": ["在医院看病{time}挂号难，排队时间太长", "医院医生态度不好，对病情解释不清"],
    "0403": ["{place}楼道{time}有燃气味，担心泄漏", "{place}天然气{time}停气，做不了饭"],
    "0402": ["{place}下水道堵塞，污水冒到路面", "{place}一下雨就积水内涝，车辆无法通行"],
    "0503": ["{place}路口红绿灯故障，交通拥堵", "{place}路口信号灯时间太短，行人过不了马路"],
    "0504": ["{place}停车位太少，车辆乱停", "{place}停车场收费不明码标价"],
    "0602": ["社保缴费年限查询有误，养老保险待遇受影响", "公司没有给员工缴纳社保"],
    "0604": ["医保异地就医报销手续太复杂", "医保报销比例和医院说的不一致"],
    "0302": ["{place}新房交房后墙面开裂漏水", "{place}交房时发现房屋质量问题，开发商不处理"],
    "0901": ["在{place}超市买到过期食品", "{place}餐馆后厨卫生很差，吃了拉肚子"],
    "0105": ["{place}路灯{time}不亮，晚上走路很黑", "{place}路灯坏了好久没有修"],
    "0104": ["{place}井盖缺失，晚上很危险", "{place}井盖松动，车辆经过有异响"],
    "0303": ["{place}电梯{time}困人，维保不到位", "{place}电梯经常故障停运"],
    "1001": ["{place}附近{time}有可疑人员徘徊，存在治安隐患", "{place}电动车被盗，希望加强巡逻"],
}
# Endings of the texts of categories without templates: words every appeal uses.
ENDINGS = [
    "的问题一直没有解决，希望尽快处理",
    "，想咨询一下怎么办",
    "，情况比较严重，请相关部门解决",
]
KINDS = [
    (AppealKind.COMPLAINT, 46),
    (AppealKind.HELP, 20),
    (AppealKind.CONSULTATION, 22),
    (AppealKind.SUGGESTION, 7),
    (AppealKind.REPORT, 3),
    (AppealKind.PRAISE, 2),
]
CHANNELS = [
    (AppealChannel.MINI_PROGRAM, 45),
    (AppealChannel.MOBILE_APP, 30),
    (AppealChannel.WEB_HALL, 20),
    (AppealChannel.TV_HALL, 1),
    (AppealChannel.OPEN311, 4),
]
LEVELS = [
    (Satisfaction.SATISFIED, 72),
    (Satisfaction.BASICALLY_SATISFIED, 19),
    (Satisfaction.DISSATISFIED, 9),
]


@dataclass(frozen=True, slots=True)
class Spike:
    """Extra appeals of one category in one district in one week (an outage, a flood)."""

    category: str
    district: str
    week_start: date
    count: int
    text: str


def _pick(rng: random.Random, weighted: Sequence[tuple[T, float]]) -> T:
    total = sum(w for _, w in weighted)
    roll = rng.uniform(0, total)
    for item, weight in weighted:
        roll -= weight
        if roll <= 0:
            return item
    return weighted[-1][0]


async def generate(
    keyring: Keyring,
    *,
    count: int,
    year: int = 2026,
    seed: int = 6,
    spikes: tuple[Spike, ...] = (),
    residents: int = 300,
    batch: int = 2000,
) -> dict[str, int]:
    """Writes `count` appeals filed through `year` (plus the spikes) with their replies and
    ratings, straight into the tables. Needs the demo seed (categories, regions, departments,
    the dispatch table) and the calendar."""
    rng = random.Random(seed)
    categories = {c.code: c for c in await AppealCategory.all()}
    leaves = [c for c in categories.values() if c.parent_id is not None]
    districts = {r.code: r for r in await Region.filter(code__in=list(POPULATION))}
    routes = {(r.category_id, r.region_id): r.department_id for r in await AppealRoute.all()}
    city = await Region.get(code="510100")
    centre = await Department.get(code="11510100404435553D")
    workdays = sorted(
        d.day
        for d in await CalendarDay.filter(
            day__gte=date(year, 1, 1), day__lte=date(year + 1, 2, 28), is_workday=True
        )
    )
    owners = [
        Account(id=uuid4(), roles=[Role.RESIDENT.value], display_name="合成居民（规模测试）")
        for _ in range(residents)
    ]
    await Account.bulk_create(owners, batch_size=1000)
    mix = [(leaf, MIX.get(leaf.code, OTHER)) for leaf in leaves]
    places = [(code, float(people)) for code, people in POPULATION.items() if code in districts]
    start = datetime(year, 1, 1, tzinfo=CHINA)
    days = (date(year + 1, 1, 1) - date(year, 1, 1)).days

    plan: list[tuple[AppealCategory, str, datetime, str | None]] = []
    for _ in range(count):
        # Seasons by rejection: draw a day, keep it with the category's month weight.
        leaf = _pick(rng, mix)
        while True:
            moment = start + timedelta(
                days=rng.randrange(days), minutes=rng.randrange(7 * 60, 23 * 60)
            )
            season = SEASONS.get(leaf.code, {}).get(moment.month, 1.0)
            if rng.random() * 3.0 <= season:
                break
        plan.append((leaf, _pick(rng, places), moment, None))
    for spike in spikes:
        for _ in range(spike.count):
            moment = datetime.combine(
                spike.week_start, datetime.min.time(), tzinfo=CHINA
            ) + timedelta(days=rng.randrange(7), minutes=rng.randrange(8 * 60, 22 * 60))
            plan.append((categories[spike.category], spike.district, moment, spike.text))
    plan.sort(key=lambda p: p[2])

    written = replies = ratings = 0
    now = datetime(year, 12, 31, 18, tzinfo=CHINA)
    serial: dict[date, int] = {}
    for offset in range(0, len(plan), batch):
        appeals, reply_rows, rating_rows = [], [], []
        for leaf, district_code, moment, text in plan[offset : offset + batch]:
            place = districts[district_code]
            content = text or _text(rng, leaf, place.name)
            words = extract(content)
            day = moment.date()
            serial[day] = serial.get(day, 0) + 1
            lat, lng = CENTRES[district_code]
            department = (
                routes.get((leaf.id, place.id)) or routes.get((leaf.id, city.id)) or centre.id
            )
            received = day  # the department receives it the day it is filed
            allowed = leaf.reply_days or 5
            delay = _reply_delay(rng, allowed)
            replied_on = _next_workday(workdays, received, delay)
            reply_due = _next_workday(workdays, received, allowed)
            age = (now - moment).days
            status, replied_at, closed_at = _fate(rng, age, delay, replied_on)
            appeal = Appeal(
                id=uuid4(),
                number=f"SQ{day:%Y%m%d}{serial[day]:06d}",
                owner_id=owners[rng.randrange(len(owners))].id,
                kind=_pick(rng, KINDS),
                category_id=leaf.id,
                region_id=place.id,
                district_id=place.id,
                channel=_pick(rng, CHANNELS),
                content_sealed=keyring.seal(content, context="appeal.content"),
                keywords_sealed=keyring.seal(
                    orjson.dumps(words).decode(), context="appeal.keywords"
                ),
                keyword_digests=digests(keyring, words),
                latitude=lat + rng.uniform(-0.02, 0.02),
                longitude=lng + rng.uniform(-0.02, 0.02),
                status=status,
                department_id=department,
                round=1,
                dispatched_at=moment,
                received_on=received,
                sign_due=_next_workday(
                    workdays, received, leaf.sign_days if leaf.sign_days is not None else 1
                ),
                reply_due=reply_due,
                return_until=_next_workday(workdays, received, 2),
                signed_at=moment + timedelta(hours=rng.uniform(0.5, 20))
                if status is not AppealStatus.DISPATCHED
                else None,
                replied_at=replied_at,
                closed_at=closed_at,
                submitted_at=moment.astimezone(UTC),
            )
            appeals.append(appeal)
            if replied_at is not None:
                reply_rows.append(
                    AppealReply(
                        appeal_id=appeal.id,
                        round=1,
                        department_id=department,
                        author_id=centre.id,
                        body_sealed=keyring.seal(
                            "（合成答复）已核实处理。", context="appeal.reply"
                        ),
                        on_time=replied_on <= reply_due,
                        working_days=delay,
                        created_at=replied_at,
                    )
                )
                if status is AppealStatus.CLOSED and rng.random() < 0.8:
                    level = _pick(rng, LEVELS)
                    rating_rows.append(
                        AppealRating(
                            appeal_id=appeal.id,
                            round=1,
                            level=level,
                            department_id=department,
                            created_at=replied_at + timedelta(days=1),
                        )
                    )
        async with in_transaction():
            await Appeal.bulk_create(appeals, batch_size=500)
            await AppealReply.bulk_create(reply_rows, batch_size=500)
            await AppealRating.bulk_create(rating_rows, batch_size=500)
        written += len(appeals)
        replies += len(reply_rows)
        ratings += len(rating_rows)
    # Written past the repositories: the day counters are moved past the numbers given here
    # (appeals filed later on those days get the next ones), and the insight aggregates are
    # recounted as after a migration.
    await AppealCounter.bulk_create(
        [AppealCounter(day=day, issued=issued) for day, issued in serial.items()],
        on_conflict=["day"],
        update_fields=["issued"],
    )
    await backfill(keyring)
    return {"appeals": written, "replies": replies, "ratings": ratings}


def _text(rng: random.Random, category: AppealCategory, district: str) -> str:
    """A template of the category, or its own description's words for the rest."""
    place = rng.choice(PLACES) if rng.random() < 0.35 else ""
    templates = TEMPLATES.get(category.code)
    if templates:
        body = rng.choice(templates).format(place=place, time=rng.choice(TIMES))
    else:
        subjects = [p for p in re.split("[、，和]", category.description) if p]
        body = f"{place}{rng.choice(subjects)}{rng.choice(ENDINGS)}"
    return f"{district}{body}。"


def _reply_delay(rng: random.Random, allowed: int) -> int:
    """Working days to reply: most a little before the deadline (about 4.2 of 5), 5% late."""
    if rng.random() < 0.95:
        return min(allowed, max(1, round(rng.gauss(allowed * 0.84, 1.0))))
    return allowed + rng.randint(1, 4)


def _fate(
    rng: random.Random, age_days: int, delay: int, replied_on: date
) -> tuple[AppealStatus, datetime | None, datetime | None]:
    if age_days < math.ceil(delay * 1.4):
        return rng.choice([AppealStatus.DISPATCHED, AppealStatus.SIGNED]), None, None
    replied_at = datetime.combine(replied_on, datetime.min.time(), tzinfo=CHINA) + timedelta(
        hours=15
    )
    if age_days < delay * 1.4 + 7:
        return AppealStatus.REPLIED, replied_at, None
    return AppealStatus.CLOSED, replied_at, replied_at + timedelta(days=rng.randint(1, 7))


def _next_workday(workdays: list[date], start: date, days: int) -> date:
    """The `days`-th working day after `start` (0: `start` itself or the next working day)."""
    import bisect

    index = bisect.bisect_right(workdays, start) if days else bisect.bisect_left(workdays, start)
    index = min(index + max(days - 1, 0), len(workdays) - 1)
    return workdays[index]


async def _main(count: int) -> None:
    """Seeds the demo, writes the year, then times a year's and a quarter's insights."""
    from tortoise import Tortoise

    from api.resources import open_resources
    from api.seed import seed_demo
    from resolvers.appeals import insights
    from resolvers.settings import Settings
    from storage.database import tortoise_config

    settings = Settings()
    await Tortoise.init(config=tortoise_config(settings.database_url), _enable_global_fallback=True)
    try:
        await seed_demo(settings)
        async with open_resources(settings) as resources:
            began = time.perf_counter()
            written = await generate(resources.keyring, count=count)
            print(f"generated {written} in {time.perf_counter() - began:.1f}s")
            for label, first, last in (
                ("year", date(2026, 1, 1), date(2026, 12, 31)),
                ("quarter", date(2026, 7, 1), date(2026, 9, 30)),
            ):
                began = time.perf_counter()
                found = await insights.compute(resources, insights.Filter(first, last))
                took = time.perf_counter() - began
                print(
                    f"insights over a {label}: {found['total']} appeals in {took:.2f}s "
                    f"({found['total'] / took:,.0f} appeals/s), {len(found['hotTopics'])} topics, "
                    f"{len(found['spikes'])} spikes, on time {found['timeliness']['onTimeRate']}, "
                    f"{found['timeliness']['averageWorkingDays']} working days, "
                    f"satisfied {found['satisfaction']['satisfiedRate']}"
                )
    finally:
        await Tortoise.close_connections()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=50_000)
    args = parser.parse_args()
    asyncio.run(_main(args.count))


if __name__ == "__main__":
    main()

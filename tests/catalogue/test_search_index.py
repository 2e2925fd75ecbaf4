"""The search index on its own: tokenisation, pinyin, ranking."""

from __future__ import annotations

from uuid import uuid4

from resolvers.catalogue.search import Entry, SearchIndex, normalise


def entry(
    name: str,
    *,
    base: str | None = None,
    keywords: tuple[str, ...] = (),
    department: str = "某部门",
    code: str = "X",
) -> Entry:
    return Entry(
        id=uuid4(),
        code=code,
        name=name,
        base_name=base or name,
        keywords=keywords,
        department=department,
    )


ID_CARD = entry("居民身份证换领", keywords=("身份证",), code="51002000010000-1")
HOUSEHOLD = entry("户口迁移（省内）", keywords=("迁户口", "户口"), code="51000700020000-1")
FOOD = entry("食品经营许可", keywords=("餐饮", "开饭店"), code="51000100010000-1")
POLICE = entry("居住证申领", department="成都市公安局锦江区分局", code="51002000030000-1")
INDEX = SearchIndex([ID_CARD, HOUSEHOLD, FOOD, POLICE])


def test_chinese_words_pinyin_and_initials() -> None:
    for query in ("身份证", "shenfenzheng", "sfz", "shen fen zheng"):
        assert INDEX.search(query)[:1] == [ID_CARD.id], query


def test_keywords_find_items_whose_names_do_not_say_it() -> None:
    assert INDEX.search("开饭店") == [FOOD.id]
    assert INDEX.search("canyin") == [FOOD.id]


def test_a_name_hit_outranks_a_department_hit() -> None:
    ranked = INDEX.search("公安")

    assert ranked == [POLICE.id]  # only the department matches, weakly, but it matches


def test_pinyin_prefixes_find_words_being_typed() -> None:
    assert INDEX.search("hukou")[:1] == [HOUSEHOLD.id]
    assert HOUSEHOLD.id in INDEX.search("huko")


def test_codes_find_their_item() -> None:
    assert INDEX.search("5100010001")[:1] == [FOOD.id]


def test_nothing_and_noise_find_nothing() -> None:
    assert INDEX.search("") == []
    assert INDEX.search("   ") == []
    assert INDEX.search("量子计算机") == []
    assert INDEX.search("zzzzzz") == []


def test_full_width_input_is_normalised() -> None:
    assert normalise("ＳＦＺ　身份证") == "sfz 身份证"

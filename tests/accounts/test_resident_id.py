"""GB 11643 numbers: check character, a real birth date, a region code GB/T 2260 ever had.

The region is never compared with the birth date: a first-generation number carries the code
of the place of registration at issue (1985 on), and numbers do not change when districts
are renamed, so a 锦江 (510104, made in 1990) number of someone born in 1950 is genuine.
"""

from __future__ import annotations

from datetime import date

import pytest

from mock_wechat.people import gb11643_number
from resolvers.accounts.errors import AccountError, AccountErrorCode
from resolvers.accounts.identity import resident_id

TODAY = date(2026, 3, 1)

# Every code Chengdu's districts and counties have had in GB/T 2260, current and historical:
# the city and its 市辖区, the 1983-1990 urban districts, today's districts, the counties
# before they became districts or cities (双流县 510122, 郫县 510124, 新都县 510125, 新津县
# 510132, 灌县 510127 ...), 双流区 510116 (2015), 郫都区 510117 (2016), 新津区 510118 (2020)
# and the county-level cities 510181-510185.
CHENGDU = [
    "510100",
    "510101",
    "510102",
    "510103",
    *(f"5101{n:02d}" for n in range(4, 9)),
    *(f"5101{n:02d}" for n in range(11, 19)),
    *(f"5101{n:02d}" for n in range(20, 33)),
    *(f"5101{n:02d}" for n in range(81, 86)),
]
BIRTHS = [
    "19300101",
    "19360229",  # a leap day
    "19491001",
    "19600615",
    "19841231",
    "19850101",
    "19891231",
    "19900101",
    "19991231",
    "20000229",
    "20141231",
    "20150101",
    "20191231",
    "20200101",
    "20250101",
    "20251231",
]


def number(region: str, born: str, serial: str = "123") -> str:
    return gb11643_number(f"{region}{born}{serial}")


def wrong_check_character(raw: str) -> str:
    return raw[:-1] + ("1" if raw[-1] != "1" else "2")


def refused(raw: str, today: date = TODAY) -> None:
    with pytest.raises(AccountError) as error:
        resident_id(raw, today=today)
    assert error.value.code is AccountErrorCode.INVALID_ID_NUMBER
    assert error.value.field == "idNumber"


@pytest.mark.parametrize("region", CHENGDU)
def test_every_chengdu_district_code_is_accepted_for_every_birth_year(region: str) -> None:
    for born in BIRTHS:
        raw = number(region, born)

        resident = resident_id(raw, today=TODAY)

        assert resident.number == raw
        assert resident.birth_date == date(int(born[:4]), int(born[4:6]), int(born[6:]))
        assert resident.masked == raw[:4] + "**********" + raw[-4:]


@pytest.mark.parametrize(
    ("region", "born"),
    [
        ("510104", "19500101"),  # 锦江 before 1990: refused by python-stdnum's birthplace check
        ("510105", "19620315"),  # 青羊
        ("510106", "19751120"),  # 金牛
        ("510107", "19881008"),  # 武侯
        ("510108", "19300101"),  # 成华
        ("510116", "19700707"),  # 双流区, every holder born before the district was made
        ("510118", "19850101"),  # 新津区 (2020)
        ("510118", "20191231"),
    ],
)
def test_the_residents_python_stdnum_refused_are_genuine(region: str, born: str) -> None:
    assert resident_id(number(region, born), today=TODAY).number == number(region, born)


def test_a_lower_case_x_and_separators_are_accepted() -> None:
    assert resident_id(" 1101 0519 4912 3100 2x ", today=TODAY).number == "11010519491231002X"
    assert resident_id("110105-19491231-002X", today=TODAY).number == "11010519491231002X"


@pytest.mark.parametrize(
    "raw",
    [
        number("510104", "20260302"),  # born tomorrow
        number("510104", "20300101"),  # in the future
        number("510104", "20230229"),  # 2023 had no 29 February
        number("510104", "19001301"),  # a 13th month
        number("510104", "19000230"),
        number("510104", "18991231"),  # before 1900
        number("510199", "19900101"),  # no such district of Chengdu, ever
        number("519999", "19900101"),
        number("990105", "19900101"),  # no such province
        number("000000", "19900101"),
        wrong_check_character(number("510104", "19900101")),
        "11010519491231002",  # 17 characters
        "1101051949123100211",  # 19
        "11010519491231002Y",
        "ABCDEFGHIJKLMNOPQR",
        "１１０１０５１９４９１２３１００２Ｘ",  # full-width digits
        "",
        "1" * 100,
    ],
)
def test_impossible_numbers_are_refused_with_a_typed_error(raw: str) -> None:
    refused(raw)


def test_a_baby_born_today_in_china_is_accepted() -> None:
    raw = number("510104", "20260301")

    assert resident_id(raw, today=TODAY).birth_date == TODAY
    refused(raw, today=date(2026, 2, 28))

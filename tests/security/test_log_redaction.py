"""What the log's redaction catches, as written by the service's formatter: phones with
separators and country codes, ID numbers with spaces or dashes, names next to them or after
name-like keys, e-mail addresses and bearer material; and what it leaves alone."""

from __future__ import annotations

import logging

import pytest

from tests.conftest import ServiceLog


def _logged(service_log: ServiceLog, text: str) -> str:
    logging.getLogger("api.test").info("%s", text)
    return service_log()


PHONES = [
    "13812345678",
    "138-1234-5678",
    "138 1234 5678",
    "138 - 1234 - 5678",
    "1381234 5678",
    "+86 138 1234 5678",
    "+86-138-1234-5678",
    "+8613812345678",
    "86-138-1234-5678",
    "8613812345678",
    "0086 13812345678",
    "(+86) 138-1234-5678",
    "138\t1234\t5678",
    "138\n1234\n5678",
]


@pytest.mark.parametrize("phone", PHONES)
def test_phones_are_masked_whatever_their_separators(phone: str, service_log: ServiceLog) -> None:
    output = _logged(service_log, f"sms to {phone} failed")

    assert "<phone>" in output
    assert "1234" not in output
    assert "5678" not in output


@pytest.mark.parametrize("landline", ["028-8888 8888", "028-88888888", "0817 2345678"])
def test_landlines_with_an_area_code_are_masked(landline: str, service_log: ServiceLog) -> None:
    output = _logged(service_log, f"call {landline} back")

    assert landline not in output
    assert "call <phone> back" in output


ID_NUMBERS = [
    "51010419900101123X",
    "51010419900101123x",
    "510104199001011234",
    "5101 0419 9001 0112 34",
    "5101 0419 9001 0112 3X",
    "510104-19900101-1234",
    "510104-19900101-123X",
    "510104 19900101 123X",
    "510 104 199 001 011 234",
]


@pytest.mark.parametrize("number", ID_NUMBERS)
def test_id_numbers_are_masked_with_spaces_or_dashes(number: str, service_log: ServiceLog) -> None:
    output = _logged(service_log, f"identity check for {number} failed")

    assert "identity check for <id-number> failed" in output
    assert "19900101" not in output.replace(" ", "").replace("-", "")


NAMED = [
    ("张三 138-1234-5678", "<name> <phone>"),
    ("张三138-1234-5678", "<name><phone>"),
    ("138-1234-5678 张三", "<phone> <name>"),
    ("13812345678（张三）", "<phone>（<name>）"),
    ("张三，电话：138 1234 5678", "<name>，电话：<phone>"),
    ("张三电话13812345678", "<name>电话<phone>"),
    ("欧阳娜娜 +86 138 1234 5678", "<name> <phone>"),
    ("买买提·艾力 13812345678", "<name> <phone>"),
    ("王小明，身份证号：510104-19900101-123X", "<name>，身份证号：<id-number>"),
    ("5101 0419 9001 0112 34 李四", "<id-number> <name>"),
    ("姓名: 张三", "姓名: <name>"),
    ("姓名：张三，住址：锦江区", "姓名：<name>，住址：锦江区"),
    ("联系人张三电话13812345678", "联系人<name>电话<phone>"),
    ("投诉人：李四", "投诉人：<name>"),
    ("name=张三&phone=13812345678", "name=<name>&phone=<phone>"),
    ("real_name=%E5%BC%A0%E4%B8%89", "real_name=<name>"),
    ('{"name": "张三", "idNumber": "51010419900101123X"}', '{"name": "<name>", "idNumber": '),
    ("contactName: Zhang San", "contactName: <name>"),
]


@pytest.mark.parametrize(("text", "shown"), NAMED)
def test_names_next_to_numbers_or_after_name_keys_are_masked(
    text: str, shown: str, service_log: ServiceLog
) -> None:
    output = _logged(service_log, text)

    assert shown in output
    for name in ("张三", "李四", "王小明", "欧阳娜娜", "买买提", "艾力", "Zhang", "%E5%BC%A0"):
        assert name not in output


def test_an_email_address_is_masked(service_log: ServiceLog) -> None:
    output = _logged(service_log, "receipt sent to zhang.san+1@example.com.cn")

    assert "receipt sent to <email>" in output


BEARER = [
    ("GET /files/c2VhbGVk.0123456789abcdef HTTP/1.1", "c2VhbGVk"),
    ("https://oss/x?X-Amz-Credential=AKIAEXAMPLE%2F20260101&X-Amz-Date=1", "AKIAEXAMPLE"),
    ("https://oss/x?X-Amz-Signature=3f2a9c&X-Amz-Expires=300", "3f2a9c"),
    ("https://oss/x?X-Amz-Security-Token=FQoGZX", "FQoGZX"),
    ("https://cos/x?q-signature=sig123&q-ak=1", "sig123"),
    ("/sns/jscode2session?appid=wx1&secret=abc123&js_code=zz9", "abc123"),
    ("callback?code=one-time-42&state=1", "one-time-42"),
    ("?access_token=at-777&id_token=it-888", "at-777"),
    ('{"refreshToken": "tok_abc"}', "tok_abc"),
    ("Authorization: Bearer rb_pk_sekrit", "sekrit"),
    ("key rb_pk_Q2xpZW50S2V5 was used", "Q2xpZW50S2V5"),
    ("secret whsec_dGVzdA== rotated", "dGVzdA"),
    ("terminal rbt_b64credential signed in", "b64credential"),
    ("open311 api_key=k-123456", "k-123456"),
    ("pay?sign=ABCDEF0123&paySign=XYZ", "ABCDEF0123"),
]


@pytest.mark.parametrize(("text", "secret"), BEARER)
def test_bearer_material_is_masked(text: str, secret: str, service_log: ServiceLog) -> None:
    output = _logged(service_log, text)

    assert secret not in output
    assert "<redacted>" in output


LEFT_ALONE = [
    "request error GRAPHQL_VALIDATION_FAILED in 12 ms, 3 rows, order 20261127",
    "open311 service_code=0101&service_name=道路&page=2",
    "the field name must be set",
    "request 550e8400-e29b-41d4-a716-446655440000 from 203.0.113.7:50000",
    "connect 127.0.0.1 192.168.100.100 ok",
    "appeal SQ20261127000042 dispatched to 510104 in 2.5 s",
    "dispatched 1380 appeals, 12345 calls",
]


@pytest.mark.parametrize("text", LEFT_ALONE)
def test_ordinary_text_is_left_alone(text: str, service_log: ServiceLog) -> None:
    output = _logged(service_log, text)

    assert output.rstrip("\n").endswith(text)

"""Subscribe-message values shaped to WeChat's rules for each keyword type (47003 otherwise)."""

from __future__ import annotations

import re
from datetime import datetime

from resolvers.calendar.service import CHINA

_CHINESE = re.compile(r"[\u4e00-\u9fff]")


def keyword_type(keyword: str) -> str:
    """`thing2` -> `thing`: the type is the keyword without its trailing digits."""
    return keyword.rstrip("0123456789")


def fit(keyword: str, value: str) -> str:
    """The value as WeChat accepts it for this keyword: cut to the type's length, stripped of
    characters the type forbids; never empty (WeChat refuses empty values)."""
    kind = keyword_type(keyword)
    text = " ".join(value.split())
    if kind == "thing":
        text = text[:20]
    elif kind in ("character_string", "letter", "number"):
        text = "".join(ch for ch in text if ch.isascii() and ch.isprintable())[:32]
    elif kind == "phrase":
        text = "".join(_CHINESE.findall(text))[:5]
    elif kind == "name":
        text = text[:20] if text.isascii() else text[:10]
    elif kind in ("time", "date"):
        text = text[:32]
    else:
        text = text[:20]
    if text:
        return text
    return "更新" if kind == "phrase" else "-"


def wechat_time(moment: datetime) -> str:
    local = moment.astimezone(CHINA)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"

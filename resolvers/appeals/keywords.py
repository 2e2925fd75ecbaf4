"""The words of an appeal: jieba TF-IDF keywords, their keyed digests, and word overlap."""

from __future__ import annotations

import json
import logging
import re
import threading
import warnings
from collections.abc import Sequence
from functools import lru_cache
from importlib.resources import files

from storage.crypto import Keyring

TOP_KEYWORDS = 8
_DIGEST_CHARS = 16  # 64 bits of HMAC-SM3: collisions between two appeals' words are negligible
_lock = threading.Lock()

# Words every appeal uses, which say nothing about its subject (hot topics would be
# "问题", "反映", "希望" otherwise).
# One list read as text; the words are separated by spaces.
STOP_WORDS = frozenset(
    """
    问题 反映 希望 相关 部门 处理 解决 市民 请求 要求 现在 情况 目前 已经 没有 一直
    严重 影响 我们 你们 他们 这个 那个 什么 怎么 如何 是否 可以 能否 尽快 及时 多次
    经常 附近 时候 每天 导致 造成 进行 工作 政府 领导 谢谢 感谢 您好 你好 请问 一下
    非常 特别 还是 但是 因为 所以 如果 问题反映 投诉 举报 咨询 建议 求助 表扬 来电
    来电人 诉求 本人 市民反映 成都 成都市 小区 居民 存在 出现 发现 知道 关于 早上
    晚上 凌晨 周末 最近 一周 这个月 连续 三天 一天 怎么办 比较 比较严重 不知 不能
    无法 仍然 还有 已有 好久 很大 门口
    """.split()  # noqa: SIM905 (a literal list would take a line per word)
)
_NOISE = re.compile(r"^[\d\W_a-zA-Z]+$")


@lru_cache(maxsize=1)
def place_names() -> frozenset[str]:
    """Chengdu's region names, with and without 区/县/市: where an appeal is shows in the
    insights by region already, so place names are no topic of their own."""
    text = files("storage").joinpath("seed/chengdu.json").read_text("utf-8")
    names = {row["name"] for row in json.loads(text)["regions"]}
    short = {n[:-1] for n in names if len(n) > 2 and n[-1] in "区县市"}
    zones = {n.removeprefix("成都") for n in names if n.startswith("成都") and len(n) > 4}
    return frozenset(names | short | zones)


class _Idf:
    """jieba's IDF table (about 270,000 words) over jieba's own tokenizer, the one catalogue
    search already loads. jieba.analyse would do the same sums, but importing it loads the
    part-of-speech model we never use, and its table keeps a copy of every word: together
    about 130 MB a process. Here each word of the table that jieba's dictionary holds is
    the dictionary's own string, so the table costs its slots and numbers only."""

    def __init__(self) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            import jieba

            jieba.setLogLevel(logging.WARNING)
            jieba.initialize()
        self.tokenizer = jieba.dt
        known: dict[str, str] = {word: word for word in jieba.dt.FREQ}
        table: dict[str, float] = {}
        with files("jieba").joinpath("analyse/idf.txt").open(encoding="utf-8") as lines:
            for line in lines:
                word, _, value = line.strip().rpartition(" ")
                if word:
                    table[known.get(word, word)] = float(value)
        del known
        self.idf = table
        self.median = sorted(table.values())[len(table) // 2]

    def ranked(self, text: str) -> list[str]:
        """The text's words by term frequency times IDF, highest first (ties in the order
        the words first appear), words that are no topic left out."""
        counts: dict[str, float] = {}
        for token in self.tokenizer.cut(text):
            word = token.strip()
            if len(word) < 2 or word in STOP_WORDS or word in place_names() or _NOISE.match(word):
                continue
            counts[word] = counts.get(word, 0.0) + 1.0
        total = sum(counts.values())
        scores = {
            word: count * self.idf.get(word, self.median) / total for word, count in counts.items()
        }
        return sorted(scores, key=scores.__getitem__, reverse=True)


_loaded: _Idf | None = None


def _table() -> _Idf:
    global _loaded
    if _loaded is None:
        with _lock:  # one table a process, whichever thread asks first
            if _loaded is None:
                _loaded = _Idf()
    return _loaded


def load() -> None:
    """Loads the IDF table now (about half a second): at start-up, in a pre-forking server's
    parent, so that no appeal waits for it and every worker shares its pages."""
    _table()


def extract(text: str, top: int = TOP_KEYWORDS) -> list[str]:
    """The `top` keywords of a text by TF-IDF, without stop words, place names, digits or
    Latin noise."""
    return _table().ranked(text)[:top]


def digest(keyring: Keyring, word: str) -> str:
    """A word's keyed digest: equal words give equal digests, and nothing can be read back
    without the key."""
    return keyring.blind_index(word, purpose="appeal.keyword")[:_DIGEST_CHARS]


def digests(keyring: Keyring, words: Sequence[str]) -> list[str]:
    return sorted({digest(keyring, word) for word in words})


def similarity(a: Sequence[str], b: Sequence[str]) -> float:
    """Jaccard overlap of two word (or digest) sets: 0 nothing shared, 1 the same words."""
    left, right = set(a), set(b)
    if not left or not right:
        return 0.0
    return len(left & right) / len(left | right)

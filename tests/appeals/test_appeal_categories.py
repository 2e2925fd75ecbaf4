"""appealCategories: the 12345 dispatch catalogue as a tree, public, at a constant cost."""

from __future__ import annotations

from tests.conftest import RunningApp
from tests.sql import count_statements

TREE = """
{ appealCategories { code name children { code name description keywords signDays replyDays
  maxExtensionDays parent { code } children { code } } } }
"""


async def test_the_catalogue_has_real_12345_categories(seeded: RunningApp) -> None:
    with count_statements() as statements:
        data = await seeded.gql.data(TREE)

    groups = data["appealCategories"]
    leaves = {c["name"]: c for g in groups for c in g["children"]}
    assert len(leaves) >= 40
    for name in (
        "噪音扰民",
        "占道经营",
        "物业纠纷",
        "供水",
        "燃气",
        "道路破损",
        "劳动欠薪",
        "教育",
        "医疗",
    ):
        assert name in leaves, name
    assert all(not c["children"] for c in leaves.values())
    assert all(c["parent"]["code"] == c["code"][:2] for c in leaves.values())
    assert leaves["燃气"]["signDays"] == 0
    assert "天然气" in leaves["燃气"]["keywords"]
    # categories, children, the parents (one batch each): no query per category
    assert statements.count <= 4, statements.texts


async def test_the_catalogue_is_public_and_the_same_for_everyone(seeded: RunningApp) -> None:
    anonymous = await seeded.gql.data("{ appealCategories { code } }")

    assert [g["code"] for g in anonymous["appealCategories"]][:3] == ["01", "02", "03"]

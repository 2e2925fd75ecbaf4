"""Residents submitting at the same moment: every submission succeeds under its own number.
The day's counter is taken in a statement of its own before each submission's transaction,
so submissions never wait for each other's commits and never share a number."""

from __future__ import annotations

import asyncio

import httpx

from storage.models.applications import Application
from tests.applications.conftest import (
    SUBMIT,
    hygiene_documents,
    submit,
    upload,
    verified_resident,
)
from tests.conftest import RunningApp

RESIDENTS = 30


async def test_thirty_residents_submitting_at_once_all_get_distinct_numbers(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    programs = [await verified_resident(seeded, wechat, f"r{i}") for i in range(RESIDENTS)]
    inputs = [
        {
            "serviceCode": "51000100020000",
            "regionCode": "510104",
            "documentIds": await hygiene_documents(program),
            "channel": "MINI_PROGRAM",
        }
        for program in programs
    ]

    responses = await asyncio.gather(
        *[
            seeded.gql(SUBMIT, {"input": values}, token=program.token)
            for program, values in zip(programs, inputs, strict=True)
        ]
    )

    answers = [r.data["submitApplication"] for r in responses]
    assert [a["__typename"] for a in answers] == ["Application"] * RESIDENTS, answers
    numbers = sorted(a["number"] for a in answers)
    assert len(set(numbers)) == RESIDENTS
    # Nothing failed, so the day's numbers run on without a gap.
    sequence = [int(n[-6:]) for n in numbers]
    assert sequence == list(range(sequence[0], sequence[0] + RESIDENTS))
    assert await Application.filter(number__in=numbers).count() == RESIDENTS


async def test_a_refused_submission_takes_no_number(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await verified_resident(seeded, wechat, "a")
    first = await submit(seeded, program)
    refused = await submit(seeded, program, documentIds=[await upload(program, "OTHER")])
    second = await submit(seeded, program)

    assert refused["code"] == "MATERIAL_MISSING"
    assert int(second["number"][-6:]) == int(first["number"][-6:]) + 1

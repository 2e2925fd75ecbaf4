"""SQL parameters never reach the logs, whatever the level: the ORM and the driver log each
statement with its values at DEBUG, and a value may be someone's phone number."""

from __future__ import annotations

import logging

from tests.conftest import RunningApp

PHONE = "13912345678"


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


async def test_a_personal_value_in_a_sql_parameter_is_not_logged_at_debug(
    running: RunningApp,
) -> None:
    root = logging.getLogger()
    capture, orm = Capture(), Capture()
    level = root.level
    root.addHandler(capture)
    # Where the ORM writes each statement with its values: the value is there, to be stopped.
    logging.getLogger("tortoise.db_client").addHandler(orm)
    root.setLevel(logging.DEBUG)
    try:
        # The sign-in name is looked up by a parameterised statement.
        result = await running.gql(
            'mutation($u: String!) { loginStaff(input: {username: $u, password: "x"}) '
            "{ __typename } }",
            {"u": PHONE},
        )
    finally:
        root.removeHandler(capture)
        logging.getLogger("tortoise.db_client").removeHandler(orm)
        root.setLevel(level)

    assert result.data["loginStaff"]["__typename"] != "Session"
    assert any(PHONE in repr(r.args) or PHONE in r.getMessage() for r in orm.records)
    logged = [r.getMessage() for r in capture.records] + [
        repr(r.args) for r in capture.records if r.args
    ]
    assert [text for text in logged if PHONE in text] == []
    assert {r.name for r in capture.records} >= {"api.access"}  # the root heard the request

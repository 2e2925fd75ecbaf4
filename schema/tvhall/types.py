"""Types, inputs, errors and result unions of the TV hall sign-in."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from resolvers.tvhall.errors import TvSignInErrorCode
from schema.accounts.types import Session
from schema.errors import UserError

strawberry.enum(TvSignInErrorCode)


@strawberry.type(
    description=(
        "Show `userCode` on the TV; keep `deviceCode` on the TV only and exchange it every "
        "`interval` seconds (exchangeTvSignIn) until the resident confirms on the phone."
    )
)
class TvSignIn:
    user_code: str = strawberry.field(description="8 characters as XXXX-XXXX, for the screen.")
    device_code: str = strawberry.field(description="The TV's secret: never show it.")
    expires_at: datetime = strawberry.field(description="Both codes stop working then.")
    interval: int = strawberry.field(description="Seconds between exchanges.")


@strawberry.type(description="The resident confirmed the TV's code: the TV may now exchange it.")
class TvSignInConfirmed:
    confirmed_at: datetime
    device_name: str = strawberry.field(description="What the TV called itself.")


@strawberry.input
class StartTvSignInInput:
    device_name: str | None = strawberry.field(
        default=None,
        description="What the TV calls itself (客厅电视), shown when the resident confirms; at "
        "most 32 characters.",
    )


@strawberry.input
class ConfirmTvSignInInput:
    user_code: str = strawberry.field(description="The code on the TV; spaces and '-' ignored.")


@strawberry.input
class ExchangeTvSignInInput:
    device_code: str


@strawberry.type
class StartTvSignInError(UserError):
    code: TvSignInErrorCode


@strawberry.type
class ConfirmTvSignInError(UserError):
    code: TvSignInErrorCode


@strawberry.type
class ExchangeTvSignInError(UserError):
    code: TvSignInErrorCode


StartTvSignInResult = Annotated[
    TvSignIn | StartTvSignInError, strawberry.union("StartTvSignInResult")
]
ConfirmTvSignInResult = Annotated[
    TvSignInConfirmed | ConfirmTvSignInError, strawberry.union("ConfirmTvSignInResult")
]
ExchangeTvSignInResult = Annotated[
    Session | ExchangeTvSignInError, strawberry.union("ExchangeTvSignInResult")
]

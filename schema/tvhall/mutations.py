"""TV hall sign-in mutations: input in, service call, typed result or typed error out."""

from __future__ import annotations

import strawberry

from resolvers.policy import Action
from resolvers.tvhall import service
from schema.accounts.types import Session
from schema.authorised import authorised
from schema.context import Info, client_of
from schema.tvhall.types import (
    ConfirmTvSignInInput,
    ConfirmTvSignInResult,
    ExchangeTvSignInInput,
    ExchangeTvSignInResult,
    StartTvSignInInput,
    StartTvSignInResult,
    TvSignIn,
    TvSignInConfirmed,
)


@strawberry.type
class TvHallMutation:
    @strawberry.mutation(
        extensions=authorised(Action.TV_SIGN_IN_START),
        description=(
            "电视政务大厅: the TV starts a sign-in. At most 20 per address in 10 minutes."
        ),
    )
    async def start_tv_sign_in(self, info: Info, input: StartTvSignInInput) -> StartTvSignInResult:
        started = await service.start(
            info.context.resources, info.context.principal, client_of(info), input.device_name
        )
        return TvSignIn(
            user_code=started.user_code,
            device_code=started.device_code,
            expires_at=started.expires_at,
            interval=started.interval,
        )

    @strawberry.mutation(
        extensions=authorised(Action.TV_SIGN_IN_CONFIRM),
        description=(
            "The resident, signed in on the phone, confirms the code the TV shows: the TV gets "
            "a read-only session of this account (catalogue, guides, centres, own applications)."
        ),
    )
    async def confirm_tv_sign_in(
        self, info: Info, input: ConfirmTvSignInInput
    ) -> ConfirmTvSignInResult:
        done = await service.confirm(
            info.context.resources, info.context.principal, input.user_code
        )
        return TvSignInConfirmed(confirmed_at=done.at, device_name=done.device_name)

    @strawberry.mutation(
        extensions=authorised(Action.TV_SIGN_IN_EXCHANGE),
        description=(
            "The TV exchanges its deviceCode for a read-only session once the resident "
            "confirmed (AUTHORIZATION_PENDING until then; poll every `interval` seconds). Once."
        ),
    )
    async def exchange_tv_sign_in(
        self, info: Info, input: ExchangeTvSignInInput
    ) -> ExchangeTvSignInResult:
        issued = await service.exchange(
            info.context.resources, info.context.principal, input.device_code
        )
        return Session.of(issued)

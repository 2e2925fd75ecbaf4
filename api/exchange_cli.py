"""`rongban exchange ...`: re-send dead letters, reconcile a day with the province, manage
the department systems that may call back, and make SM2 key pairs."""

from __future__ import annotations

import argparse
import re
import secrets
import sys
import uuid
from datetime import date, timedelta

from api.resources import run_with_resources
from resolvers.resources import Resources
from resolvers.settings import Settings

_KEY_ID = re.compile(r"[A-Za-z0-9_.:\-]{3,64}")


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    exchange = commands.add_parser("exchange", help="the provincial exchange")
    actions = exchange.add_subparsers(dest="exchange_command", required=True)

    retry = actions.add_parser("retry", help="send DEAD messages again (and those after them)")
    which = retry.add_mutually_exclusive_group(required=True)
    which.add_argument("--id", action="append", dest="ids", help="a message id (repeatable)")
    which.add_argument("--all", action="store_true", help="every DEAD message")

    reconcile = actions.add_parser(
        "reconcile", help="compare a day's events, pushes and receipts; exit 1 on findings"
    )
    reconcile.add_argument("--date", required=True, help="the day, YYYY-MM-DD (China time)")
    reconcile.add_argument(
        "--local-only", action="store_true", help="do not ask the province for its list"
    )

    system = actions.add_parser("system", help="department systems that may call back")
    systems = system.add_subparsers(dest="system_command", required=True)
    add = systems.add_parser("add", help="register a system; prints its secret once")
    add.add_argument("key_id", help="the id it sends as X-Exchange-System")
    add.add_argument("--department", required=True, help="the department's credit code")
    add.add_argument("--name", default="", help="what the system is, for people")
    add.add_argument("--algorithm", choices=["HMAC-SHA256", "SM2-SM3"], default="HMAC-SHA256")
    add.add_argument("--public-key", help="SM2-SM3: the system's public key (x||y hex)")
    systems.add_parser("list", help="registered systems")
    revoke = systems.add_parser("revoke", help="stop accepting a system's callbacks")
    revoke.add_argument("key_id")
    rotate = systems.add_parser(
        "rotate",
        help="a new shared secret, printed once; the old one works for the grace period",
    )
    rotate.add_argument("key_id")
    rotate.add_argument(
        "--grace-hours",
        type=int,
        help="hours the old secret is still accepted (RONGBAN_EXCHANGE_SECRET_GRACE_HOURS)",
    )

    actions.add_parser("sm2-keygen", help="print a new SM2 key pair (private, public)")


def run(settings: Settings, args: argparse.Namespace) -> None:
    command = args.exchange_command
    if command == "sm2-keygen":
        from resolvers.exchange.signing import generate_sm2_keypair

        private, public = generate_sm2_keypair()
        print(f"private key (keep it secret): {private}\npublic key:  {public}")  # noqa: T201
        return
    if command == "retry":
        ids = None if args.all else [_uuid(value) for value in args.ids]
        sys.exit(run_with_resources(settings, lambda r: _retry(r, ids)))
    if command == "reconcile":
        try:
            day = date.fromisoformat(args.date)
        except ValueError:
            sys.exit(f"--date must be YYYY-MM-DD, not {args.date!r}")
        sys.exit(run_with_resources(settings, lambda r: _reconcile(r, day, not args.local_only)))
    if args.system_command == "add":
        sys.exit(run_with_resources(settings, lambda r: _add_system(r, args)))
    if args.system_command == "list":
        sys.exit(run_with_resources(settings, _list_systems))
    if args.system_command == "rotate":
        sys.exit(run_with_resources(settings, lambda r: _rotate_system(r, args)))
    sys.exit(run_with_resources(settings, lambda r: _revoke_system(r, args.key_id)))


def _uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        sys.exit(f"not a message id: {value!r}")


async def _retry(resources: Resources, ids: list[uuid.UUID] | None) -> int:
    from resolvers.exchange.outbound import requeue

    again = await requeue(resources, ids)
    for message in again:
        print(  # noqa: T201
            f"re-queued {message.id} application={message.payload.get('number')} "
            f"sequence={message.payload.get('sequence')} step={message.payload.get('step')}"
        )
    print(f"{len(again)} message(s) re-queued; the worker sends them in order")  # noqa: T201
    return 0 if again or ids is None else 1


async def _reconcile(resources: Resources, day: date, ask_province: bool) -> int:
    from resolvers.exchange.reconcile import reconcile

    report = await reconcile(resources, day, ask_province=ask_province)
    for finding in report.findings:
        print(finding.line())  # noqa: T201
    print(report.summary())  # noqa: T201
    return 1 if report.findings else 0


async def _add_system(resources: Resources, args: argparse.Namespace) -> int:
    from resolvers.callbacks.service import SECRET_CONTEXT
    from resolvers.exchange.signing import InvalidKey, normalise_public_key
    from storage.models.exchange import SigningAlgorithm
    from storage.repositories import exchange as repo

    if not _KEY_ID.fullmatch(args.key_id):
        print("the key id is 3-64 characters of A-Z a-z 0-9 _ . : -", file=sys.stderr)  # noqa: T201
        return 2
    department = await repo.department_by_code(args.department.upper())
    if department is None:
        print(f"unknown department {args.department}", file=sys.stderr)  # noqa: T201
        return 2
    if await repo.system_by_key(args.key_id) is not None:
        print(f"{args.key_id} is registered already", file=sys.stderr)  # noqa: T201
        return 2
    algorithm = SigningAlgorithm(args.algorithm)
    secret = None
    public_key = None
    if algorithm is SigningAlgorithm.SM2_SM3:
        try:
            public_key = normalise_public_key(args.public_key or "")
        except InvalidKey as exc:
            print(str(exc), file=sys.stderr)  # noqa: T201
            return 2
    else:
        secret = secrets.token_urlsafe(32)
    await repo.add_system(
        key_id=args.key_id,
        department_id=department.id,
        name=args.name,
        algorithm=algorithm,
        secret_sealed=(resources.keyring.seal(secret, context=SECRET_CONTEXT) if secret else None),
        public_key=public_key,
    )
    print(f"registered {args.key_id} for {department.code} {department.name} ({algorithm.value})")  # noqa: T201
    if secret:
        print(f"shared secret (shown once, give it to the system's operators): {secret}")  # noqa: T201
    return 0


async def _list_systems(resources: Resources) -> int:
    from storage.repositories import exchange as repo

    for system in await repo.all_systems():
        state = "active" if system.active else f"revoked {system.revoked_at:%Y-%m-%d}"
        print(  # noqa: T201
            f"{system.key_id}\t{system.department.code}\t{system.algorithm.value}\t{state}\t"
            f"{system.name}"
        )
    return 0


async def _rotate_system(resources: Resources, args: argparse.Namespace) -> int:
    from resolvers.callbacks.service import SECRET_CONTEXT
    from storage.repositories import exchange as repo

    hours = args.grace_hours or resources.settings.exchange_secret_grace_hours
    if not 1 <= hours <= 720:
        print("--grace-hours is 1 to 720", file=sys.stderr)  # noqa: T201
        return 2
    secret = secrets.token_urlsafe(32)
    until = resources.clock() + timedelta(hours=hours)
    rotated = await repo.rotate_system_secret(
        args.key_id,
        secret_sealed=resources.keyring.seal(secret, context=SECRET_CONTEXT),
        previous_until=until,
    )
    if not rotated:
        print(f"no active HMAC-SHA256 system {args.key_id}", file=sys.stderr)  # noqa: T201
        return 1
    print(f"rotated {args.key_id}: the old secret is accepted until {until.isoformat()}")  # noqa: T201
    print(f"new shared secret (shown once, give it to the system's operators): {secret}")  # noqa: T201
    return 0


async def _revoke_system(resources: Resources, key_id: str) -> int:
    from storage.repositories import exchange as repo

    if await repo.revoke_system(key_id, now=resources.clock()):
        print(f"revoked {key_id}: its callbacks are refused from now on")  # noqa: T201
        return 0
    print(f"no active system {key_id}", file=sys.stderr)  # noqa: T201
    return 1

"""Checks an application form against its implementation's JSON Schema (Draft 2020-12) and
names every failing field by its path (`form.shopName`, `form.businessScope[0]`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from resolvers.applications.errors import ApplicationError
from resolvers.applications.errors import ApplicationErrorCode as Code

MAX_REPORTED = 20


def _path(parts: Iterable[Any], prefix: str = "form") -> str:
    text = prefix
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def _depth(value: Any, limit: int) -> bool:
    """True when `value` nests deeper than `limit` (checked without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return False


def _fields_of(error: ValidationError, prefix: str) -> list[str]:
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = [name for name in error.validator_value if name not in error.instance]
        return [_path([*error.absolute_path, name], prefix) for name in missing]
    return [_path(error.absolute_path, prefix)]


def check(
    form: Any,
    schema: dict[str, Any] | None,
    *,
    max_bytes: int,
    max_depth: int,
    prefix: str = "form",
) -> str:
    """The form as canonical JSON text, or INVALID_FORM / FORM_TOO_LARGE naming each field
    under `prefix` (a scenario bundle's form holds one form per item: `form.<basic code>`)."""
    if form is None:
        form = {}
    try:
        text = orjson.dumps(form, option=orjson.OPT_SORT_KEYS)
    except (TypeError, orjson.JSONEncodeError):
        raise ApplicationError(Code.INVALID_FORM, prefix) from None
    if len(text) > max_bytes:
        raise ApplicationError(Code.FORM_TOO_LARGE, prefix)
    if _depth(form, max_depth):
        raise ApplicationError(Code.FORM_TOO_LARGE, prefix)
    if not isinstance(form, dict):
        raise ApplicationError(Code.INVALID_FORM, prefix)
    if schema is None:
        if form:
            raise ApplicationError(Code.INVALID_FORM, prefix)  # this item has no form
        return text.decode()
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    fields: list[str] = []
    for error in sorted(validator.iter_errors(form), key=lambda e: list(map(str, e.path))):
        for field in _fields_of(error, prefix):
            if field not in fields:
                fields.append(field)
        if len(fields) >= MAX_REPORTED:
            break
    if fields:
        raise ApplicationError(Code.INVALID_FORM, fields[0], fields=fields)
    return text.decode()

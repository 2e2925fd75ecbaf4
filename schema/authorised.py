"""Every root field names its action in resolvers/policy.py; this extension asks the policy,
and turns what a mutation's services raise into the mutation's own error type."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from enum import Enum
from typing import Any, get_type_hints

from graphql import ExecutionResult, located_error
from strawberry.extensions import SchemaExtension
from strawberry.extensions.field_extension import AsyncExtensionResolver, FieldExtension
from strawberry.types.base import StrawberryList, StrawberryOptional
from strawberry.types.field import StrawberryField
from strawberry.types.union import StrawberryUnion

from resolvers.errors import DomainError
from resolvers.policy import Action, RefusalCode, Refused, audit_refusal, gate
from schema.context import Info
from schema.error_codes import PublicError
from schema.errors import UserError
from schema.pagination import Connection, PageInfo


class Authorised(FieldExtension):
    """Checks the caller against the policy before the resolver, with what is known before
    the subject is loaded (the service checks again with it), and answers refusals:

    - a mutation with its own error type (code UNAUTHENTICATED or FORBIDDEN, the same shape
      as every other expected error), whether the refusal comes from here or from a service;
    - a query or subscription with a top-level error carrying the code; for a list of the
      caller's own things (READ_OWN, READ_OWN_APPLICATIONS: myApplications, myDocuments, ...) asked
      by an anonymous caller, the error stays in that field: it answers an empty list, the
      error names its path, and the other root fields keep their data (a refusal of a
      non-null field would otherwise null the whole `data`).

    A mutation's resolver returns its payload and lets a service's DomainError raise: when
    the error's code is one of the mutation's error type's codes, the answer is that error
    type (`of(error)`), the member of the result union clients already handle. Any other
    error (a query's, or a code the mutation does not declare) stays a top-level error.
    """

    def __init__(self, action: Action) -> None:
        self.action = action
        self._error_type: type[UserError] | None = None

    def apply(self, field: StrawberryField) -> None:
        self._field = field

    def _error_of(self) -> type[UserError] | None:
        """The mutation's error type: the UserError among its result union's members."""
        if self._error_type is None:
            kind: Any = self._field.type
            if isinstance(kind, StrawberryOptional):
                kind = kind.of_type
            if isinstance(kind, StrawberryUnion):
                for member in kind.types:
                    if isinstance(member, type) and issubclass(member, UserError):
                        self._error_type = member
        return self._error_type

    def _mutation_error(self, info: Info) -> type[UserError] | None:
        if info.operation.operation.value != "mutation":
            return None
        return self._error_of()

    def _refused(self, refusal: Refused, info: Info) -> Any:
        error_type = self._mutation_error(info)
        if error_type is not None:
            return refused_error(error_type, refusal)
        error = PublicError(refusal.message, refusal.code.value)
        empty = self._empty_own_list(refusal, info)
        if empty is None:
            raise error from None
        info.context.kept_errors.append(
            located_error(error, info._raw_info.field_nodes, info.path.as_list())
        )
        return empty

    def _empty_own_list(self, refusal: Refused, info: Info) -> Any:
        """What an own list answers an anonymous caller (None: it refuses as usual)."""
        if (
            self.action not in (Action.READ_OWN, Action.READ_OWN_APPLICATIONS)
            or refusal.code is not RefusalCode.UNAUTHENTICATED
            or info.operation.operation.value != "query"
        ):
            return None
        kind: Any = self._field.type
        if isinstance(kind, StrawberryList):
            return []
        if isinstance(kind, type) and issubclass(kind, Connection):
            return kind(edges=[], page_info=PageInfo(has_next_page=False, end_cursor=None))
        return None

    async def resolve_async(
        self, next_: AsyncExtensionResolver, source: Any, info: Info, **kwargs: Any
    ) -> Any:
        context = info.context
        decision = await gate(context.resources, context.principal, self.action)
        if not decision.allowed:
            assert decision.code is not None
            await audit_refusal(context.principal, self.action, context.request_id)
            return self._refused(Refused(decision.code, self.action), info)
        try:
            result: Any = next_(source, info, **kwargs)
            if inspect.isasyncgen(result):
                return result
            return await result
        except Refused as refusal:
            return self._refused(refusal, info)
        except DomainError as error:
            error_type = self._mutation_error(info)
            if error_type is None or not isinstance(error.code, codes_of(error_type)):
                raise
            return error_type.of(error)


class KeptErrors(SchemaExtension):
    """Adds the errors of fields that still answered (`Context.kept_errors`) to the result,
    each at its field's path: data and errors together, as GraphQL allows."""

    def on_execute(self) -> Iterator[None]:
        yield
        kept = getattr(self.execution_context.context, "kept_errors", None)
        result = self.execution_context.result
        if kept and isinstance(result, ExecutionResult):
            result.errors = [*(result.errors or []), *kept]


class _Refusal(DomainError):
    """A refusal in the shape every error type's `of` reads, with the domain's own code."""

    def __init__(self, code: Enum, refusal: Refused) -> None:
        super().__init__(code, refusal.field)
        self.refusal = refusal
        self.fields = [refusal.field] if refusal.field else []
        self.violations: list[Any] = []

    @property
    def message(self) -> str:
        return self.refusal.message


def codes_of(error_type: type[UserError]) -> type[Enum]:
    """The code enum an error type declares (`code: XErrorCode`)."""
    codes: type[Enum] = get_type_hints(error_type)["code"]
    return codes


def refused_error(error_type: type[UserError], refusal: Refused) -> UserError:
    """The mutation's error object for a refusal: its own code enum, the same name."""
    return error_type.of(_Refusal(codes_of(error_type)[refusal.code.value], refusal))


def action_of(field: StrawberryField) -> Action | None:
    """The action a root field was declared with, if any (the matrix test reads it)."""
    for extension in field.extensions:
        if isinstance(extension, Authorised):
            return extension.action
    return None


def authorised(action: Action) -> list[FieldExtension]:
    """`extensions=authorised(Action.X)` on a root field."""
    return [Authorised(action)]


__all__ = [
    "Authorised",
    "KeptErrors",
    "RefusalCode",
    "action_of",
    "authorised",
    "codes_of",
    "refused_error",
]

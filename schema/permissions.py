"""Permission classes declared on fields; row scoping lives in the repositories."""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission

from resolvers.context import Info
from storage.models.accounts import Role


class IsAuthenticated(BasePermission):
    message = "请先登录。"
    error_extensions = {"code": "UNAUTHENTICATED"}  # noqa: RUF012 (strawberry reads it per instance)

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return info.context.principal.is_authenticated


class IsStaff(BasePermission):
    message = "仅限工作人员访问。"
    error_extensions = {"code": "FORBIDDEN"}  # noqa: RUF012 (strawberry reads it per instance)

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return info.context.principal.is_staff


class IsAdmin(BasePermission):
    message = "仅限管理员访问。"
    error_extensions = {"code": "FORBIDDEN"}  # noqa: RUF012 (strawberry reads it per instance)

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return Role.ADMIN in info.context.principal.roles

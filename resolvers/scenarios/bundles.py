"""A scenario bundle is one parent application with one child per item. The parent's status
follows its children by the applications domain's rules (resolvers/applications/bundles.py,
BUNDLE_WORKFLOW); scenarios reach them through the applications service only."""

from __future__ import annotations

from resolvers.applications.service import bundle_status as parent_status
from resolvers.applications.service import notify_bundle as notify

__all__ = ["notify", "parent_status"]

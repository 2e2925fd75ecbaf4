"""The outbox as other domains use it: a handler for their kind of message, and how it says
"try again later" or "this message can never be sent"."""

from __future__ import annotations

from resolvers.outbox.dispatcher import Handler, Permanent, Retry

__all__ = ["Handler", "Permanent", "Retry"]

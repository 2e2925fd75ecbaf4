"""A sandbox of the provincial platform's exchange interface (a fake: never in production)."""

from province_sandbox.server import SandboxState, create_sandbox_app

__all__ = ["SandboxState", "create_sandbox_app"]

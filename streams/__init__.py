"""wijkhub's hub side: the Faust app, its agents and tables."""

from streams.config import HubSettings
from streams.errors import HubError

__all__ = ["HubError", "HubSettings"]

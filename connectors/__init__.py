"""wijkhub's partner side: the connector SDK and the partner connectors."""

from connectors.errors import ConnectorError, PublishError

__all__ = ["ConnectorError", "PublishError"]

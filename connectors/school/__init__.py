"""The school connector: the absence export with the Verzuimmelding categories (a snapshot)."""

from connectors.school.source import SchoolConnector, SchoolSource

__all__ = ["SchoolConnector", "SchoolSource"]

"""The partner connectors by name, as ``wijkhub connector run <partner>`` knows them."""

from __future__ import annotations

from connectors.corporation import CorporationConnector
from connectors.gemeente import GemeenteConnector
from connectors.runner import Connector
from connectors.school import SchoolConnector

__all__ = ["CONNECTORS"]

CONNECTORS: dict[str, type[Connector]] = {
    "corporation": CorporationConnector,
    "gemeente": GemeenteConnector,
    "school": SchoolConnector,
}

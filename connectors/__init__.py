"""wijkhub's partner side: the connector SDK and the partner connectors.

Never imports ``streams`` or Faust: a partner installs ``wijkhub[connectors]`` only.
"""

from connectors.config import ConnectorSettings
from connectors.errors import (
    ConnectorError,
    ExportRefusedError,
    MappingError,
    PublishError,
    RowError,
    StateError,
)
from connectors.mapping import MappingSpec, load_mapping
from connectors.runner import Connector
from connectors.sealing import Sealer
from connectors.source import PartnerSource, RecordTarget
from connectors.summary import RunSummary

__all__ = [
    "Connector",
    "ConnectorError",
    "ConnectorSettings",
    "ExportRefusedError",
    "MappingError",
    "MappingSpec",
    "PartnerSource",
    "PublishError",
    "RecordTarget",
    "RowError",
    "RunSummary",
    "Sealer",
    "StateError",
    "load_mapping",
]

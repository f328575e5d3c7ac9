"""The housing corporation connector: the rent arrears list (a snapshot export)."""

from connectors.corporation.source import CorporationConnector, CorporationSource

__all__ = ["CorporationConnector", "CorporationSource"]

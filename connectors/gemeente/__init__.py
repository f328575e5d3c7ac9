"""The gemeente connector: work trajectories and placements (snapshot), and the consent
intake register with its intake_ref (delta)."""

from connectors.gemeente.source import GemeenteConnector, GemeenteSource

__all__ = ["GemeenteConnector", "GemeenteSource"]

"""The gemeente's exports and connector."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from connectors.gemeente.mapping import TRANSFORMS
from connectors.runner import Connector
from connectors.source import PartnerSource, RecordTarget
from schemas.models import ConsentRecord, WorkSignal

__all__ = ["GemeenteConnector", "GemeenteSource"]


class GemeenteSource(PartnerSource):
    """The gemeente's work trajectories export and its consent intake register."""

    partner = "gemeente"
    records: ClassVar[Mapping[str, RecordTarget]] = {
        "WorkSignal": RecordTarget(WorkSignal, "ingest.werk.v1"),
        "ConsentRecord": RecordTarget(ConsentRecord, "ingest.consent.v1"),
    }
    transforms = TRANSFORMS


class GemeenteConnector(Connector):
    """Publishes work signals and consent records of the gemeente."""

    source_class = GemeenteSource

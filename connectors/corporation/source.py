"""The housing corporation's exports and connector."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from connectors.corporation.mapping import TRANSFORMS
from connectors.runner import Connector
from connectors.source import PartnerSource, RecordTarget
from schemas.models import RentArrearsSignal

__all__ = ["CorporationConnector", "CorporationSource"]


class CorporationSource(PartnerSource):
    """A corporation's rent arrears list."""

    partner = "corporation"
    records: ClassVar[Mapping[str, RecordTarget]] = {
        "RentArrearsSignal": RecordTarget(RentArrearsSignal, "ingest.wonen.v1")
    }
    transforms = TRANSFORMS


class CorporationConnector(Connector):
    """Publishes a corporation's rent arrears list as RentArrearsSignal events."""

    source_class = CorporationSource

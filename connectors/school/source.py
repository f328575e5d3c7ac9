"""The school's exports and connector."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from connectors.runner import Connector
from connectors.school.mapping import TRANSFORMS
from connectors.source import PartnerSource, RecordTarget
from schemas.models import SchoolAbsenceSignal

__all__ = ["SchoolConnector", "SchoolSource"]


class SchoolSource(PartnerSource):
    """A school's (or school board's) export of open absence reports."""

    partner = "school"
    records: ClassVar[Mapping[str, RecordTarget]] = {
        "SchoolAbsenceSignal": RecordTarget(SchoolAbsenceSignal, "ingest.school.v1")
    }
    transforms = TRANSFORMS


class SchoolConnector(Connector):
    """Publishes a school's absence export as SchoolAbsenceSignal events."""

    source_class = SchoolSource

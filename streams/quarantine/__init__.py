"""Parked records: consent the hub cannot read, never dropped, never stopping other households.

:mod:`.records` is how each state of a parked record is written to and read from
``quarantine.v1`` (pure), :mod:`.view` the latest state of each and the holds (pure),
:mod:`.operator` the operator's reads, releases and discards (``wijkhub quarantine``,
:mod:`.commands`). The ingress parks and re-drives (:mod:`streams.ingress.parking`).
"""

from streams.quarantine.errors import QuarantineError
from streams.quarantine.records import Entry
from streams.quarantine.view import QuarantineView

__all__ = ["Entry", "QuarantineError", "QuarantineView"]

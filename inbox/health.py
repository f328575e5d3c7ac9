"""Whether Kafka answers: the inbox's :class:`BrokerProbe` (shared with the hub worker, so it
lives in the kernel, :mod:`schemas.broker_probe`)."""

from __future__ import annotations

from schemas.broker_probe import BrokerProbe, BrokerStatus

__all__ = ["BrokerProbe", "BrokerStatus"]

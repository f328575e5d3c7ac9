"""The household stage of the hub: consent gate, state, rules, proposals, decisions, feedback.

:mod:`.batch` runs a batch of events through the pure rule engine (:mod:`streams.rules`),
:mod:`.store` keeps the state per partition, :mod:`.processor` is the aiokafka batch loop that
ties them to Kafka and runs beside the Faust app in the worker (see docs/hub.md for why it is
not a Faust agent).
"""

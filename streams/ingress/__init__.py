"""The ingress stage of the hub: ingest topics → pseudonymised ``household-events.v1``.

:mod:`.keys` holds the hub's key pair and pseudonym key, :mod:`.pseudonymise` turns one
ingest message into a household event keyed by ``hh_ref`` (pure, no Kafka), and
:mod:`.forwarder` is the aiokafka batch loop that runs it in the worker.
"""

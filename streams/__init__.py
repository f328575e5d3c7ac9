"""wijkhub's hub: the ingress and household stages and their runtime (the Faust worker).

One folder per stage in the order data flows: :mod:`streams.ingress` (unseal, pseudonymise),
:mod:`streams.household` (consent gate, state, proposals) with the pure rule engine in
:mod:`streams.rules`, and :mod:`streams.runtime` (Faust app and worker, batch loops,
messages and dead letters, lag). Nothing of the coordinators' inbox lives here.
"""

from streams.errors import HubError
from streams.settings import HubSettings

__all__ = ["HubError", "HubSettings"]

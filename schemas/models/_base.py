"""The base of every contract model, the ingest envelope, and the constrained string types.

Strings in the contracts are never free text: each has a pattern and a maximum length,
enforced here and written into the ``.avsc`` (``pattern``, ``maxLength``) so the
minimisation lint and partners in other languages see them too.
"""

from __future__ import annotations

from typing import Annotated, ClassVar
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

__all__ = [
    "ActorId",
    "BuurtCode",
    "ContractModel",
    "HhRef",
    "IngestEnvelope",
    "ObjectId",
    "OpaqueRef",
    "PartnerId",
    "RuleId",
    "VersionTag",
]

BuurtCode = Annotated[str, StringConstraints(pattern=r"^BU[0-9]{8}$", max_length=10)]
"""A CBS buurt code, e.g. ``BU03630000``."""

PartnerId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$", max_length=64)]
"""A partner's id in the hub, e.g. ``corporatie-woonstad``; lower case, no spaces."""

HhRef = Annotated[
    str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,15}:[0-9a-f]{64}$", max_length=81)
]
"""A household pseudonym: ``<key id>:<hex HMAC-SHA256>``, e.g. ``k1:9f86…``."""

_REF = r"^[A-Za-z0-9._:-]*[A-Za-z][A-Za-z0-9._:-]*$"

OpaqueRef = Annotated[str, StringConstraints(pattern=_REF, max_length=64)]
"""An opaque reference issued by a partner (never a BSN, name or student number).

It must hold at least one letter, so a bare number (the shape of a BSN or a student number)
is refused: prefix numeric references, e.g. ``INT-2026-0042``."""

RuleId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$", max_length=64)]
"""The id of a correlation rule in the hub's configuration, e.g. ``multi_domain``."""

VersionTag = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]{1,32}$", max_length=32)]
"""A version label, e.g. of a consent notice: ``2026-01``."""

ActorId = Annotated[str, StringConstraints(pattern=_REF, max_length=64)]
"""An account id of an employee or system (NEN 7513 user id); not an e-mail address."""

ObjectId = Annotated[
    str,
    StringConstraints(
        pattern=r"^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
        r"|[a-z0-9][a-z0-9_-]{0,15}:[0-9a-f]{64})$",
        max_length=81,
    ),
]
"""What an audit entry is about: a proposal_id (UUID, lower case) or an hh_ref."""


class ContractModel(BaseModel):
    """Base of every record in the contracts: immutable, no extra fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    avro_name: ClassVar[str]
    """Avro record name (namespace ``nl.wijkhub``); the ``.avsc`` directory is named so."""


class IngestEnvelope(ContractModel):
    """Envelope fields every ingest signal carries."""

    event_id: UUID = Field(
        description="Unique id of this event; deterministic per source row and change, so a "
        "re-sent export is recognised as a duplicate. Also the CloudEvents id."
    )
    occurred_at: AwareDatetime = Field(
        description="When the change happened in the partner's system (event time, UTC)."
    )
    source: PartnerId = Field(description="Id of the publishing partner in the hub.")
    sealed_subject: bytes = Field(
        max_length=512,
        description="Normalised household address, sealed to the hub's public key "
        "(libsodium sealed box); ciphertext only the hub can open.",
    )
    buurt_code: BuurtCode | None = Field(
        default=None, description="CBS code of the buurt the household lives in, if known."
    )

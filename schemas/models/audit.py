"""NEN 7513 audit entries: who did what with which proposal or household, when."""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from pydantic import AwareDatetime, Field

from schemas.models._base import ActorId, ContractModel, ObjectId
from schemas.models.enums import ActorRole, AuditAction, AuditObjectType

__all__ = ["AuditEntry"]


class AuditEntry(ContractModel):
    """One logged access to household data (NEN 7513 fields)."""

    avro_name: ClassVar[str] = "AuditEntry"

    entry_id: UUID = Field(description="Unique id of this entry. Also the CloudEvents id.")
    at: AwareDatetime = Field(description="When the action happened (UTC).")
    actor_role: ActorRole = Field(description="Role of the user or system that acted.")
    actor_id: ActorId = Field(
        description="Account id of the user or system that acted (NEN 7513 user id)."
    )
    on_behalf_of: ActorId | None = Field(
        default=None, description="Account id of the user on whose behalf the actor acted."
    )
    action: AuditAction = Field(description="What was done.")
    object_type: AuditObjectType = Field(description="What kind of object it was done to.")
    object_id: ObjectId = Field(
        description="The proposal_id (a UUID) or the hh_ref (a pseudonym) acted on."
    )

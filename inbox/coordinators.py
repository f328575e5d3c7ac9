"""Coordinator accounts from a TOML file, and checking a login against them.

```toml
[[coordinator]]
id = "coord-noord-1"            # account id, logged in the audit trail (never a name)
role = "coordinator"            # an ActorRole
buurten = ["BU03630001"]        # CBS codes of the buurten this coordinator serves
password_hash = "scrypt$15$8$1$…"   # from `wijkhub inbox hash-password`
# see_unassigned = true         # also sees proposals that carry no buurt code
```
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from inbox.errors import InboxConfigError
from inbox.passwords import hash_password, verify_password
from schemas.models import ActorRole
from schemas.models._base import ActorId, BuurtCode

__all__ = ["Coordinator", "CoordinatorRegistry", "load_coordinators"]

_DUMMY_HASH = hash_password("no such account: keeps a failed login as slow as a real one")


class Coordinator(BaseModel):
    """One coordinator's account."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: ActorId
    role: ActorRole = ActorRole.COORDINATOR
    buurten: frozenset[BuurtCode] = Field(default_factory=frozenset)
    password_hash: str = Field(repr=False)
    see_unassigned: bool = False

    def may_see(self, buurt_code: str | None) -> bool:
        """Whether a proposal for ``buurt_code`` is within this coordinator's buurten."""
        if buurt_code is None:
            return self.see_unassigned
        return buurt_code in self.buurten


class CoordinatorRegistry:
    """The accounts by id; checks passwords in constant time per attempt."""

    def __init__(self, coordinators: list[Coordinator]) -> None:
        self._by_id = {c.id: c for c in coordinators}

    def get(self, coordinator_id: str) -> Coordinator | None:
        """The account with this id, or ``None``."""
        return self._by_id.get(coordinator_id)

    def authenticate(self, coordinator_id: str, password: str) -> Coordinator | None:
        """The account if the password matches; ``None`` for a wrong id or password."""
        found = self._by_id.get(coordinator_id)
        ok = verify_password(password, found.password_hash if found else _DUMMY_HASH)
        return found if ok and found is not None else None

    def __len__(self) -> int:
        return len(self._by_id)


def load_coordinators(path: Path) -> CoordinatorRegistry:
    """Read the coordinators file; :class:`InboxConfigError` says what is wrong, and where."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InboxConfigError(
            f"coordinators file {path} does not exist; create it (see docs/inbox.md) and set "
            "WIJKHUB_INBOX_COORDINATORS"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise InboxConfigError(f"coordinators file {path} is not valid TOML: {exc}") from None
    entries = data.get("coordinator", [])
    if not isinstance(entries, list) or not entries:
        raise InboxConfigError(f"coordinators file {path} has no [[coordinator]] entries")
    accounts: list[Coordinator] = []
    for number, entry in enumerate(entries, start=1):
        try:
            accounts.append(Coordinator.model_validate(entry))
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
                for e in exc.errors(include_input=False, include_url=False)
            )
            raise InboxConfigError(
                f"coordinators file {path}, coordinator #{number}: {problems}"
            ) from None
    ids = [a.id for a in accounts]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise InboxConfigError(f"coordinators file {path}: duplicate ids {duplicates}")
    return CoordinatorRegistry(accounts)

"""The rule book: correlation rules as declarative configuration (TOML).

The default book ships with the package (``streams/rules/default.toml``); an operator points
``WIJKHUB_HUB_RULES`` at a file of their own. Rules are scoped: a variant of a rule may apply
to one gemeente (``GM0363``) or one buurt (``BU03630000``); for a household the most specific
variant of each rule applies. See docs/rules.md.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from schemas.models import Priority, SuggestedAction
from streams.errors import HubError

__all__ = ["DEFAULT_RULES", "Rule", "RuleBook", "RuleError", "load_rules", "parse_rules"]

DEFAULT_RULES = "default.toml"
_SCOPE_BUURT = 10
_SCOPE_GEMEENTE = 6


class RuleError(HubError):
    """The rule file is missing or invalid; the message names the file and the rule."""


@dataclass(frozen=True, slots=True)
class Rule:
    """One correlation rule (one scoped variant of it)."""

    id: str
    rank: int
    """Precedence: lower ranks first; a lower rank supersedes an open proposal of a higher."""
    min_domains: int
    window_days: int
    priority: Priority
    suggested_actions: tuple[SuggestedAction, ...]
    respond_days: int = 0
    respond_working_days: int = 0
    require_eviction_risk: bool = False
    scope: str = ""
    """``""`` for every household, ``GMxxxx`` for a gemeente, ``BUxxxxxxxx`` for a buurt."""


@dataclass(frozen=True, slots=True)
class RuleBook:
    """Every rule and the correlation settings."""

    rules: tuple[Rule, ...]
    signal_ttl_days: int = 90
    cooldown_days: int = 180
    grace_days: int = 14
    recent_ids: int = 16
    _by_buurt: dict[str | None, tuple[Rule, ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    """Memo of :meth:`for_buurt` (the engine asks for every event)."""
    _ranks: dict[str, int] = field(default_factory=dict, init=False, repr=False, compare=False)

    def for_buurt(self, buurt: str | None) -> tuple[Rule, ...]:
        """The rules that apply to a household in ``buurt``, in order of precedence."""
        found = self._by_buurt.get(buurt)
        if found is None:
            found = self._by_buurt[buurt] = self._choose(buurt)
        return found

    def _choose(self, buurt: str | None) -> tuple[Rule, ...]:
        gemeente = f"GM{buurt[2:6]}" if buurt else None
        chosen: dict[str, Rule] = {}
        for rule in self.rules:
            if rule.scope and rule.scope not in (buurt, gemeente):
                continue
            best = chosen.get(rule.id)
            if best is None or len(rule.scope) > len(best.scope):
                chosen[rule.id] = rule
        return tuple(sorted(chosen.values(), key=lambda r: r.rank))

    def rank_of(self, rule_id: str) -> int:
        """The precedence of a rule id (unknown ids rank last)."""
        rank = self._ranks.get(rule_id)
        if rank is None:
            rank = next((r.rank for r in self.rules if r.id == rule_id), len(self.rules))
            self._ranks[rule_id] = rank
        return rank


def _rule(raw: dict[str, Any], rank: int, where: str) -> Rule:
    known = {
        "id", "description", "min_domains", "window_days", "priority", "suggested_actions",
        "respond_days", "respond_working_days", "require_eviction_risk", "scope",
    }  # fmt: skip
    unknown = set(raw) - known
    if unknown:
        raise RuleError(f"{where}: unknown key(s) {sorted(unknown)}; known: {sorted(known)}")
    try:
        rule = Rule(
            id=str(raw["id"]),
            rank=rank,
            min_domains=int(raw["min_domains"]),
            window_days=int(raw["window_days"]),
            priority=Priority(raw["priority"]),
            suggested_actions=tuple(SuggestedAction(a) for a in raw["suggested_actions"]),
            respond_days=int(raw.get("respond_days", 0)),
            respond_working_days=int(raw.get("respond_working_days", 0)),
            require_eviction_risk=bool(raw.get("require_eviction_risk", False)),
            scope=str(raw.get("scope", "")),
        )
    except KeyError as exc:
        raise RuleError(f"{where}: missing key {exc.args[0]!r}") from None
    except ValueError as exc:
        raise RuleError(f"{where}: {exc}") from None
    if (rule.respond_days > 0) == (rule.respond_working_days > 0):
        raise RuleError(f"{where}: give exactly one of respond_days and respond_working_days")
    if not 1 <= rule.min_domains <= 3 or rule.window_days < 1:
        raise RuleError(f"{where}: min_domains must be 1..3 and window_days at least 1")
    if rule.scope and not (
        (len(rule.scope) == _SCOPE_BUURT and rule.scope.startswith("BU"))
        or (len(rule.scope) == _SCOPE_GEMEENTE and rule.scope.startswith("GM"))
    ):
        raise RuleError(f"{where}: scope must be a buurt (BUxxxxxxxx) or gemeente (GMxxxx)")
    return rule


def parse_rules(text: str, where: str = "<rules>") -> RuleBook:
    """A rule book from TOML text; ``where`` names the file in errors."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RuleError(f"{where}: not valid TOML ({exc})") from None
    raw_rules = doc.get("rule", [])
    if not raw_rules:
        raise RuleError(f"{where}: no [[rule]] tables; a hub without rules proposes nothing")
    order: dict[str, int] = {}
    rules = []
    for i, raw in enumerate(raw_rules):
        rank = order.setdefault(str(raw.get("id")), len(order))
        rules.append(_rule(raw, rank, f"{where} rule #{i + 1} ({raw.get('id', '?')})"))
    settings = doc.get("settings", {})
    try:
        return RuleBook(rules=tuple(rules), **{k: int(v) for k, v in settings.items()})
    except TypeError:
        raise RuleError(f"{where}: unknown key in [settings]: {sorted(settings)}") from None


def load_rules(path: Path | None = None) -> RuleBook:
    """The rule book in ``path``, or the default one shipped with wijkhub."""
    if path is None:
        text = resources.files("streams.rules").joinpath(DEFAULT_RULES).read_text("utf-8")
        return parse_rules(text, f"streams/rules/{DEFAULT_RULES}")
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise RuleError(
            f"{path}: cannot read the rule file ({type(exc).__name__}); check WIJKHUB_HUB_RULES"
        ) from None
    return parse_rules(text, str(path))

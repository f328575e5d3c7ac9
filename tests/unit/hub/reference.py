"""An independent reference for the hub's proposals, for acceptance tests.

Written from DESIGN.md ('Privacy model', 'Correlation semantics') and the rule file, without
``streams.rules`` or the connectors: it reads ``wijkhub generate``'s export files (csv) and its
ground truth, works out which events the connectors publish (snapshot diff, consent delta),
and replays every household's timeline with plain dicts. Decisions are not modelled: the
acceptance runs send none.

Order: the exports run month by month, consent first, then werk, wonen and school, each
fully processed before the next (the demo and the tests wait for the hub in between). Within
one export a household's events keep the file's order, resolved rows last (see
``export_events``).
"""

from __future__ import annotations

import base64
import csv
import hashlib
import hmac
import json
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid5

__all__ = ["EXPORT_ORDER", "Event", "Outcome", "content_of", "export_events", "reference"]

PROPOSAL_NAMESPACE = UUID("6f1c1d1e-8a53-5b7e-9a55-77696a6b6875")
"""The namespace of proposal ids (a contract: ids must stay stable across versions)."""
EXPORT_ORDER = ("gemeente_toestemming", "gemeente_werk", "corporatie_huurachterstand",
                "school_verzuim")  # fmt: skip
DOMAIN_OF = {"gemeente_werk": "werk", "corporatie_huurachterstand": "wonen",
             "school_verzuim": "school"}  # fmt: skip
DOMAIN_ORDER = ("wonen", "school", "werk")
REFRESH_DAYS = 30  # every sample mapping of a snapshot export says refresh_days = 30
_STATUS = {"gegeven": "given", "geweigerd": "refused", "ingetrokken": "withdrawn",
           "verlopen": "expired", "verlengd": "renewed"}  # fmt: skip
_PURPOSE = {"vroegsignalering": "early_signalling", "gezamenlijke_aanpak": "joint_action",
            "terugkoppeling": "feedback_to_partners"}  # fmt: skip


@dataclass(frozen=True)
class Event:
    """One event as a connector publishes it: whose, when, what."""

    address: str  # the canonical identifier; stays inside the test process
    at: datetime
    domain: str  # consent, wonen, school or werk
    status: str  # opened/updated/observed/resolved; for consent the consent status
    facts: dict[str, Any]


@dataclass
class Outcome:
    """Every proposal (by id, as comparable content) and every retraction (id → reason)."""

    proposals: dict[UUID, dict[str, Any]] = field(default_factory=dict)
    retractions: dict[UUID, str] = field(default_factory=dict)


def _dmy(text: str) -> date:
    return datetime.strptime(text, "%d-%m-%Y").replace(tzinfo=UTC).date()


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _consent_rows(path: Path) -> dict[int, dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="|"))
    return dict(enumerate(rows, start=2))  # line 1 is the header


def export_events(exports: Path) -> list[tuple[str, list[Event]]]:
    """The events each export run publishes, in run order: ``[(file name, events)]``."""
    truth = json.loads((exports / "TEST-ONLY-ground-truth.json").read_text("utf-8"))
    by_name = {f["file"]: f for f in truth["files"]}
    previous: dict[str, dict[tuple[str, ...], tuple[dict[str, Any], date]]] = {}
    runs: list[tuple[str, list[Event]]] = []
    for month in truth["months"]:
        for stem in EXPORT_ORDER:
            name = next(n for n in by_name if n.startswith(f"{stem}_{month}."))
            valid = sorted(by_name[name]["valid"], key=lambda v: v["line"])
            if stem == "gemeente_toestemming":
                runs.append((name, _consent_events(exports / name, valid)))
            else:
                before = previous.setdefault(stem, {})
                as_of = date.fromisoformat(f"{month}-01")
                runs.append((name, _snapshot_events(DOMAIN_OF[stem], valid, before, as_of)))
    return runs


def _consent_events(path: Path, valid: list[dict[str, Any]]) -> list[Event]:
    rows = _consent_rows(path)
    events = []
    for v in valid:
        row = rows[v["line"]]
        facts = {
            "intake_ref": row["intake_ref"],
            "purposes": {_PURPOSE[p] for p in row["doelen"].split(";") if p},
            "domains": {d for d in row["domeinen"].split(";") if d},
            "valid_from": _dmy(row["geldig_vanaf"]),
            "valid_until": _dmy(row["geldig_tot"]) if row["geldig_tot"] else None,
        }
        at = _midnight(_dmy(row["registratiedatum"]))
        events.append(Event(v["id"], at, "consent", _STATUS[row["status"]], facts))
    return events


def _snapshot_events(
    domain: str,
    valid: list[dict[str, Any]],
    before: dict[tuple[str, ...], tuple[dict[str, Any], date]],
    as_of: date,
) -> list[Event]:
    """DESIGN's snapshot diff: opened, updated, observed after refresh_days, resolved."""
    at, events, present = _midnight(as_of), [], set()
    for v in valid:
        key = (v["id"], *v["key"])
        present.add(key)
        old = before.get(key)
        if old is None:
            status = "opened"
        elif old[0] != v["facts"]:
            status = "updated"
        elif (as_of - old[1]).days >= REFRESH_DAYS:
            status = "observed"
        else:
            continue
        before[key] = (v["facts"], as_of)
        events.append(Event(v["id"], at, domain, status, {**v["facts"], "key": key}))
    for key in sorted(set(before) - present):
        facts, _ = before.pop(key)
        events.append(Event(key[0], at, domain, "resolved", {**facts, "key": key}))
    return events


@dataclass(frozen=True)
class _Rule:
    id: str
    rank: int
    scope: str
    spec: dict[str, Any]


def _rules(path: Path) -> tuple[dict[str, int], list[_Rule]]:
    doc = tomllib.loads(path.read_text("utf-8"))
    ranks: dict[str, int] = {}
    rules = [
        _Rule(r["id"], ranks.setdefault(r["id"], len(ranks)), r.get("scope", ""), r)
        for r in doc["rule"]
    ]
    settings = {"signal_ttl_days": 90, "grace_days": 14, **doc.get("settings", {})}
    return settings, rules


def _working_days(start: date, n: int) -> date:
    day = start
    while n:
        day += timedelta(days=1)
        n -= day.weekday() < 5
    return day


class _Household:
    def __init__(self, consent: dict[str, Any], at: datetime) -> None:
        self.consent, self.consent_at = consent, at
        self.buurt: str | None = None
        self.latest: datetime | None = None
        self.signals: dict[tuple[str, ...], dict[str, Any]] = {}
        self.episode = 0
        self.open: tuple[UUID, int] | None = None  # proposal id, rule rank


class _Replay:
    def __init__(self, settings: dict[str, Any], rules: list[_Rule], pseudonym: dict[str, str]):
        self.ttl = timedelta(days=settings["signal_ttl_days"])
        self.grace = timedelta(days=settings["grace_days"])
        self.rules = rules
        self.key_id = pseudonym["key_id"]
        self.key = base64.b64decode(pseudonym["key"])
        self.households: dict[str, _Household] = {}
        self.ended: dict[str, datetime] = {}  # when a household's consent last ended
        self.out = Outcome()

    def hh_ref(self, address: str) -> str:
        mac = hmac.new(self.key, address.encode("ascii"), hashlib.sha256).hexdigest()
        return f"{self.key_id}:{mac}"

    def apply(self, e: Event) -> None:
        hh = self.households.get(e.address)
        if e.domain == "consent":
            self._consent(e, hh)
        elif hh is not None:
            self._signal(e, hh)

    def _valid(self, c: dict[str, Any], status: str, day: date) -> bool:
        ok = status in ("given", "renewed") and "early_signalling" in c["purposes"]
        return ok and (c["valid_until"] is None or day <= c["valid_until"])

    def _purge(self, e: Event, hh: _Household | None) -> None:
        if hh is not None and hh.open is not None:
            self.out.retractions[hh.open[0]] = "consent_ended"
        self.households.pop(e.address, None)
        self.ended[e.address] = e.at

    def _consent(self, e: Event, hh: _Household | None) -> None:
        if hh is not None and e.at < hh.consent_at:
            return  # an older consent record than the one in force
        if hh is None and e.at < self.ended.get(e.address, e.at):
            return  # older than the record that ended consent
        if not self._valid(e.facts, e.status, e.at.date()):
            self._purge(e, hh)
            return
        if hh is None:
            self.households[e.address] = _Household(e.facts, e.at)
            return
        hh.consent, hh.consent_at = e.facts, e.at
        hh.signals = {k: s for k, s in hh.signals.items() if s["domain"] in e.facts["domains"]}
        self._evaluate(e, hh, "consent_ended")

    def _signal(self, e: Event, hh: _Household) -> None:
        c, day = hh.consent, e.at.date()
        if c["valid_until"] is not None and day > c["valid_until"]:
            self._purge(e, hh)
            return
        if day < c["valid_from"] or e.domain not in c["domains"]:
            return
        if hh.latest is not None and e.at < hh.latest - self.grace:
            return
        hh.latest = max(hh.latest or e.at, e.at)
        hh.buurt = e.facts.get("buurt_code") or hh.buurt
        key = e.facts["key"]
        if e.status == "resolved":
            hh.signals.pop(key, None)
        else:
            hh.signals[key] = {"domain": e.domain, "seen": e.at, **e.facts}
        self._evaluate(e, hh, "signals_resolved" if e.status == "resolved" else "expired")

    def _active(self, hh: _Household, at: datetime, window: int) -> list[dict[str, Any]]:
        return [
            s for s in hh.signals.values()
            if date.fromisoformat(s["since"]) <= at.date()
            and at - s["seen"] < min(self.ttl, timedelta(days=window))
            and s["domain"] in hh.consent["domains"]
        ]  # fmt: skip

    def _fires(self, hh: _Household, at: datetime) -> tuple[_Rule, list[dict[str, Any]]] | None:
        gemeente = f"GM{hh.buurt[2:6]}" if hh.buurt else None
        best: dict[str, _Rule] = {}
        for r in self.rules:
            if r.scope in ("", hh.buurt, gemeente) and len(r.scope) >= len(best.get(r.id, r).scope):
                best[r.id] = r
        for rule in sorted(best.values(), key=lambda r: r.rank):
            active = self._active(hh, at, rule.spec["window_days"])
            if len({s["domain"] for s in active}) < rule.spec["min_domains"]:
                continue
            if rule.spec.get("require_eviction_risk") and not any(
                s.get("eviction_risk") for s in active
            ):
                continue
            return rule, active
        return None

    def _evaluate(self, e: Event, hh: _Household, reason: str) -> None:
        fires = self._fires(hh, e.at) if "joint_action" in hh.consent["purposes"] else None
        if hh.open is not None:
            if fires is None:
                self.out.retractions[hh.open[0]] = reason
                hh.open = None
                return
            if fires[0].rank >= hh.open[1]:
                return  # the open proposal stands; never de-escalate
            self.out.retractions[hh.open[0]] = "superseded"
        elif fires is None:
            return
        else:
            hh.episode += 1
        rule, active = fires
        ref = self.hh_ref(e.address)
        pid = uuid5(PROPOSAL_NAMESPACE, f"proposal|{ref}|{rule.id}|{hh.episode}")
        hh.open = (pid, rule.rank)
        self.out.proposals[pid] = _content(pid, ref, hh, rule, active=active, at=e.at)


def _kind(s: dict[str, Any]) -> str:
    if s["domain"] == "wonen":
        return "rent_arrears_eviction_risk" if s["eviction_risk"] else "rent_arrears"
    return str(s["kind"])


def _content(
    pid: UUID, ref: str, hh: _Household, rule: _Rule, *, active: list[dict[str, Any]], at: datetime
) -> dict[str, Any]:
    spec = rule.spec
    day = at.date()
    respond = (
        _working_days(day, spec["respond_working_days"])
        if spec.get("respond_working_days")
        else day + timedelta(days=spec["respond_days"])
    )
    return {
        "proposal_id": pid,
        "created_at": at,
        "hh_ref": ref,
        "intake_ref": hh.consent["intake_ref"],
        "buurt_code": hh.buurt,
        "rule": rule.id,
        "domains": frozenset(s["domain"] for s in active),
        "signals": frozenset(
            (s["domain"], _kind(s), date.fromisoformat(s["since"])) for s in active
        ),
        "suggested_actions": tuple(spec["suggested_actions"]),
        "priority": spec["priority"],
        "respond_by": respond,
    }


def reference(exports: Path, keys_dir: Path, rules_file: Path) -> Outcome:
    """The proposals and retractions the hub must publish for ``exports`` run in order."""
    settings, rules = _rules(rules_file)
    pseudonym = json.loads((keys_dir / "pseudonym.key").read_text("ascii"))
    replay = _Replay(settings, rules, pseudonym)
    for _name, events in export_events(exports):
        for event in events:
            replay.apply(event)
    return replay.out


def content_of(p: Any) -> dict[str, Any]:
    """A ``JointActionProposal`` in the reference's comparable form."""
    return {
        "proposal_id": p.proposal_id,
        "created_at": p.created_at,
        "hh_ref": p.hh_ref,
        "intake_ref": p.intake_ref,
        "buurt_code": p.buurt_code,
        "rule": p.rule,
        "domains": frozenset(d.value for d in p.domains),
        "signals": frozenset((s.domain.value, s.kind.value, s.since) for s in p.signals),
        "suggested_actions": tuple(a.value for a in p.suggested_actions),
        "priority": p.priority.value,
        "respond_by": p.respond_by,
    }

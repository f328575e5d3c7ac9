"""Correlation rules: the declarative rule book and the pure rule engine (no Faust)."""

from streams.rules.book import Rule, RuleBook, RuleError, load_rules, parse_rules
from streams.rules.engine import Step, apply_decision, apply_event
from streams.rules.outputs import Output, proposal_id
from streams.rules.state import Ended, Household, decode_state, encode_state

__all__ = [
    "Ended",
    "Household",
    "Output",
    "Rule",
    "RuleBook",
    "RuleError",
    "Step",
    "apply_decision",
    "apply_event",
    "decode_state",
    "encode_state",
    "load_rules",
    "parse_rules",
    "proposal_id",
]

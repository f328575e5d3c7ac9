"""Hypothesis strategies for every contract model, derived from the models' own constraints."""

from __future__ import annotations

import types
from datetime import UTC, date, datetime, timedelta, timezone
from enum import StrEnum
from typing import Annotated, Any, Union, get_args, get_origin
from uuid import UUID

from annotated_types import MaxLen, MinLen
from hypothesis import strategies as st
from pydantic import AwareDatetime
from pydantic.types import StringConstraints

from schemas.models import ContractModel

_ZONES = st.sampled_from([UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-5))])
_DATETIMES = st.datetimes(
    min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1), timezones=_ZONES
)
_DATES = st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 1, 1))


def _string(meta: list[Any]) -> st.SearchStrategy[str]:
    pattern, max_len = None, None
    for m in meta:
        if isinstance(m, StringConstraints):
            pattern, max_len = m.pattern, m.max_length
    assert pattern is not None, "every contract string has a pattern"
    strategy = st.from_regex(str(pattern), fullmatch=True)
    return strategy.filter(lambda s: max_len is None or len(s) <= max_len)


def for_type(tp: Any, meta: list[Any]) -> st.SearchStrategy[Any]:  # noqa: PLR0911
    origin = get_origin(tp)
    if origin is Annotated:
        base, *more = get_args(tp)
        return for_type(base, [*meta, *more])
    if origin in (Union, types.UnionType):
        return st.one_of(
            [st.none() if a is type(None) else for_type(a, meta) for a in get_args(tp)]
        )
    if origin is tuple:
        item = get_args(tp)[0]
        min_size = next((m.min_length for m in meta if isinstance(m, MinLen)), 0)
        return st.lists(for_type(item, []), min_size=min_size, max_size=4).map(tuple)
    if isinstance(tp, type) and issubclass(tp, StrEnum):
        return st.sampled_from(list(tp))
    if isinstance(tp, type) and issubclass(tp, ContractModel):
        return model_strategy(tp)
    if tp is UUID:
        return st.uuids()
    if tp in (AwareDatetime, datetime):
        return _DATETIMES
    if tp is date:
        return _DATES
    if tp is bool:
        return st.booleans()
    if tp is bytes:
        max_size = next((m.max_length for m in meta if isinstance(m, MaxLen)), 64)
        return st.binary(min_size=48, max_size=max_size)
    if tp is str:
        return _string(meta)
    raise TypeError(f"no strategy for {tp!r}")


def model_strategy(model: type[ContractModel]) -> st.SearchStrategy[Any]:
    """Valid instances of ``model``, covering every enum symbol, optional and union branch."""
    fields = {
        name: for_type(info.annotation, list(info.metadata))
        for name, info in model.model_fields.items()
    }
    return st.fixed_dictionaries(fields).map(model.model_validate)

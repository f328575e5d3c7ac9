"""Conversions particular to corporation exports, usable as ``transform`` in a mapping."""

from __future__ import annotations

from schemas.models.enums import ArrearsBand

__all__ = ["TRANSFORMS", "arrears_band"]


def arrears_band(text: str) -> str:
    """Months of rent in arrears (``2``, ``2,5`` or ``2.5``) as the contract's band.

    Only the band leaves the partner, never the number or an amount.
    """
    try:
        months = float(text.replace(",", "."))
    except ValueError:
        raise ValueError("not a number of months (e.g. 2 or 2,5)") from None
    if not 0 < months < 1000:
        raise ValueError("months in arrears must be more than 0")
    if months < 1:
        return ArrearsBand.UNDER_ONE_MONTH.value
    if months < 2:
        return ArrearsBand.ONE_MONTH.value
    if months < 3:
        return ArrearsBand.TWO_MONTHS.value
    if months < 6:
        return ArrearsBand.THREE_TO_FIVE_MONTHS.value
    return ArrearsBand.SIX_MONTHS_OR_MORE.value


TRANSFORMS = {"arrears_band": arrears_band}

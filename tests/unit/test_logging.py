"""The log scrubber removes identifier-shaped values wherever they hide."""

from __future__ import annotations

import json
import re

import pytest
import structlog
from structlog.testing import capture_logs

from schemas.logging import configure_logging, scrub, scrub_text
from schemas.settings import LogSettings


@pytest.mark.parametrize(
    "text",
    [
        "1234AB",
        "1234 AB 12",
        "postcode 9711ab, 7-b",
        "3011 XZ|101",
        "bsn 123456782",
        "mail jan.jansen@example.org",
        "bel 06-12345678",
        "+31 20 1234567",
    ],
)
def test_identifier_shapes_are_redacted(text: str) -> None:
    scrubbed = scrub_text(text)
    assert "[redacted]" in scrubbed
    assert not re.search(r"[0-9]", scrubbed), scrubbed  # no digit of the identifier is left


@pytest.mark.parametrize(
    "text", ["hh_ref k1:9f86d081884c7d65", "rows=1200 rejected=3", "BU03630000"]
)
def test_pseudonyms_counts_and_buurt_codes_stay(text: str) -> None:
    assert scrub_text(text) == text


def test_processor_scrubs_nested_values_and_bytes() -> None:
    event = {"event": "row rejected", "row": {"adres": ["1234AB", 5]}, "raw": b"1234AB 5"}
    out = scrub(None, "info", event)
    assert out["row"] == {"adres": ["[redacted]", 5]}
    assert out["raw"] == "<8 bytes>"


def test_configured_pipeline_emits_json_without_identifiers(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging(LogSettings(format="json", level="info"), force=True)
    structlog.get_logger("t").info("connector row", detail="address 2511 CV 1")
    line = capsys.readouterr().err.strip().splitlines()[-1]
    record = json.loads(line)
    assert record["event"] == "connector row"
    assert "2511" not in line
    assert record["detail"] == "address [redacted]"


def test_capture_logs_sees_events() -> None:
    with capture_logs() as logs:
        structlog.get_logger("t").warning("x", n=1)
    assert logs == [{"event": "x", "n": 1, "log_level": "warning"}]


def test_logs_follow_a_replaced_stderr(monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import sys

    configure_logging(LogSettings(format="json", level="info"), force=True)
    first, second = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stderr", first)
    structlog.get_logger("t").info("one")
    first.close()  # like pytest closing a capture that was current at configure time
    monkeypatch.setattr(sys, "stderr", second)
    structlog.get_logger("t").info("two")
    assert json.loads(second.getvalue())["event"] == "two"

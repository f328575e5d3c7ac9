"""Property tests (hypothesis): no input makes the reader or the row mapper fail.

Whatever bytes an export holds, reading and mapping it either refuses the export as a whole
(``ExportRefusedError``, one line) or gives, per record, a valid row — whose facts validate
against the contract — or a reject naming a line, a field and a reason. The seeded fuzz of
10,000 known-bad rows per source on the real broker is ``tests/integration/
test_connectors_fuzz.py``.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.errors import ExportRefusedError
from connectors.partners import CONNECTORS
from connectors.rows import MappedRow, RowMapper
from connectors.synthetic.exports import EXPORTS

AS_OF = date(2026, 2, 1)
PACKAGE = Path(__file__).resolve().parents[2] / "connectors"


@cache
def _source(stem: str):
    layout = next(x for x in EXPORTS if x.stem == stem)
    return CONNECTORS[layout.partner].source_class.from_file(PACKAGE / layout.mapping), layout


def _check(stem: str, data: bytes, tmp: Path) -> None:
    source, _ = _source(stem)
    mapper = RowMapper(
        source.spec, source.target.model, secret=b"k" * 32, transforms=source.transforms,
        as_of=AS_OF, check_as_of=True,
    )  # fmt: skip
    path = tmp / "export"
    path.write_bytes(data)
    try:
        raws = list(source.rows(path))
    except ExportRefusedError as exc:
        refused, raws = str(exc), []
    else:
        refused = ""
    assert "\n" not in refused
    for raw in raws:
        result = mapper.map(raw)
        if isinstance(result, MappedRow):
            source.target.model.model_validate(
                {**result.facts, **_envelope(source), "occurred_at": "2026-02-01T00:00:00Z"}
            )
        else:
            assert result.line >= 1
            assert result.field
            assert result.reason
            assert "please report" not in result.reason, result


def _envelope(source) -> dict:
    env = {"event_id": "00000000-0000-0000-0000-000000000000", "source": "p",
           "sealed_subject": b"x" * 80}  # fmt: skip
    if source.spec.source.kind == "snapshot":
        env["status"] = "opened"
    return env


HEADERS = {x.stem: x.delimiter.join(x.columns) + x.newline for x in EXPORTS if x.format == "csv"}
CELL = st.text(alphabet=st.characters(codec="utf-8"), max_size=40) | st.sampled_from(
    ["", '"', '""', "\x00", "1" * 5000, "01-01-0001", "9999-12-31", "20620115", "J", "ja"]
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(stem=st.sampled_from(sorted(HEADERS)), body=st.binary(max_size=2000))
def test_any_bytes_after_a_good_header(tmp_path, stem, body):
    layout = _source(stem)[1]
    codec = "cp1252" if layout.encoding == "windows-1252" else "utf-8"
    _check(stem, HEADERS[stem].encode(codec) + body, tmp_path)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(stem=st.sampled_from([x.stem for x in EXPORTS]), data=st.data())
def test_any_cells_in_a_row(tmp_path, stem, data):
    layout = _source(stem)[1]
    cells = [data.draw(CELL) for _ in layout.columns]
    if layout.format == "jsonl":
        import json

        value = data.draw(st.recursive(
            st.none() | st.booleans() | st.integers() | st.floats() | CELL
            | st.sampled_from(["\ud800", "x\udfffy"]),  # lone surrogates
            lambda inner: st.lists(inner, max_size=3) | st.dictionaries(CELL, inner, max_size=3),
            max_leaves=8,
        ))  # fmt: skip
        document = dict(zip(layout.columns, cells, strict=True))
        document[data.draw(st.sampled_from(layout.columns))] = value
        body = json.dumps(document, ensure_ascii=data.draw(st.booleans())) + "\n"
        _check(stem, body.encode("utf-8", "surrogatepass"), tmp_path)
        return
    import csv
    import io

    buf = io.StringIO()
    csv.writer(buf, delimiter=layout.delimiter, lineterminator=layout.newline).writerow(cells)
    codec = "cp1252" if layout.encoding == "windows-1252" else "utf-8"
    text = HEADERS[stem] + buf.getvalue()
    _check(stem, text.encode(codec, "replace"), tmp_path)

"""Checks before anything changes: the export date, wholly rejected, empty and truncated
snapshots — and the broken exports of ``connectors/synthetic/broken.py`` in dry runs."""

from __future__ import annotations

import json
import random
from datetime import date
from pathlib import Path

import pytest

from connectors.checks import check_plan, check_rows
from connectors.config import ConnectorSettings
from connectors.corporation.config import SAMPLE_MAPPING as CORPORATION
from connectors.errors import ExportRefusedError
from connectors.exportdate import export_date
from connectors.gemeente.config import SAMPLE_CONSENT_MAPPING
from connectors.mapping import load_mapping
from connectors.partners import CONNECTORS
from connectors.reader import RawRow
from connectors.rows import Reject
from connectors.snapshot import Change, Plan
from connectors.synthetic.broken import BROKEN_EXPORTS, Export
from connectors.synthetic.exports import EXPORTS
from connectors.synthetic.generate import TRUTH_FILE, generate

TODAY = date(2026, 11, 29)
SOURCE = load_mapping(CORPORATION).source
CONSENT = load_mapping(SAMPLE_CONSENT_MAPPING).source


def _rows(*days: str) -> list[RawRow]:
    return [RawRow(n, {"Peildatum": d}) for n, d in enumerate(days, start=2)]


def test_the_export_date_is_the_one_the_rows_agree_on():
    found = export_date(Path("x.csv"), _rows("01-02-2026", "01-02-2026", "01-02-2062"),
                        SOURCE, given=None, today=TODAY)  # fmt: skip
    assert (found.day, found.check_rows) == (date(2026, 2, 1), True)


def test_as_of_overrides_the_file_and_the_rows_are_not_checked():
    found = export_date(Path("x.csv"), _rows("01-02-2026"), SOURCE, given=date(2026, 3, 1),
                        today=TODAY)  # fmt: skip
    assert (found.day, found.check_rows, found.origin) == (date(2026, 3, 1), False, "--as-of")


def test_the_file_name_gives_the_date_of_the_consent_register():
    found = export_date(Path("gemeente_toestemming_2026-02.csv"), [], CONSENT, given=None,
                        today=TODAY)  # fmt: skip
    assert found.day == date(2026, 2, 1)


@pytest.mark.parametrize(
    ("name", "rows", "source", "message"),
    [
        ("x.csv", [], SOURCE, "no export date: neither column 'Peildatum' gives one"),
        ("x.csv", ["01-02-2062"], SOURCE, "export date 2062-02-01 .* is implausible"),
        ("x.csv", ["01-02-1999"], SOURCE, "export date 1999-02-01 .* is implausible"),
        ("x.csv", ["01-02-2026", "01-03-2026"], SOURCE, "names 2026-02-01 and 2026-03-01 equally"),
        ("gemeente_toestemming.csv", [], CONSENT, "neither the file name"),
        ("gemeente_toestemming_2062-01.csv", [], CONSENT, "2062-01-01 \\(file name\\) is impl"),
        ("gemeente_toestemming_2026-13.csv", [], CONSENT, "does not hold a valid date"),
    ],
)
def test_no_sound_export_date_refuses_the_export(name, rows, source, message):
    with pytest.raises(ExportRefusedError, match=message):
        export_date(Path(name), _rows(*rows), source, given=None, today=TODAY)


def test_the_file_name_and_the_column_must_agree():
    source = SOURCE.model_copy(update={"as_of_file_name": r"(?P<year>\d{4})-(?P<month>\d{2})"})
    with pytest.raises(ExportRefusedError, match=r"file name says .* 2026-03-01, column"):
        export_date(Path("x_2026-03.csv"), _rows("01-02-2026"), source, given=None, today=TODAY)


def test_an_export_whose_every_row_is_rejected_is_refused(tmp_path):
    rejects = [Reject(n, "Postcode", "is not a Dutch postcode") for n in range(2, 9)]
    rejects.append(Reject(9, "<row>", "has 3 columns, the header has 12"))
    with pytest.raises(ExportRefusedError) as refused:
        check_rows(Path("e.csv"), read=8, valid=0, rejects=rejects, rejects_file=tmp_path / "r")
    assert str(refused.value) == (
        "e.csv: every row (8) was rejected, most often Postcode: is not a Dutch postcode "
        f"(7 rows); nothing was published and no state changed. Rejects: {tmp_path / 'r'}"
    )
    check_rows(Path("e.csv"), read=8, valid=1, rejects=rejects, rejects_file=tmp_path / "r")


def _resolving(count: int) -> Plan:
    return Plan(changes=[Change("resolved", __import__("uuid").uuid4(), f"k{n}", {}, "d")
                         for n in range(count)])  # fmt: skip


def test_an_empty_or_truncated_snapshot_is_refused_a_small_change_is_not():
    with pytest.raises(ExportRefusedError, match="has no rows, the last snapshot had 40"):
        check_plan(Path("e.csv"), SOURCE, read=0, previous=40, plan=Plan())
    with pytest.raises(ExportRefusedError, match=r"would resolve 21 of .* 40 rows \(52%"):
        check_plan(Path("e.csv"), SOURCE, read=19, previous=40, plan=_resolving(21))
    check_plan(Path("e.csv"), SOURCE, read=20, previous=40, plan=_resolving(20))
    check_plan(Path("e.csv"), SOURCE, read=1, previous=19, plan=_resolving(18))  # too few rows
    everything = SOURCE.model_copy(update={"max_resolved_percent": 100})
    check_plan(Path("e.csv"), everything, read=0, previous=40, plan=Plan())
    check_plan(Path("e.csv"), CONSENT, read=0, previous=40, plan=Plan())  # a delta: fine


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    out = tmp_path_factory.mktemp("gen")
    generate(out, households=600, seed=3, months=1)
    return out, json.loads((out / TRUTH_FILE).read_text())


@pytest.mark.parametrize("layout", EXPORTS, ids=[x.stem for x in EXPORTS])
def test_broken_exports_are_refused_in_a_dry_run_too(generated, tmp_path, layout):
    out, truth = generated
    entry = next(e for e in truth["files"] if e["file"].startswith(layout.stem))
    export = Export.of(layout, entry["file"], (out / entry["file"]).read_bytes())
    settings = ConnectorSettings(state_dir=tmp_path / "state", hub_public_key=tmp_path / "none")
    connector = CONNECTORS[entry["partner"]].from_mapping(out / entry["mapping"], settings)
    refused = 0
    for kind in BROKEN_EXPORTS:
        made = kind.make(export, random.Random(1))  # noqa: S311 - seeded test data
        if (
            made is None
            or not kind.refused
            or kind.name in ("header_only", "truncated_to_30_percent")
        ):
            continue  # needs a previous snapshot: see tests/integration/test_connectors_broken.py
        path = tmp_path / kind.name / made[0]
        path.parent.mkdir()
        path.write_bytes(made[1])
        with pytest.raises(ExportRefusedError):
            connector.run(path, dry_run=True, rejects_path=tmp_path / "r.csv", progress=False)
        refused += 1
    assert refused >= 7
    assert not list((tmp_path / "state").glob("*.state.json"))

"""Reading exports: delimiters, encodings, BOM, JSON Lines, and rows that cannot be read."""

from __future__ import annotations

import pytest

from connectors.errors import ConnectorError, ExportRefusedError
from connectors.reader import FileFormat, read_rows


def _read(tmp_path, data: bytes, **fmt):
    path = tmp_path / "export"
    path.write_bytes(data)
    return list(read_rows(path, FileFormat(**fmt)))


@pytest.mark.parametrize("delimiter", [";", ",", "\t", "|"])
def test_any_delimiter_is_detected(tmp_path, delimiter):
    data = delimiter.join(["a", "b", "c"]) + "\n" + delimiter.join(["1", "2", "3"]) + "\n"
    rows = _read(tmp_path, data.encode())
    assert [(r.line, r.fields) for r in rows] == [(2, {"a": "1", "b": "2", "c": "3"})]


def test_utf8_with_bom_and_crlf(tmp_path):
    rows = _read(tmp_path, b"\xef\xbb\xbfnaam;plaats\r\nCo\xc3\xabhoorn;x\r\n", delimiter=";")
    assert rows[0].fields == {"naam": "Coëhoorn", "plaats": "x"}
    assert rows[0].problem is None


def test_windows_1252(tmp_path):
    rows = _read(tmp_path, b"naam;plaats\r\nCo\xebhoorn;x\r\n", encoding="windows-1252")
    assert rows[0].fields["naam"] == "Coëhoorn"


def test_mixed_encodings_reject_the_row_not_the_file(tmp_path):
    data = b"naam,x\nCo\xc3\xabhoorn,1\nCo\xebhoorn,2\nplain,3\n"
    rows = _read(tmp_path, data)
    assert [r.problem is None for r in rows] == [True, False, True]
    assert "not valid UTF-8" in (rows[1].problem or "")
    assert "Co" not in (rows[1].problem or "")  # never quotes the row


def test_utf8_row_in_a_windows_1252_file_is_mojibake(tmp_path):
    data = b"naam;x\r\nCo\xebhoorn;1\r\nCo\xc3\xabhoorn;2\r\n"
    rows = _read(tmp_path, data, encoding="windows-1252")
    assert rows[0].problem is None
    assert "mojibake" in (rows[1].problem or "")


def test_missing_and_extra_columns_are_row_problems_with_line_numbers(tmp_path):
    data = b"a;b;c\n1;2;3\n1;2\n\n1;2;3;4\n"
    rows = _read(tmp_path, data)
    assert [(r.line, r.problem) for r in rows] == [
        (2, None),
        (3, "has 2 columns, the header has 3"),
        (5, "has 4 columns, the header has 3"),
    ]


def test_quoted_newlines_keep_line_numbers_right(tmp_path):
    rows = _read(tmp_path, b'a,b\n"x\ny",1\nz,2\n')
    assert [(r.line, r.fields["a"]) for r in rows] == [(2, "x\ny"), (4, "z")]


def test_json_lines(tmp_path):
    data = b'{"a": "1", "n": 2, "b": true, "z": null}\n\nnot json\n[1]\n'
    rows = _read(tmp_path, data, format="jsonl")
    assert rows[0].fields == {"a": "1", "n": "2", "b": "true", "z": ""}
    assert [r.line for r in rows] == [1, 3, 4]
    assert "not valid JSON" in (rows[1].problem or "")
    assert rows[2].problem == "is not a JSON object"


def test_empty_file_is_an_error_naming_the_file(tmp_path):
    with pytest.raises(ConnectorError, match="the export is empty"):
        _read(tmp_path, b"")


def _lines(rows):
    return [(r.line, r.problem is None) for r in rows]


def test_a_field_over_the_csv_limit_rejects_its_row_only(tmp_path):
    data = b"a;b\n1;2\n" + b"x" * 200_000 + b";3\n4;5\n"
    rows = _read(tmp_path, data, delimiter=";")
    assert _lines(rows) == [(2, True), (3, False), (4, True)]
    assert rows[1].problem == "has a field longer than 131,072 characters"


def test_a_quote_that_never_closes_rejects_its_line_and_reading_resumes(tmp_path):
    rows = _read(tmp_path, b'a;b\n1;2\n"x;3\n4;5\n6;7\n', delimiter=";")
    assert _lines(rows) == [(2, True), (3, False), (4, True), (5, True)]
    assert rows[1].problem == "has a quote that never closes"


def test_two_stray_quotes_in_one_column_do_not_swallow_the_rows_between(tmp_path):
    # each quote opens a field that the next one closes: one record of the right width
    data = b'a;b;c\n1;";x\n2;y;z\n3;";w\n4;5;6\n'
    rows = _read(tmp_path, data, delimiter=";")
    assert _lines(rows) == [(2, False), (3, True), (4, False), (5, True)]
    assert "quote that never closes" in (rows[0].problem or "")


def test_a_quoted_line_break_in_a_free_text_column_stays_one_record(tmp_path):
    rows = _read(tmp_path, b'a;note\n1;"first\nsecond"\n2;x\n', delimiter=";")
    assert [(r.line, r.fields) for r in rows] == [
        (2, {"a": "1", "note": "first\nsecond"}),
        (4, {"a": "2", "note": "x"}),
    ]


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        (b'{"a": ' + b"9" * 5000 + b"}", "holds a JSON number too long to read"),
        (b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "is JSON nested too deeply to read"),
        (b'{"a": "x\\ud800y"}', "holds a lone surrogate (an invalid \\u escape); re-export"),
        (b'{"\\udc80": "x"}', "holds a lone surrogate (an invalid \\u escape); re-export"),
    ],
)
def test_json_a_line_that_cannot_be_used_is_rejected(tmp_path, line, problem):
    rows = _read(tmp_path, b'{"a": "1"}\n' + line + b'\n{"a": "2"}\n', format="jsonl")
    assert _lines(rows) == [(1, True), (2, False), (3, True)]
    assert (rows[1].problem or "").startswith(problem)


def test_json_lines_split_on_newline_only(tmp_path):
    rows = _read(tmp_path, '{"a": "x\u2028y"}\n{"a": "z"}\n'.encode(), format="jsonl")
    assert [(r.line, r.fields) for r in rows] == [(1, {"a": "x\u2028y"}), (2, {"a": "z"})]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("a;b\n1;2\n".encode("utf-16"), "looks like UTF-16"),
        ("a;b\n1;2\n".encode("utf-16-le"), "looks like UTF-16"),
        (b"\x1f\x8b\x08\x00\x00\x00;b\n", "holds NUL bytes: not a text export"),
        (b"a,b,c\n1,2,3\n", "lacks column\\(s\\) 'a', 'b' .* has no ';' between columns but ','"),
        (b"a;a;b\n1;2;3\n", "names column\\(s\\) 'a' twice"),
        (b"x;y\n1;2\n", "lacks column\\(s\\) 'a', 'b' that the mapping reads; is this the right"),
        (b"   \n\n", "the export is empty"),
    ],
)
def test_a_file_that_is_wrong_as_a_whole_is_refused(tmp_path, data, message):
    path = tmp_path / "export.csv"
    path.write_bytes(data)
    with pytest.raises(ExportRefusedError, match=message) as refused:
        list(read_rows(path, FileFormat(delimiter=";"), required=frozenset({"a", "b"})))
    assert str(path) in str(refused.value)
    assert "\n" not in str(refused.value)

"""Reading exports: delimiters, encodings, BOM, JSON Lines, and rows that cannot be read."""

from __future__ import annotations

import pytest

from connectors.errors import ConnectorError
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

"""Cells far beyond a sheet's data (tipdesk/xlsx/extent.py), measured on sheet XML as Excel,
WPS and openpyxl write it. The end-to-end cases (a feedback sheet or the register with a
value at XFD1048576, read without the process dying) are in test_bad_inputs.py."""

from __future__ import annotations

from tipdesk.xlsx.extent import _trim, far_limits, far_note


def sheet(cells: str, prefix: str = "") -> bytes:
    p = f"{prefix}:" if prefix else ""
    return (f'<{p}worksheet><{p}dimension ref="A1:XFD1048576"/><{p}sheetData>{cells}'
            f"</{p}sheetData></{p}worksheet>").encode()


def row(number: int, *cells: str, prefix: str = "") -> str:
    p = f"{prefix}:" if prefix else ""
    return f'<{p}row r="{number}">{"".join(cells)}</{p}row>'


def value(ref: str, prefix: str = "") -> str:
    p = f"{prefix}:" if prefix else ""
    return f'<{p}c r="{ref}"><{p}v>1</{p}v></{p}c>'


def test_a_lone_value_at_the_last_cell_is_far():
    xml = sheet(row(1, value("A1"), value("B1")) + row(1048576, value("XFD1048576")))
    assert far_limits(xml) == (1, 2, ["XFD1048576"])
    trimmed = _trim(xml, 1, 2)
    assert b"XFD1048576" not in trimmed and b'<dimension ref="A1:B1"/>' in trimmed


def test_a_cell_with_only_a_style_is_not_counted():
    # openpyxl writes a formatted empty cell as <c r=".." s="1" t="n"></c>; calamine skips it.
    xml = sheet(row(1, value("A1")) + row(1048576, '<c r="XFD1048576" s="1" t="n"></c>'))
    assert far_limits(xml) is None


def test_values_past_a_gap_of_rows_or_columns_are_far():
    xml = sheet(row(1, value("A1"), value("XFD1")) + "".join(row(n, value(f"A{n}")) for n in range(2, 11))
                + row(5000, value("B5000")))
    assert far_limits(xml) == (10, 2, ["XFD1", "B5000"])  # B is near in columns, 5000 far in rows


def test_data_without_a_gap_is_read_whole():
    # 3,000 rows down to column ZZ (more than the budget at a glance): no gap, nothing far.
    xml = sheet("".join(row(n, value(f"A{n}"), value(f"ZZ{n}")) for n in range(1, 3001))
                + row(3000, *(value(f"{c}3000") for c in ("B", "C", "Z", "AA", "ZY"))))
    assert far_limits(xml) is None


def test_prefixed_sheet_xml_is_measured_and_trimmed():
    xml = sheet(row(1, value("A1", "x"), prefix="x") + row(1048576, value("XFD1048576", "x"), prefix="x"), "x")
    assert far_limits(xml) == (1, 1, ["XFD1048576"])
    assert b"XFD1048576" not in _trim(xml, 1, 1)


def test_the_note_names_a_few_cells_and_counts_the_rest():
    assert "XFD1、XFD2、XFD3 等 5 个单元格" in far_note("反馈表", ["XFD1", "XFD2", "XFD3", "XFD4", "XFD5"])

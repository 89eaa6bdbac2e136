"""The fast row writer emits exactly the XML xlsxwriter writes for the same cells."""

from __future__ import annotations

import zipfile
from datetime import date, datetime
from decimal import Decimal

import xlsxwriter
from hypothesis import given, settings
from hypothesis import strategies as st

from toolkit.consolidate.stream import STYLE_KINDS, write_cells
from toolkit.money import excel_number

KINDS = STYLE_KINDS
values = st.one_of(
    st.none(), st.just(""), st.text(max_size=12), st.sampled_from(["_x0001_", " lead", "a&<b>"]),
    st.integers(-10**9, 10**9), st.dates(date(1901, 1, 1), date(2099, 12, 31)),
    st.decimals(min_value=-10**9, max_value=10**9, places=2, allow_nan=False))


def _sheet_xml(rows, fast: bool, tmp_path) -> bytes:
    path = tmp_path / ("fast.xlsx" if fast else "slow.xlsx")
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    styles = {k: book.add_format({"num_format": n}) for k, n in zip(
        KINDS, ("@", "0", "#,##0.00", "0.0", "yyyy-mm-dd"), strict=True)}
    for kind in KINDS:  # registered in order, as the consolidated workbook does
        styles[kind]._get_xf_index()
    ws = book.add_worksheet()
    ws.write_string(0, 0, "title")
    for r, (cells, kinds) in enumerate(rows, start=1):
        if fast:
            write_cells(ws, r, cells, kinds)
            continue
        for c, (value, kind) in enumerate(zip(cells, kinds, strict=True)):
            if value is None or value == "":
                continue
            if isinstance(value, Decimal):
                ws.write_number(r, c, excel_number(value),
                                styles["points" if kind == "points" else "money"])
            elif isinstance(value, date):
                ws.write_datetime(r, c, datetime(value.year, value.month, value.day),
                                  styles["date"])
            elif isinstance(value, int):
                ws.write_number(r, c, value, styles["int"])
            else:
                ws.write_string(r, c, value, styles["text"])
    ws.write_string(len(rows) + 1, 0, "合计")
    book.close()
    with zipfile.ZipFile(path) as archive:
        return archive.read("xl/worksheets/sheet1.xml")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.lists(values, min_size=8, max_size=8),
                          st.lists(st.sampled_from(KINDS), min_size=8, max_size=8)),
                min_size=1, max_size=6))
def test_same_xml_as_xlsxwriter(tmp_path_factory, rows):
    tmp = tmp_path_factory.mktemp("x")
    assert _sheet_xml(rows, True, tmp) == _sheet_xml(rows, False, tmp)


@settings(max_examples=60)
@given(st.lists(st.lists(values, min_size=len(KINDS), max_size=len(KINDS)), min_size=1,
                max_size=6), st.lists(st.lists(values, min_size=len(KINDS), max_size=len(KINDS)),
                                      min_size=1, max_size=6))
def test_columns_render_as_the_cell_writer_and_row_check(first, second):
    """The detail renderer (column by column, remembering values across calls, as a worker
    does across files) gives each row the XML of cells_xml and the check of row_check."""
    from toolkit.consolidate.stream import cells_xml, render_columns
    from toolkit.integrity import row_check

    for rows in (first, second, first):
        xml, checks = render_columns([list(col) for col in zip(*rows, strict=True)], KINDS)
        assert xml == [cells_xml(row, KINDS) for row in rows]
        assert checks == [row_check(row) for row in rows]


@given(st.binary(max_size=3 << 20), st.integers(0, 3))
def test_pieces_deflated_on_threads_join_into_one_stream(data, copies):
    """The zip's compressor: pieces on threads, one valid deflate stream, same bytes each time."""
    import zlib
    from concurrent.futures import ThreadPoolExecutor

    from toolkit.consolidate.stream import _Deflate

    data = data * (copies + 1)
    with ThreadPoolExecutor(2) as pool:
        deflated = [_Deflate(pool).compress(data) + _Deflate(pool).flush() for _ in range(2)]
    assert deflated[0] == deflated[1]
    assert zlib.decompress(deflated[0], -15) == data


def test_memos_forget_columns_of_new_values():
    from toolkit.memo import Memos

    memos = Memos(limit=10)
    assert memos.map("row", str, range(8)) == [str(i) for i in range(8)]
    assert memos.map("row", str, range(8)) == [str(i) for i in range(8)]  # all remembered
    assert len(memos._memos["row"]) == 8
    memos.map("id", str, range(100))  # more than the limit, all new: forgotten
    assert len(memos._memos["id"]) == 0
    assert memos.map("id", str, [1, 1, 2]) == ["1", "1", "2"]  # mapped without the memo now
    assert len(memos._memos["id"]) == 0 and len(memos._memos["row"]) == 8


def test_xlsxwriter_is_a_version_the_fast_writer_is_tested_against():
    """stream.py leans on xlsxwriter's private internals: on an untested version, say so
    (re-run this module's tests against it, then add it to TESTED_XLSXWRITER and pyproject)."""
    from toolkit.consolidate.stream import TESTED_XLSXWRITER

    minor = ".".join(xlsxwriter.__version__.split(".")[:2])
    assert minor in TESTED_XLSXWRITER, (
        f"xlsxwriter {xlsxwriter.__version__} is not a version consolidate/stream.py is tested "
        f"against ({', '.join(TESTED_XLSXWRITER)}): its private row stream may differ")


def test_formulas_are_stored_as_xlsxwriter_itself_would():
    """The writer skips xlsxwriter's rewrites of Excel's newer functions for formulas that
    have none; any other formula still gets them."""
    import xlsxwriter.worksheet

    from toolkit.consolidate.stream import Worksheet

    theirs, ours = xlsxwriter.worksheet.Worksheet(), Worksheet()
    for formula in ("=SUM(B3:B9)", "=ROUND(SUBTOTAL(9,'会费收缴'!C3:C7)*0.3,2)", "=IF(A1>0,1,0)",
                    '=COUNTIFS(C3:C9,"女",D3:D9,"<>转出")', "=XLOOKUP(A1,B:B,C:C)",
                    "{=SUM(A1:A3)}", "=SUM(FILTER(A1:A3,B1:B3))", "SUMIFS(A:A,B:B,1)"):
        assert ours._prepare_formula(formula) == theirs._prepare_formula(formula), formula

"""Native DrawingML charts on an owned sheet: one drawing part that anchors them, one chart part each."""

from __future__ import annotations

import datetime as dt
import numbers
from decimal import Decimal

from billing_addin.core.patch import Chart, OwnedSheet

from .cell_xml import column_letters, quote_sheet, split_ref, xml_text
from .refusal import WriteRefused

CHART_NS = "http://schemas.openxmlformats.org/drawingml/2006/chart"
DRAWING_NS = "http://schemas.openxmlformats.org/drawingml/2006/main"
SHEET_DRAWING_NS = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
KINDS = ("bar", "column", "line", "pie")
_CAT_AXIS, _VAL_AXIS = 50010001, 50010002


def check_chart(sheet: OwnedSheet, chart: Chart) -> None:
    headers = {c.header for c in sheet.columns}
    if chart.kind not in KINDS:
        raise WriteRefused(f"Chart '{chart.title}' on sheet '{sheet.name}': kind must be one of {', '.join(KINDS)}.")
    for name in (chart.categories, *chart.series):
        if name not in headers:
            raise WriteRefused(
                f"Chart '{chart.title}' on sheet '{sheet.name}' uses column '{name}', which the sheet lacks."
            )
    if not chart.series:
        raise WriteRefused(f"Chart '{chart.title}' on sheet '{sheet.name}' has no series.")
    try:
        split_ref(chart.anchor)
    except ValueError:
        raise WriteRefused(
            f"Chart '{chart.title}' on sheet '{sheet.name}': anchor '{chart.anchor}' is not a cell."
        ) from None


def drawing_xml(charts: tuple[Chart, ...], rel_ids: list[str]) -> bytes:
    anchors = []
    for n, (chart, rel_id) in enumerate(zip(charts, rel_ids, strict=True), start=1):
        col, row = split_ref(chart.anchor)
        anchors.append(
            '<xdr:twoCellAnchor editAs="oneCell">'
            f"<xdr:from><xdr:col>{col}</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>{row - 1}</xdr:row>"
            "<xdr:rowOff>0</xdr:rowOff></xdr:from>"
            f"<xdr:to><xdr:col>{col + chart.width_cells}</xdr:col><xdr:colOff>0</xdr:colOff>"
            f"<xdr:row>{row - 1 + chart.height_cells}</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:to>"
            '<xdr:graphicFrame macro="">'
            f'<xdr:nvGraphicFramePr><xdr:cNvPr id="{n + 1}" name="Chart {n}"/><xdr:cNvGraphicFramePr/>'
            "</xdr:nvGraphicFramePr>"
            '<xdr:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/></xdr:xfrm>'
            f'<a:graphic><a:graphicData uri="{CHART_NS}">'
            f'<c:chart xmlns:c="{CHART_NS}" xmlns:r="{REL_NS}" r:id="{rel_id}"/>'
            "</a:graphicData></a:graphic></xdr:graphicFrame><xdr:clientData/></xdr:twoCellAnchor>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<xdr:wsDr xmlns:xdr="{SHEET_DRAWING_NS}" xmlns:a="{DRAWING_NS}">{"".join(anchors)}</xdr:wsDr>'
    ).encode()


def _is_numeric_column(sheet: OwnedSheet, index: int) -> bool:
    for row in sheet.rows:
        value = row[index] if index < len(row) else None
        if value is None:
            continue
        if isinstance(value, bool | str):
            return False
        return isinstance(value, numbers.Number | Decimal | dt.date)
    return False


def chart_xml(sheet: OwnedSheet, chart: Chart) -> bytes:
    """A chart whose categories and series are ranges of the owned sheet's own columns (all data rows)."""
    index = {c.header: i for i, c in enumerate(sheet.columns)}
    first, last = 2, max(len(sheet.rows) + 1, 2)
    if chart.rows is not None:  # data rows counted from 1; the header is sheet row 1
        first, last = chart.rows[0] + 1, max(chart.rows[1] + 1, chart.rows[0] + 1)
    where = quote_sheet(sheet.name)

    def column_range(header: str) -> str:
        letters = column_letters(index[header])
        return f"{where}!${letters}${first}:${letters}${last}"

    cat_index = index[chart.categories]
    cat_ref = "numRef" if _is_numeric_column(sheet, cat_index) else "strRef"
    series = []
    for order, header in enumerate(chart.series):
        name = f"{where}!${column_letters(index[header])}$1"
        marker = '<c:marker><c:symbol val="none"/></c:marker>' if chart.kind == "line" else ""
        invert = '<c:invertIfNegative val="0"/>' if chart.kind in ("bar", "column") else ""
        series.append(
            f'<c:ser><c:idx val="{order}"/><c:order val="{order}"/>'
            f"<c:tx><c:strRef><c:f>{xml_text(name)}</c:f></c:strRef></c:tx>{invert}{marker}"
            f"<c:cat><c:{cat_ref}><c:f>{xml_text(column_range(chart.categories))}</c:f></c:{cat_ref}></c:cat>"
            f"<c:val><c:numRef><c:f>{xml_text(column_range(header))}</c:f></c:numRef></c:val>"
            + ('<c:smooth val="0"/>' if chart.kind == "line" else "")
            + "</c:ser>"
        )
    body = "".join(series)
    axes_ids = f'<c:axId val="{_CAT_AXIS}"/><c:axId val="{_VAL_AXIS}"/>'
    if chart.kind in ("bar", "column"):
        direction = "bar" if chart.kind == "bar" else "col"
        plot = (
            f'<c:barChart><c:barDir val="{direction}"/><c:grouping val="clustered"/><c:varyColors val="0"/>'
            f'{body}<c:gapWidth val="150"/>{axes_ids}</c:barChart>'
        )
    elif chart.kind == "line":
        plot = (
            f'<c:lineChart><c:grouping val="standard"/><c:varyColors val="0"/>{body}'
            f'<c:marker val="1"/>{axes_ids}</c:lineChart>'
        )
    else:
        plot = f'<c:pieChart><c:varyColors val="1"/>{body}<c:firstSliceAng val="0"/></c:pieChart>'
    if chart.kind == "pie":
        axes = ""
    else:
        cat_pos, val_pos = ("l", "b") if chart.kind == "bar" else ("b", "l")
        axes = (
            f'<c:catAx><c:axId val="{_CAT_AXIS}"/><c:scaling><c:orientation val="minMax"/></c:scaling>'
            f'<c:delete val="0"/><c:axPos val="{cat_pos}"/><c:numFmt formatCode="General" sourceLinked="1"/>'
            '<c:majorTickMark val="out"/><c:minorTickMark val="none"/><c:tickLblPos val="nextTo"/>'
            f'<c:crossAx val="{_VAL_AXIS}"/><c:crosses val="autoZero"/><c:auto val="1"/><c:lblAlgn val="ctr"/>'
            '<c:lblOffset val="100"/><c:noMultiLvlLbl val="0"/></c:catAx>'
            f'<c:valAx><c:axId val="{_VAL_AXIS}"/><c:scaling><c:orientation val="minMax"/></c:scaling>'
            f'<c:delete val="0"/><c:axPos val="{val_pos}"/><c:majorGridlines/>'
            '<c:numFmt formatCode="General" sourceLinked="1"/><c:majorTickMark val="out"/>'
            '<c:minorTickMark val="none"/><c:tickLblPos val="nextTo"/>'
            f'<c:crossAx val="{_CAT_AXIS}"/><c:crosses val="autoZero"/><c:crossBetween val="between"/></c:valAx>'
        )
    title = (
        "<c:title><c:tx><c:rich><a:bodyPr/><a:lstStyle/><a:p><a:pPr><a:defRPr/></a:pPr>"
        f"<a:r><a:t>{xml_text(chart.title)}</a:t></a:r></a:p></c:rich></c:tx>"
        '<c:overlay val="0"/></c:title><c:autoTitleDeleted val="0"/>'
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<c:chartSpace xmlns:c="{CHART_NS}" xmlns:a="{DRAWING_NS}" xmlns:r="{REL_NS}">'
        f'<c:roundedCorners val="0"/><c:chart>{title}<c:plotArea><c:layout/>{plot}{axes}</c:plotArea>'
        '<c:legend><c:legendPos val="r"/><c:overlay val="0"/></c:legend>'
        '<c:plotVisOnly val="1"/><c:dispBlanksAs val="gap"/></c:chart></c:chartSpace>'
    ).encode()

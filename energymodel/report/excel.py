"""The briefing as an Excel workbook: the findings, the tables per decade, one sheet per
results table (all scenarios, a `scenario` column first), the assumptions, the data sources
and the manifest. Numbers are stored as numbers, rounded to 9 decimals (a billionth of the
unit: 1 USD in USD bn), so solver noise such as 1.8e-15 reads 0; units are in the column
headers or a `unit` column. Text is
stored as text, never as a formula: a cell whose text starts like a formula (`=`, `+`, `-`,
`@`) is typed as a string and shown with Excel's quote prefix, so a scenario description
cannot become a live formula or link.
"""

from __future__ import annotations

import io
import numbers
from typing import Any

import numpy as np
import pandas as pd
from openpyxl.cell.cell import TYPE_STRING
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from energymodel.publish import FORMULA_START
from energymodel.report.tables import header


def stacked(named: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Tables of several scenarios under one another, a `scenario` column first."""
    return pd.concat([t.assign(scenario=name)[["scenario", *t.columns]]
                      for name, t in named.items()], ignore_index=True)


DECIMALS = 9


def rounded(table: pd.DataFrame) -> pd.DataFrame:
    """The table with every float (also in mixed columns) rounded to DECIMALS places."""
    out = table.copy()
    for column in out.columns:
        values = out[column]
        if pd.api.types.is_float_dtype(values):
            out[column] = values.round(DECIMALS) + 0.0  # + 0.0: no -0.0
        elif values.dtype == object:
            out[column] = [round(float(v), DECIMALS) + 0.0 if isinstance(v, numbers.Real)
                           and not isinstance(v, bool | np.bool_) and not isinstance(
                               v, numbers.Integral) else v for v in values]
    return out


def workbook_bytes(sheets: dict[str, pd.DataFrame]) -> bytes:
    """The sheets in order as an .xlsx file (names cut to Excel's 31 characters): headers in
    bold with their units, the header row frozen, columns sized to their content."""
    with pd.ExcelWriter(buffer := io.BytesIO(), engine="openpyxl") as writer:
        for name, table in sheets.items():
            rounded(table).rename(columns=header).to_excel(writer, sheet_name=name[:31],
                                                           index=False)
            sheet = writer.sheets[name[:31]]
            sheet.freeze_panes = "A2"
            for row in sheet.iter_rows():
                for cell in row:
                    if isinstance(cell.value, str):
                        as_text(cell)
            for cell in sheet[1]:
                cell.font = Font(bold=True)
            for i, column in enumerate(table.columns, start=1):
                width = max([len(header(str(column)))] + [len(str(v)) for v in
                                                          table[column].head(200)])
                sheet.column_dimensions[get_column_letter(i)].width = min(60, width + 2)
        writer.book.properties.creator = "energymodel"
    return buffer.getvalue()


def as_text(cell: Any) -> None:
    """Store a cell's text as a string (openpyxl types text starting with `=` as a formula);
    text that starts like a formula also gets the quote prefix, so editing the cell in Excel
    keeps it text."""
    cell.data_type = TYPE_STRING
    if cell.value.startswith(FORMULA_START):
        cell.quotePrefix = True


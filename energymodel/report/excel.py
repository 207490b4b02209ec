"""The briefing as an Excel workbook: the findings, the tables per decade, one sheet per
results table (all scenarios, a `scenario` column first), the assumptions, the data sources
and the manifest. Numbers are stored as numbers; units are in the column headers.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from energymodel.report.tables import header


def stacked(named: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Tables of several scenarios under one another, a `scenario` column first."""
    return pd.concat([t.assign(scenario=name)[["scenario", *t.columns]]
                      for name, t in named.items()], ignore_index=True)


def write_workbook(path: Path, sheets: dict[str, pd.DataFrame]) -> None:
    """Write sheets in order (names cut to Excel's 31 characters), headers in bold with their
    units, the header row frozen and columns sized to their content."""
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, table in sheets.items():
            table.rename(columns=header).to_excel(writer, sheet_name=name[:31], index=False)
            sheet = writer.sheets[name[:31]]
            sheet.freeze_panes = "A2"
            for cell in sheet[1]:
                cell.font = Font(bold=True)
            for i, column in enumerate(table.columns, start=1):
                width = max([len(header(str(column)))] + [len(str(v)) for v in
                                                          table[column].head(200)])
                sheet.column_dimensions[get_column_letter(i)].width = min(60, width + 2)
        writer.book.properties.creator = "energymodel"

"""Briefing reports from results folders: charts, HTML/PDF briefing, Excel workbook, IAMC.

    from energymodel.report import build_report
    build_report(["results/baseline", "results/china_hard_bargain"], "reports/china")
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from energymodel._lazy import attributes

if TYPE_CHECKING:
    from energymodel.report.build import build_report

__all__ = ["build_report"]

# matplotlib and openpyxl load only when a report is built, not when a results folder is
# read (`energymodel.report.load`)
__getattr__ = attributes("energymodel.report", {"build_report": "build"})

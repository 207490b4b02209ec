"""Briefing reports from results folders: charts, HTML/PDF briefing, Excel workbook, IAMC.

    from energymodel.report import build_report
    build_report(["results/baseline", "results/china_hard_bargain"], "reports/china")
"""

from energymodel.report.build import build_report

__all__ = ["build_report"]

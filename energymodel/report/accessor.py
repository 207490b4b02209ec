"""`results.plot`: the briefing's charts of one solve, for notebooks.

    results.plot.revenue()        export revenue by outlet, stacked
    results.plot.volumes()        export volume by route
    results.plot.price()          China's price against its benchmark (buyer-power runs)
    results.plot.pressure()       price pressure against dependence on China
    results.plot.utilisation()    utilisation of each pipeline

Each returns a matplotlib Figure in the house style (None where the results lack the table).
"""

from __future__ import annotations

from collections.abc import Callable

from matplotlib.figure import Figure

from energymodel.report import charts
from energymodel.results import Results


class Plot:
    """Charts of one `Results`, drawn on demand."""

    def __init__(self, results: Results):
        self._run = results

    def _draw(self, chart: Callable[[Results], charts.Chart | None]) -> Figure | None:
        with charts.house_style():
            made = chart(self._run)
        return None if made is None else made.figure

    def revenue(self) -> Figure | None:
        return self._draw(charts.revenue)

    def volumes(self) -> Figure | None:
        return self._draw(charts.volumes)

    def price(self) -> Figure | None:
        return self._draw(charts.price)

    def pressure(self) -> Figure | None:
        return self._draw(charts.pressure_dependence)

    def utilisation(self) -> Figure | None:
        return self._draw(charts.utilisation)

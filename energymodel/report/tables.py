"""The briefing's tables: key outputs per decade, the assumptions, the data sources and the
run manifest, each a DataFrame built from a run's tables, scenario.json and manifest.json.

Data sources are read from the data directory the scenario records, as CSV only; if it is
missing, or its files no longer hash to the manifest's data SHA-256, the report says so.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from energymodel.data import load_dataset
from energymodel.errors import InputError
from energymodel.metrics import buyer
from energymodel.report.findings import buyer_name, buyer_share, export_revenue, numbers
from energymodel.results import Results

UNITS = {"_usd_bn": "USD bn", "_usd_per_mmbtu_per_bcm": "USD/MMBtu per bcm/y",
         "_usd_per_mmbtu": "USD/MMBtu", "_bcm_per_y": "bcm/y", "_pct": "%"}
SHARES = ("utilisation", "availability", "dependence_volume", "dependence_revenue")


def header(column: str) -> str:
    """A column name with its unit in brackets, e.g. 'revenue_usd_bn' -> 'revenue [USD bn]'."""
    for suffix, unit in UNITS.items():
        if column.endswith(suffix):
            return f"{column[: -len(suffix)]} [{unit}]"
    if column in SHARES or column.startswith(("peak_utilisation", "final_utilisation")):
        return f"{column} [share]"
    return column


def decade_years(run: Results) -> list[int]:
    """The first year and every decade year the run has."""
    years = run.years
    return [y for y in years if y == years[0] or y % 10 == 0]


def decade_table(run: Results) -> pd.DataFrame:
    """Key outputs in the first year and each decade year: rows are outputs with their unit."""
    years = decade_years(run)
    e = run.exports
    rows = {
        ("export revenue", "USD bn/y"): export_revenue(run),
        ("export profit", "USD bn/y"): e.groupby("year")["profit_usd_bn"].sum(),
        ("export volume", "bcm/y"): e.groupby("year")["flow_bcm_per_y"].sum(),
        (f"{buyer_name(run)}'s share of export volume", "%"): 100 * buyer_share(run),
    }
    for market, r in e.groupby("market"):
        rows[(f"revenue from {run.name_of(str(market))}", "USD bn/y")] = r.groupby("year")[
            "revenue_usd_bn"].sum()
    p = run.tables.get("pressure")
    if p is not None and not p.empty:
        p = p.set_index("year")
        rows[(f"{run.name_of(str(p['market'].iloc[0]))}'s price", "USD/MMBtu")] = p[
            "price_usd_per_mmbtu"]
        rows[(f"benchmark price ({p['benchmark'].iloc[0]})", "USD/MMBtu")] = p[
            "benchmark_price_usd_per_mmbtu"]
        rows[("price pressure", "USD/MMBtu")] = p["pressure_usd_per_mmbtu"]
        rows[("revenue moved to China", "USD bn/y")] = p["transferred_usd_bn"]
    b = run.tables.get("budget")
    if b is not None and not b.empty:
        rows[("budget take", "USD bn/y")] = b.set_index("year")["budget_take_usd_bn"]
    table = pd.DataFrame({k: v.reindex(years) for k, v in rows.items()}).T
    table.index = pd.MultiIndex.from_tuples(table.index, names=["output", "unit"])
    table.columns = [str(y) for y in years]
    return table.reset_index()


def glance(runs: list[Results]) -> pd.DataFrame:
    """The headline numbers of each scenario side by side (rows: number and unit)."""
    rows = {
        ("NPV of export revenue", "USD bn"): "npv_export_revenue",
        ("NPV of export profit", "USD bn"): "npv_export_profit",
        ("cumulative export revenue", "USD bn"): None,
        ("peak export revenue", "USD bn/y"): None,
        ("China's price pressure, mean 2030–2060", "USD/MMBtu"): "mean_pressure",
        ("NPV moved to China by price pressure", "USD bn"): "npv_transferred",
        ("China's share of export volume, mean 2030–2060", "%"): "mean_dependence_volume",
        ("NPV of budget take", "USD bn"): "npv_budget_take",
    }
    columns = {}
    for run in runs:
        n = numbers(run)
        values = [run.value(m) if m else None for m in rows.values()]
        values[2], values[3] = n["cumulative_export_revenue"], n["peak_export_revenue"]
        if values[6] is not None:
            values[6] *= 100
        columns[run.name] = values
    table = pd.DataFrame(columns, index=pd.MultiIndex.from_tuples(list(rows),
                                                                  names=["number", "unit"]))
    return table.dropna(how="all").reset_index()


def assumptions(run: Results) -> pd.DataFrame:
    """The scenario's settings as (topic, item, value) rows."""
    s = run.scenario.model_dump(mode="json")
    h = s.get("horizon", {})
    rows = [("scenario", "name", s.get("name")), ("scenario", "description",
                                                   s.get("description")),
            ("scenario", "file", run.manifest.get("scenario", {}).get("file")),
            ("horizon", "years", f"{h.get('start_year')}–{h.get('end_year')}, "
                                 f"step {h.get('step')} year(s)"),
            ("discounting", "discount rate (real, per year)", s.get("discount_rate")),
            ("demand", "pathway", s.get("pathway"))]
    for market, spec in (s.get("markets") or {}).items():
        spec = {k: v for k, v in (spec or {}).items() if v is not None}
        structure = spec.pop("structure", "?")
        extra = ", ".join(f"{k} {v}" for k, v in spec.items())
        rows.append(("market structure", run.name_of(market),
                     structure.replace("_", " ") + (f" ({extra})" if extra else "")))
        if structure in ("bargaining", "monopsony"):
            rows += [("bargaining / buyer power", f"{run.name_of(market)}: {k}", v)
                     for k, v in spec.items()]
    rows += [("policies", str(p), "in force") for p in s.get("policies") or []]
    rows += [("investment", "investment", s.get("investment")),
             ("supply", "supply cost", s.get("supply_cost"))]
    for o in s.get("overrides") or []:
        what = ", ".join(f"{k} {v}" for k, v in o.items() if v is not None and k not in
                         ("entity", "parameter"))
        rows.append(("overrides", f"{o.get('entity')}.{o.get('parameter')}", what))
    for k, v in (s.get("fiscal") or {}).items():
        rows.append(("fiscal terms", k, v))
    d = s.get("dependence")
    if d:
        rows.append(("dependence curve", str(d.get("lever")), ", ".join(
            f"{v:g}" for v in d.get("values", []))))
    return pd.DataFrame(rows, columns=["topic", "item", "value"]).assign(
        value=lambda t: [v if isinstance(v, int | float) and not isinstance(v, bool)
                         else ("" if v is None else str(v)) for v in t["value"]])


def data_directory(run: Results) -> tuple[Path | None, str]:
    """The run's data directory as recorded, and a note on whether it still matches."""
    recorded = str(run.scenario.data_dir) or run.manifest.get("data", {}).get("directory")
    if not recorded:
        return None, "the results record no data directory"
    candidates = [Path(recorded)]
    if run.folder is not None and not Path(recorded).is_absolute():
        candidates += [p / recorded for p in run.folder.resolve().parents]
    found = next((p for p in candidates if (p / "values").is_dir()), None)
    if found is None:
        return None, f"data directory {recorded} not found: sources left out"
    expected = run.manifest.get("data", {}).get("sha256")
    if expected and _digest(found) != expected:
        return found, (f"data directory {recorded} has changed since the run (SHA-256 differs "
                       "from the manifest): sources shown as they are now")
    return found, f"data directory {recorded} (SHA-256 matches the manifest)"


def _digest(directory: Path) -> str | None:
    """The data set's SHA-256 as the model computes it, or None if it no longer loads."""
    try:
        return load_dataset(directory).digest
    except InputError:
        return None


def sources(directory: Path) -> pd.DataFrame:
    """Every source the data cite, one row each: from the bibliography `sources.csv` where
    the data have one (source cells then hold its ids, `;`-separated), else the source text;
    its date, and the basis and confidence of the values citing it, and what they are."""
    frames = []
    for path in sorted([*directory.glob("values/*.csv"), directory / "policies.csv",
                        directory / "history.csv"]):
        if not path.is_file():
            continue
        t = pd.read_csv(path, dtype=str, keep_default_na=False)
        if "source" not in t.columns:
            continue
        item = pd.Series(t.get("entity", t.get("policy", "")), index=t.index).astype(str)
        if "parameter" in t.columns:
            item = item + "." + t["parameter"]
        elif "effect" in t.columns:
            item = item + "." + t["effect"]
        frames.append(pd.DataFrame({
            "source": t["source"], "source_date": t.get("source_date", ""),
            "basis": t.get("basis", ""), "confidence": t.get("confidence", ""), "item": item}))
    columns = ["source", "publisher", "title", "date", "basis", "confidence", "used_for"]
    if not frames:
        return pd.DataFrame(columns=columns)
    rows = pd.concat(frames, ignore_index=True)
    bibliography = directory / "sources.csv"
    if bibliography.is_file():
        rows["source"] = rows["source"].str.split(";")
        rows = rows.explode("source").assign(source=lambda r: r["source"].str.strip())
        books = pd.read_csv(bibliography, dtype=str, keep_default_na=False).set_index("id")
    else:
        books = pd.DataFrame(columns=["publisher", "title", "date"])

    def joined(values: pd.Series) -> str:
        return ", ".join(sorted(set(values) - {""}))

    table = rows.groupby("source", sort=True).agg(
        basis=("basis", joined), confidence=("confidence", joined),
        source_date=("source_date", joined),
        used_for=("item", lambda s: ", ".join(dict.fromkeys(s))))
    table = table.join(books.reindex(columns=["publisher", "title", "date"]), how="left")
    table["date"] = table["date"].fillna("").where(table["date"].fillna("") != "",
                                                    table["source_date"])
    return table.fillna("").reset_index()[columns]


def manifest_rows(run: Results) -> pd.DataFrame:
    """The run manifest flattened to (key, value) rows; column descriptions and the resolved
    scenario (shown in the assumptions) are left out."""
    rows: list[tuple[str, str | int | float]] = []

    def walk(prefix: str, value: object) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                if k not in ("columns", "resolved", "files"):
                    walk(f"{prefix}.{k}" if prefix else str(k), v)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            rows.append((prefix, value))  # a number stays a number (Excel)
        else:
            rows.append((prefix, "" if value is None else str(value)))

    walk("", run.manifest)
    return pd.DataFrame(rows, columns=["key", "value"])


# Key assumptions and methods (the briefing's one-table summaries) ---------------------------

# What each benchmark of the pressure table measures (names as the results write them).
BENCHMARKS = {
    "competitive": "the price at which the buyer's demand for the exporter's gas meets the "
                   "exporter's marginal opportunity cost, capped at the buyer's LNG import "
                   "parity: what a competitive market would pay",
    "legacy": "the legacy contract formula (slope x lagged Brent + constant)",
    "opportunity_cost": "the exporter's netback elsewhere: near zero for gas with no other "
                        "outlet",
    "going_without": "the buyer's cost of going without the exporter's gas",
}
ANCHOR_YEARS = (2025, 2030, 2040, 2050, 2060)


def _path(values: pd.Series, years: list[int], digits: int = 1) -> str:
    """'2025 77.6, 2030 70.0, ...' at the anchor years the run has."""
    shown = [y for y in ANCHOR_YEARS if y in values.index] or years[:1] + years[-1:]
    return ", ".join(f"{y} {values[y]:,.{digits}f}" for y in shown if y in values.index)


def lng_market(run: Results) -> str | None:
    """The market the exporter's LNG routes sell into."""
    e = run.exports
    lng = e[e["kind"] == "lng"]["market"]
    return str(lng.mode().iloc[0]) if len(lng) else None


def key_assumptions(run: Results) -> pd.DataFrame:
    """The assumptions that drive the answer, with their numbers: (assumption, value, unit,
    where it comes from)."""
    from energymodel.units import MONEY_BASIS

    rows: list[tuple[str, str, str, str]] = []
    years = run.years
    c = run.tables.get("contract")
    if c is not None and not c.empty:
        brent = c.drop_duplicates("year").set_index("year")["lagged_oil_price_usd_per_bbl"]
        rows.append(("Brent, lagged as the contract indexes it", _path(brent, years),
                     f"{MONEY_BASIS}/bbl", "data: markets oil_price (pathway "
                     f"{run.scenario.pathway})"))
    m = run.markets.set_index(["market", "year"])
    lng = lng_market(run)
    if lng is not None and lng in m.index.get_level_values(0):
        rows.append((f"{run.name_of(lng)} price (global LNG)",
                     _path(m.loc[lng]["price_usd_per_mmbtu"], years, 2),
                     f"{MONEY_BASIS}/MMBtu", "data: ref_price path"))
    market = buyer(run.tables)
    if market is not None and market in m.index.get_level_values(0):
        b = m.loc[market]
        if "price_cap_usd_per_mmbtu" in b.columns and b["price_cap_usd_per_mmbtu"].notna().any():
            rows.append((f"{run.name_of(market)}'s LNG import parity (the most it pays)",
                         _path(b["price_cap_usd_per_mmbtu"], years, 2),
                         f"{MONEY_BASIS}/MMBtu", "data: price_cap"))
        demand = b["volume_bcm_per_y"] + (b["residual_bcm_per_y"].fillna(0.0)
                                          if "residual_bcm_per_y" in b.columns else 0.0)
        rows.append((f"{run.name_of(market)}'s gas demand (all suppliers)",
                     _path(demand, years, 0), "bcm/y",
                     "data: ref_quantity path" + (f" ({b['pathway'].iloc[0]})"
                                                  if "pathway" in b.columns else "")))
    if run.scenario.discount_rate is not None:
        rows.append(("Discount rate", f"{run.scenario.discount_rate:.1%}", "real, per year",
                     "scenario"))
    bargain = run.tables.get("bargaining")
    if bargain is not None and "beta" in set(bargain["metric"]):
        beta = float(bargain.set_index("metric")["value"].astype(float)["beta"])
        rows.append((f"{run.name_of(market) if market else 'Buyer'}'s bargaining power β",
                     f"{beta:.2f}", "0-1", "scenario; the baseline's 0.36 is calibrated so "
                     "the bargained contract reproduces the observed Power of Siberia 1 "
                     "formula (docs/derivations.md, section 5)"))
    p = run.tables.get("pressure")
    if p is not None and not p.empty:
        for name in dict.fromkeys(p["benchmark"].astype(str)):
            rows.append((f"Benchmark: {name}", BENCHMARKS.get(name, "as the results define it"),
                         f"{MONEY_BASIS}/MMBtu", "results: pressure table"))
    rows.append(("Money basis", f"real {MONEY_BASIS[-4:]} US dollars", MONEY_BASIS,
                 "the hindcast's observed values are nominal USD of their year"))
    return pd.DataFrame(rows, columns=["assumption", "value", "unit", "from"])


def methods(run: Results) -> pd.DataFrame:
    """How the run was solved and checked: (method, what) rows."""
    s = run.scenario
    rows = [("Horizon", f"{s.horizon.start_year}–{s.horizon.end_year}, "
                        f"{'annual' if s.horizon.step == 1 else f'{s.horizon.step}-year'} "
                        "periods (a period's first year stands for it)")]
    for market, spec in (s.model_dump(mode="json").get("markets") or {}).items():
        structure = str((spec or {}).get("structure", "?")).replace("_", " ")
        rows.append((f"Market: {run.name_of(market)}", structure))
    solver = run.manifest.get("solver", {})
    if isinstance(solver, dict) and solver.get("method"):
        rows.append(("Solution", str(solver["method"])))
    rows.append(("Present values", "each year's money discounted at the real rate to the "
                 "first year, weighted by the calendar years its period stands for"))
    v = run.tables.get("validation")
    if v is not None and not v.empty:
        within = v["within_tolerance"].astype(bool)
        independent = v[v["check"] == "independent"] if "check" in v.columns else v.iloc[:0]
        rows.append(("Validation", f"{int(within.sum())} of {len(v)} observed values within "
                     f"tolerance ({int(independent['within_tolerance'].astype(bool).sum())} of "
                     f"{len(independent)} independent checks, the rest fitted)"))
    else:
        rows.append(("Validation", "no observed year in this run (validation needs annual "
                     "periods over observed years)"))
    return pd.DataFrame(rows, columns=["method", "what"])


def validation_rows(run: Results) -> pd.DataFrame | None:
    """The validation table, compact: quantity, what, year, observed, modelled, tolerance,
    within, check."""
    v = run.tables.get("validation")
    if v is None or v.empty:
        return None
    t = v.assign(entity=v["entity"].map(lambda e: "+".join(run.name_of(x) for x in
                                                           str(e).split("+"))))
    columns = [c for c in ("quantity", "entity", "year", "unit", "observed", "modelled",
                           "tolerance", "within_tolerance", "check") if c in t.columns]
    return t[columns].rename(columns={"entity": "what", "within_tolerance": "within"})

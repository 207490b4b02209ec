"""The validation table on its own: routes, markets, and a market without routes."""

from __future__ import annotations

import pandas as pd

from energymodel.history import validation_table


def test_validation_table_rows():
    flows = pd.DataFrame({"route": ["a", "b"], "market": ["m", "m"], "year": [2020, 2020],
                          "flow_bcm_per_y": [10.0, 5.0]})
    history = pd.DataFrame({"entity": ["a", "m", "empty"], "year": [2020, 2020, 2020],
                            "value": [10.0, 20.0, 1.0], "source": ["s", "s", "s"]})
    table = validation_table(flows, history).set_index("entity")
    assert table.loc["a", "modelled_bcm_per_y"] == 10.0
    assert table.loc["m", "modelled_bcm_per_y"] == 15.0
    assert not table.loc["m", "within_tolerance"]  # 5 off 20: beyond max(3, 2)
    assert table.loc["empty", "modelled_bcm_per_y"] == 0.0
    assert validation_table(flows, history.assign(year=1999)) is None

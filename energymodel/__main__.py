"""The `energymodel` command. Signals are handled before the heavy imports (pyomo, pandas),
so Ctrl-C or SIGTERM at any moment ends the run with one line and exit code 130 or 143."""

from __future__ import annotations

import gc
import sys

from energymodel import interrupts

# A run makes and drops a few million small objects (pyomo's expressions, pandas' indexes):
# with Python's default (a young-generation collection every 700 net allocations) the cycle
# collector took 10-20% of a baseline run's CPU. Reference counting frees this garbage all
# the same; the collector only has to find cycles, so it runs less often in the command.
GC_THRESHOLD = (20_000, 20, 100)


def main() -> None:
    gc.set_threshold(*GC_THRESHOLD)
    interrupts.install()
    try:
        from energymodel.cli import main as command

        command()
    except interrupts.Interrupted as stop:
        interrupts.ignore()
        print(f"interrupted by {stop}: stopped, no partial results left", file=sys.stderr)
        sys.exit(stop.code)
    finally:
        interrupts.ignore()  # the run is over: a late signal changes nothing


if __name__ == "__main__":
    main()

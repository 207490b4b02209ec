"""The `energymodel` command. Signals are handled before the heavy imports (pyomo, pandas),
so Ctrl-C or SIGTERM at any moment ends the run with one line and exit code 130 or 143."""

from __future__ import annotations

import sys

from energymodel import interrupts


def main() -> None:
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

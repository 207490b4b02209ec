"""Execute the worked notebooks, as CI does: each in a fresh Python kernel, from the
repository's root, stopping at the first cell that raises. The notebooks in the repository
are left as they are (saved without outputs); `--out DIR` writes the executed copies there.

    python notebooks/run.py [NOTEBOOK ...] [--out DIR] [--timeout SECONDS]

Prints each notebook's wall time and ends with a line 'N passed, N failed'; the exit code
is 1 if any notebook failed. Needs the docs extra (pip install ".[docs]": nbclient,
nbformat, ipykernel).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def run(path: Path, timeout: int, out: Path | None) -> float:
    """Execute one notebook [wall seconds]; raises on the first failing cell."""
    import nbformat
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    class ThisPython(KernelSpecManager):
        """The kernel runs on this interpreter (the one energymodel is installed in),
        whatever other Python kernels Jupyter knows of."""

        def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
            return KernelSpec(argv=[sys.executable, "-m", "ipykernel_launcher", "-f",
                                    "{connection_file}"], display_name="Python 3",
                              language="python", resource_dir=str(HERE))

    notebook = nbformat.read(path, as_version=4)
    manager = KernelManager(kernel_name="python3", kernel_spec_manager=ThisPython())
    client = NotebookClient(notebook, km=manager, timeout=timeout,
                            resources={"metadata": {"path": str(ROOT)}})
    start = time.perf_counter()
    client.execute()
    elapsed = time.perf_counter() - start
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, out / path.name)
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks to run (default: every notebooks/*.ipynb)")
    parser.add_argument("--out", type=Path, help="folder for the executed notebooks")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted(HERE.glob("*.ipynb"))
    passed, failed = 0, 0
    total = time.perf_counter()
    for path in paths:
        try:
            seconds = run(path, args.timeout, args.out)
        except Exception as error:  # a failing cell: report it and go on to the next
            failed += 1
            print(f"FAILED {path.name}: {type(error).__name__}: {error}", flush=True)
        else:
            passed += 1
            print(f"ok {path.name}: {seconds:.1f} s", flush=True)
    print(f"notebooks: {time.perf_counter() - total:.1f} s in all")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

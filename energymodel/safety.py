"""Results folders: a run replaces only a folder it can tell is its own, atomically.

The rule for the folder OUT a run writes (`--out`, or `Results.write`):
- OUT is named: not empty, `.` or `..`; and OUT is not a symbolic link.
- Never replaced, even with --force: a folder that is or holds the working directory, the
  home folder, the data directory or the scenario file; anything inside the data directory;
  a folder that holds anything but results files (results files are regular files named
  like `flows.csv`, `flows.parquet`, `manifest.json`: lower-case letters, digits and `_`,
  ending .csv, .parquet or .json; a subfolder, link or hidden entry is not one).
- Replaced: a missing or empty folder, or energymodel's own results: results files with a
  manifest.json that energymodel wrote.
- Anything else (results-like files without that manifest) only with --force.

The new results are written into a hidden sibling `.OUT.tmp-*` and swapped in with one
atomic rename (Linux renameat2 exchange; elsewhere two renames via `.OUT.old-*`), so a
reader or an interrupted run sees the old folder or the new one, whole. A lock file
`.OUT.lock` (flock) keeps two runs from writing OUT at once: the second is refused up
front. Hidden siblings left by a killed run are removed by the next run that takes the lock.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import json
import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path

from energymodel import interrupts
from energymodel.errors import InputError, display_path

RESULTS_FILE = re.compile(r"^[a-z0-9_]+\.(csv|parquet|json)$")
REPORT_FILE = re.compile(r"^[\w+-][\w.+-]*\.(html|pdf|xlsx|csv|json|png|svg)$")


class ResultsFolder:
    """A results folder claimed for writing: checked against the rule above and locked.

        with ResultsFolder("results/x", protect=[data_dir, scenario_file]) as out:
            out.replace(write_files)  # write_files(folder) fills an empty folder
    """

    KIND = "results"  # what the folder holds, for messages
    MARKER = "manifest.json"  # how we know our own: this file, with these keys
    MARKER_KEYS = frozenset({"energymodel", "scenario"})
    FORCEABLE = True  # results-like files without our marker may be replaced with --force

    def __init__(self, path: str | Path, protect: Iterable[Path] = (), force: bool = False,
                 argument: str = "--out"):
        self.given = path
        self.protect = [Path(p).resolve() for p in protect]
        self.force = force
        self.argument = argument
        self._lock: int | None = None

    def _error(self, reason: str) -> InputError:
        return InputError(str(self.given), self.argument, reason)

    def __enter__(self) -> ResultsFolder:
        if not isinstance(self.given, str | Path):
            raise InputError(None, self.argument, f"a folder path is needed, not "
                             f"{type(self.given).__name__}")
        path = Path(self.given)
        if str(self.given).strip() == "" or path.name in ("", ".", ".."):
            raise self._error("needs a folder name (not empty, '.' or '..')")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.path = path.parent.resolve() / path.name
            self._check()
            self._lock = _lock(self._sibling("lock"))
        except OSError as err:
            raise self._error(f"cannot write here: {err.strerror or err}") from None
        if self._lock is None:
            raise self._error("another energymodel run is writing this folder; try again "
                              "when it has finished")
        self._remove_leftovers()
        return self

    def __exit__(self, *exc) -> None:
        if self._lock is not None:
            _unlock(self._sibling("lock"), self._lock)
            self._lock = None

    def _sibling(self, kind: str) -> Path:
        return self.path.parent / f".{self.path.name}.{kind}"

    def _check(self) -> None:
        """Refuse a folder the rule does not let this run replace."""
        target = self.path
        if target.is_symlink():
            raise self._error("is a symbolic link: give the folder itself or a new one")
        home = os.path.expanduser("~")  # unchanged ("~") where there is no home folder
        for kept, what in [(Path.cwd().resolve(), "the working directory"),
                           (Path(home).resolve(), "the home folder"),
                           *((p, f"the input {display_path(p)}") for p in self.protect)]:
            if target == kept or target in kept.parents:
                raise self._error(f"is or holds {what}: results need a folder of their own")
            if kept in target.parents and kept in self.protect and kept.is_dir():
                raise self._error(f"lies inside {what}: results need a folder of their own")
        if not target.exists():
            return
        if not target.is_dir():
            raise self._error("exists and is not a folder: choose another results folder")
        entries = list(target.iterdir())
        stranger = next((e.name for e in entries if not self.holds(e)), None)
        if stranger is not None:
            raise self._error(f"holds '{stranger}', which is not a {self.KIND} file: this is "
                              f"not a {self.KIND} folder energymodel made, and it never "
                              "replaces such a folder; choose a new one")
        if entries and not self.force and not self._ours(target):
            flag = "--force" if self.argument == "--out" else "force=True"
            hint = f"pass {flag} to replace it, or " if self.FORCEABLE else ""
            raise self._error(f"is not an energymodel {self.KIND} folder (no {self.MARKER} "
                              f"of ours): {hint}choose a new folder")

    def holds(self, entry: Path) -> bool:
        """Whether `entry` may stand in a folder of this kind (results files only)."""
        return _results_file(entry)

    def _ours(self, folder: Path) -> bool:
        """Whether `folder` has a marker file (MARKER) that energymodel wrote."""
        try:
            marker = json.loads((folder / self.MARKER).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        return isinstance(marker, dict) and marker.keys() >= self.MARKER_KEYS

    def _remove_leftovers(self) -> None:
        """Delete hidden siblings a killed run left (only folders of our files). A run killed
        between the two renames of the fallback swap left the old folder aside and none in
        its place: our old results are put back first, so they survive whole."""
        olds = list(self.path.parent.glob(f".{glob_escape(self.path.name)}.old-*"))
        if not self.path.exists() and len(olds) == 1 and self._ours(olds[0]):
            os.rename(olds[0], self.path)
        for kind in ("tmp", "old"):
            for stale in self.path.parent.glob(f".{glob_escape(self.path.name)}.{kind}-*"):
                if stale.is_dir() and not stale.is_symlink() and all(
                        self.holds(e) for e in stale.iterdir()):
                    with interrupts.deferred():
                        shutil.rmtree(stale)

    def replace(self, fill: Callable[[Path], None]) -> Path:
        """Fill a new hidden folder with `fill(folder)`, then swap it in for the results
        folder; the path written. Errors while writing leave the old folder as it was."""
        self._check()  # again: the folder may have changed while the model solved
        tag = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        tmp = self._sibling(f"tmp-{tag}")
        try:
            tmp.mkdir()
            fill(tmp)
        except BaseException as err:
            with interrupts.deferred():
                shutil.rmtree(tmp, ignore_errors=True)
            if isinstance(err, OSError):
                raise self._error(f"cannot write {self.KIND}: {err.strerror or err}") from None
            raise
        with interrupts.deferred():
            if not self.path.exists():
                os.rename(tmp, self.path)
            elif _exchange(tmp, self.path):
                shutil.rmtree(tmp)
            else:
                old = self._sibling(f"old-{tag}")
                os.rename(self.path, old)
                os.rename(tmp, self.path)
                shutil.rmtree(old)
        return Path(self.given)


def glob_escape(name: str) -> str:
    """`name` with glob wildcards escaped."""
    return re.sub(r"([*?\[])", r"[\1]", name)


def _results_file(entry: Path) -> bool:
    return (entry.is_file() and not entry.is_symlink()
            and RESULTS_FILE.match(entry.name) is not None)


class CompareFolder(ResultsFolder):
    """A comparison folder (`energymodel compare --out`): compare.parquet/.csv and the
    manifest.json compare writes (it names its kind and sources)."""

    KIND = "compare"
    MARKER_KEYS = frozenset({"kind", "sources"})
    FORCEABLE = False


class ReportFolder(ResultsFolder):
    """A briefing folder (`energymodel report --out`): the same rule, with report files
    (briefing.html/.pdf/.xlsx, iamc.csv/.xlsx, report.json, charts/*.png|svg) and report.json
    as the mark of our own. There is no --force: only a new folder, an empty one or an earlier
    report is replaced."""

    KIND = "report"
    MARKER, MARKER_KEYS = "report.json", frozenset({"energymodel", "files"})
    FORCEABLE = False

    def holds(self, entry: Path) -> bool:
        if entry.is_symlink():
            return False
        if entry.is_dir():
            return entry.name == "charts" and all(
                e.is_file() and self.holds(e) for e in entry.iterdir())
        return entry.is_file() and REPORT_FILE.match(entry.name) is not None


def _lock(path: Path) -> int | None:
    """An exclusive flock on `path` (created), or None if another process holds it."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        try:
            if os.stat(path).st_ino == os.fstat(fd).st_ino:
                return fd
        except FileNotFoundError:
            pass
        os.close(fd)  # the holder removed the file after we opened it: take the new one


def _unlock(path: Path, fd: int) -> None:
    path.unlink(missing_ok=True)
    os.close(fd)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2 with RENAME_EXCHANGE); False where the
    system or file system cannot."""
    rename = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if rename is None:
        return False
    at_cwd, exchange = -100, 2
    if rename(at_cwd, os.fsencode(a), at_cwd, os.fsencode(b), exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(b))

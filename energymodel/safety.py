"""Folders energymodel writes: one rule for results, report, compare and sweep folders.

Claiming a folder OUT (`Claim`, before any solving):
- OUT is named: not empty, `.` or `..`; and OUT is not a symbolic link.
- Never written, even with --force: a folder that is or holds the working directory, the
  home folder or an input (data directory, scenario, sweep file, results folders read);
  anything inside an input folder such as the data directory.
- A lock file `.OUT.lock` (flock) keeps two runs from writing OUT at once: the second is
  refused up front. Parent folders a claim had to create are removed again if it wrote
  nothing (a refused or failed run leaves no empty `results/`).

Replacing a folder's content (`ResultsFolder` and its kinds: results, report, compare):
- Replaced: a missing or empty folder, or energymodel's own output: a folder whose marker
  (manifest.json, report.json) energymodel wrote and which lists the files it wrote.
- Only the files the marker lists are replaced or removed. Any other regular file in the
  folder is the user's and is kept byte for byte (linked into the new folder); a user's
  subfolder, a symbolic link anywhere inside, or a user's file with the name of a file the
  new output has, is refused with one line.
- A folder without our marker: refused if it holds anything but files of its kind;
  a folder of results-like files without the marker only with --force (results only).

The new content is written into a hidden sibling `.OUT.tmp-*` and swapped in with one
atomic rename (Linux renameat2 exchange; elsewhere two renames via `.OUT.old-*`), so a
reader or an interrupted run sees the old folder or the new one, whole. Hidden siblings a
killed run left are cleared by the next run that takes the lock: only the files energymodel
wrote there are removed; anything else stays.

Sweep folders (`energymodel.sweeps.store`) are claimed the same way and written in place,
each file published whole (`energymodel.publish`).
"""

from __future__ import annotations

import contextlib
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
from energymodel.errors import InputError, WriteError, display_path
from energymodel.publish import is_temporary, json_bytes, publish, sync_folder

RESULTS_FILE = re.compile(r"^[a-z0-9_]+\.(csv|parquet|json)$")
REPORT_FILE = re.compile(r"^[\w+-][\w.+-]*\.(html|pdf|xlsx|csv|json|png|svg)$")


class Claim:
    """An output folder claimed for writing: named, outside every input, locked.

        with Claim("results/x", protect=[data_dir]) as out:
            ...  # out.path: the folder, absolute; nothing is created but its parents
    """

    KIND = "results"  # what the folder holds, for messages
    MAKES_FOLDER = False  # whether the claim makes the folder itself (written in place)

    def __init__(self, path: str | Path, protect: Iterable[Path] = (),
                 argument: str = "--out"):
        self.given = path
        self.protect = [Path(p).resolve() for p in protect]
        self.argument = argument
        self._lock: int | None = None
        self._made: list[Path] = []

    def _error(self, reason: str) -> InputError:
        return InputError(str(self.given), self.argument, reason)

    def __enter__(self) -> Claim:
        if not isinstance(self.given, str | Path):
            raise InputError(None, self.argument, f"a folder path is needed, not "
                             f"{type(self.given).__name__}")
        path = Path(self.given)
        if str(self.given).strip() == "" or path.name in ("", ".", ".."):
            raise self._error("needs a folder name (not empty, '.' or '..')")
        try:
            self.path = path.parent.resolve() / path.name
            self._check_place()
            self._check()
            self._make_parents()
            self._lock = _lock(self._sibling("lock"))
        except OSError as err:
            self._remove_made()
            raise self._error(f"cannot write here: {err.strerror or err}") from None
        except BaseException:
            self._remove_made()
            raise
        if self._lock is None:
            self._remove_made()
            raise self._error("another energymodel run is writing this folder; try again "
                              "when it has finished")
        return self

    def __exit__(self, *exc) -> None:
        if self._lock is not None:
            _unlock(self._sibling("lock"), self._lock)
            self._lock = None
        self._remove_made()

    def _sibling(self, kind: str) -> Path:
        return self.path.parent / f".{self.path.name}.{kind}"

    def _make_parents(self) -> None:
        first = self.path if self.MAKES_FOLDER else self.path.parent
        missing = [p for p in [first, *first.parents] if not p.exists()]
        for folder in reversed(missing):
            folder.mkdir()
            self._made.append(folder)

    def _remove_made(self) -> None:
        """Remove the folders this claim created, where they are still empty."""
        for folder in reversed(self._made):
            try:
                folder.rmdir()
            except OSError:
                break
        self._made = []

    def _check_place(self) -> None:
        """Refuse a link, a file, and any folder that is, holds or lies inside an input."""
        target = self.path
        if target.is_symlink():
            raise self._error("is a symbolic link: give the folder itself or a new one")
        home = os.path.expanduser("~")  # unchanged ("~") where there is no home folder
        for kept, what in [(Path.cwd().resolve(), "the working directory"),
                           (Path(home).resolve(), "the home folder"),
                           *((p, f"the input {display_path(p)}") for p in self.protect)]:
            if target == kept or target in kept.parents:
                raise self._error(f"is or holds {what}: {self.KIND} need a folder of their "
                                  "own")
            if kept in target.parents and kept in self.protect and kept.is_dir():
                raise self._error(f"lies inside {what}: {self.KIND} need a folder of their "
                                  "own")
        if target.exists() and not target.is_dir():
            raise self._error(f"exists and is not a folder: choose another {self.KIND} "
                              "folder")

    def _check(self) -> None:
        """What a kind of folder checks of its content (nothing here)."""


class ResultsFolder(Claim):
    """A results folder claimed for writing and replaced whole (module docstring).

        with ResultsFolder("results/x", protect=[data_dir, scenario_file]) as out:
            out.replace(write_files)  # write_files(folder) fills an empty folder
    """

    MARKER = "manifest.json"  # how we know our own: this file, with these keys
    MARKER_KEYS = frozenset({"energymodel", "scenario"})
    LEGACY_FILES: frozenset[str] = frozenset()  # ours before markers listed their files
    FORCEABLE = True  # results-like files without our marker may be replaced with --force

    def __init__(self, path: str | Path, protect: Iterable[Path] = (), force: bool = False,
                 argument: str = "--out"):
        super().__init__(path, protect, argument)
        self.force = force
        self.listed: set[str] = set()  # the old folder's files energymodel wrote
        self.kept: list[str] = []  # the user's files in it, carried into the new folder

    def __enter__(self) -> ResultsFolder:
        super().__enter__()
        self._remove_leftovers()
        return self

    def _check(self) -> None:
        """Refuse a folder the rule does not let this run write; note which of its files
        are ours (`listed`) and which are the user's (`kept`)."""
        target = self.path
        self.listed, self.kept = set(), []
        if not target.exists():
            return
        entries = walk(target)
        link = next((rel for rel, e in entries.items() if e.is_symlink()), None)
        if link is not None:
            raise self._error(f"holds a symbolic link '{link}': energymodel does not write "
                              "into a folder with links; remove it or choose a new folder")
        ours = self._marked(target)
        if ours is None:
            self._check_foreign(target, entries)
            return
        files = {rel for rel, e in entries.items() if e.is_file()}
        self.listed = ours & files
        folders = {str(Path(rel).parent) for rel in self.listed}
        for rel, entry in entries.items():
            if entry.is_dir() and not any(f == rel or f.startswith(rel + "/")
                                          for f in folders):
                raise self._error(f"holds the folder '{rel}', which energymodel did not "
                                  "write: move it away first, or choose a new folder")
            if not entry.is_dir() and not entry.is_file():
                raise self._error(f"holds '{rel}', which is not a regular file: move it "
                                  "away first, or choose a new folder")
        self.kept = sorted(files - ours)

    def _check_foreign(self, target: Path, entries: dict[str, Path]) -> None:
        """A folder without our marker: only empty, or results-like with --force."""
        top = sorted(e for e in target.iterdir())
        stranger = next((e.name for e in top if not self.holds(e)), None)
        if stranger is not None:
            raise self._error(f"holds '{stranger}', which is not a {self.KIND} file: this is "
                              f"not a {self.KIND} folder energymodel made, and it never "
                              "replaces such a folder; choose a new one")
        if top and not self.force:
            flag = "--force" if self.argument == "--out" else "force=True"
            hint = f"pass {flag} to replace it, or " if self.FORCEABLE else ""
            raise self._error(f"is not an energymodel {self.KIND} folder (no {self.MARKER} "
                              f"of ours listing its files): {hint}choose a new folder")
        self.listed = {rel for rel, e in entries.items() if e.is_file()}

    def holds(self, entry: Path) -> bool:
        """Whether `entry` may stand in a folder of this kind (results files only)."""
        return _results_file(entry)

    def _marked(self, folder: Path) -> set[str] | None:
        """The files our marker in `folder` lists (with the marker itself), or None where
        there is no marker of ours."""
        marker = folder / self.MARKER
        if marker.is_symlink() or not marker.is_file():
            return None
        try:
            content = json.loads(marker.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(content, dict) or not content.keys() >= self.MARKER_KEYS:
            return None
        files = content.get("files")
        if files is None and self.LEGACY_FILES:
            return {*self.LEGACY_FILES, self.MARKER}
        if not isinstance(files, list) or not all(
                isinstance(f, str) and _relative(f) for f in files):
            return None
        return {*files, self.MARKER}

    def _remove_leftovers(self) -> None:
        """Clear hidden siblings a killed run left: only the files energymodel wrote there
        (listed by their marker, or files of this kind where there is none, and links to the
        user's files kept in the folder) are removed. A run killed between the two renames
        of the fallback swap left the old folder aside and none in its place: our old
        output is put back first, so it survives whole."""
        parent, name = self.path.parent, glob_escape(self.path.name)
        olds = list(parent.glob(f".{name}.old-*"))
        if not self.path.exists() and len(olds) == 1 and self._marked(olds[0]) is not None:
            os.rename(olds[0], self.path)
        for kind in ("tmp", "old"):
            for stale in parent.glob(f".{name}.{kind}-*"):
                if not stale.is_dir() or stale.is_symlink():
                    continue
                entries = walk(stale)
                known = self._marked(stale) or {rel for rel, e in entries.items()
                                                if self.holds(e)}
                known |= {rel for rel, e in entries.items() if _same_file(e, self.path / rel)}
                with interrupts.deferred():
                    _clear(stale, known)

    def replace(self, fill: Callable[[Path], None]) -> Path:
        """Fill a new hidden folder with `fill(folder)` (which writes the marker), list its
        files in the marker, carry the user's files over and swap it in for the folder; the
        path written. Errors while writing leave the old folder as it was."""
        self._check()  # again: the folder may have changed while the model solved
        tag = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        tmp = self._sibling(f"tmp-{tag}")
        try:
            tmp.mkdir()
            fill(tmp)
            written = sorted(walk(tmp, files_only=True))
            clash = next((rel for rel in self.kept if rel in written), None)
            if clash is not None:
                raise self._error(f"holds '{clash}', which energymodel did not write and "
                                  "would now write: move it away first, or choose a new "
                                  "folder")
            marker = json.loads((tmp / self.MARKER).read_text(encoding="utf-8"))
            publish(tmp / self.MARKER, json_bytes(
                {**marker, "files": [f for f in written if f != self.MARKER]}))
            for rel in self.kept:
                _carry(self.path / rel, tmp / rel)
            sync_folder(tmp)
        except BaseException as err:
            with interrupts.deferred():
                shutil.rmtree(tmp, ignore_errors=True)
            if isinstance(err, OSError | WriteError):
                cause = err.cause if isinstance(err, WriteError) else err.strerror or err
                raise self._error(f"cannot write {self.KIND}: {cause}") from None
            raise
        known = self.listed | set(self.kept)
        with interrupts.deferred():
            if not self.path.exists():
                os.rename(tmp, self.path)
            elif _exchange(tmp, self.path):
                _clear(tmp, known)
            else:
                old = self._sibling(f"old-{tag}")
                os.rename(self.path, old)
                os.rename(tmp, self.path)
                _clear(old, known)
            sync_folder(self.path.parent)
        self._made = []  # the parents now hold the output
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
    LEGACY_FILES = frozenset({"compare.csv", "compare.parquet"})
    FORCEABLE = False


class LeverageFolder(ResultsFolder):
    """A leverage folder (`energymodel leverage --out`): leverage, leverage_interactions and
    leverage_worlds (.parquet/.csv) and the manifest.json it writes (kind and scenario)."""

    KIND = "leverage"
    MARKER_KEYS = frozenset({"kind", "scenario"})
    LEGACY_FILES = frozenset()
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


def walk(folder: Path, files_only: bool = False) -> dict[str, Path]:
    """Every entry under `folder` by its relative POSIX path, links not followed (a link
    is listed, never entered); regular files only if `files_only`."""
    entries = {}
    for root, dirs, files in os.walk(folder):
        for name in (*dirs, *files):
            path = Path(root, name)
            if not files_only or (path.is_file() and not path.is_symlink()):
                entries[path.relative_to(folder).as_posix()] = path
    return entries


def _relative(name: str) -> bool:
    """Whether a marker's file name is a plain relative path inside the folder."""
    parts = Path(name).parts
    return bool(parts) and not Path(name).is_absolute() and ".." not in parts


def _same_file(a: Path, b: Path) -> bool:
    """Whether two paths are links to one file (a user's file carried over)."""
    try:
        return a.is_file() and not a.is_symlink() and os.path.samefile(a, b)
    except OSError:
        return False


def _carry(source: Path, target: Path) -> None:
    """Put the user's file `source` into the new folder at `target`, byte for byte: a hard
    link (the same file), or a copy where the file system has no links."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target, follow_symlinks=False)
    except OSError as err:
        if err.errno not in (errno.EPERM, errno.EXDEV, errno.EMLINK, errno.ENOTSUP):
            raise
        shutil.copy2(source, target, follow_symlinks=False)


def _clear(folder: Path, known: set[str]) -> None:
    """Remove from `folder` the files in `known` (relative paths) and publish's
    temporaries, then the folders left empty; anything else stays where it is."""
    for rel, entry in walk(folder).items():
        if (rel in known and entry.is_file() and not entry.is_symlink()) or \
                is_temporary(entry):
            entry.unlink()
    for root, dirs, _ in os.walk(folder, topdown=False):
        for name in dirs:
            with contextlib.suppress(OSError):
                Path(root, name).rmdir()
    with contextlib.suppress(OSError):
        folder.rmdir()


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

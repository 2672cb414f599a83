"""The documentation cannot rot (issue 18 item 2): every code example of ``docs/*.md`` runs here.

Each page is split at its ``## `` headings; each section runs in a fresh temporary folder, its fenced blocks
in order:

- ``python``: executed in-process, in one namespace per section;
- ``bash``: one command per line (comments and blank lines skipped). ``python -m MODULE ARGS`` runs
  ``MODULE``'s ``main(ARGS)`` in-process through ``verify.cli.guarded`` (exactly what ``python -m`` calls,
  without a fresh interpreter per line) and must exit 0; ``pip install ...`` is not run, it must equal the
  README's quick-start install line; any other command is refused (so a page cannot hide an untested one);
- a block of any language whose first line is ``# file: NAME``: written to NAME;
- ``text`` blocks are output, shown for the reader, not run.

``test_docs_build_strictly`` builds the site with ``mkdocs build --strict`` (broken links, API-reference
targets that no longer exist, docstrings mkdocstrings cannot parse).
"""

from __future__ import annotations

import contextlib
import importlib
import io
import itertools
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from verify import cli

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
PAGES = ("index.md", "guide.md", "verdicts.md")
FENCE = re.compile(r"^```([\w-]*)[^\n]*\n(.*?)^```\s*$", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class Block:
    lang: str
    code: str
    line: int  # 1-based line of the opening fence in the page


@dataclass(frozen=True)
class Section:
    page: str
    title: str
    blocks: tuple[Block, ...]

    @property
    def runnable(self) -> bool:
        return any(b.lang in {"python", "bash"} for b in self.blocks)


def sections(page: str) -> list[Section]:
    text = (DOCS / page).read_text()
    out = []
    starts = [0] + [m.start() for m in re.finditer(r"^## ", text, re.MULTILINE)] + [len(text)]
    for lo, hi in itertools.pairwise(starts):
        chunk = text[lo:hi]
        title = chunk.splitlines()[0].lstrip("# ").strip() if chunk.strip() else ""
        base = text[:lo].count("\n") + 1
        blocks = tuple(Block(m.group(1), m.group(2), base + chunk[: m.start()].count("\n"))
                       for m in FENCE.finditer(chunk))
        out.append(Section(page, title, blocks))
    return out


SECTIONS = [s for page in PAGES for s in sections(page) if s.runnable]


def readme_install_line() -> str:
    text = (REPO / "README.md").read_text()
    return next(line.split("&&")[0].strip() for line in text.splitlines() if line.startswith("pip install"))


def run_command(line: str, where: str) -> str:
    """Run one ``bash`` line of a page; returns what it printed."""
    argv = shlex.split(line, comments=True)
    if argv[:2] == ["pip", "install"]:
        assert line.split("&&")[0].strip() == readme_install_line(), f"{where}: install line differs from the README's"
        return ""
    assert argv[:2] == [sys.executable.rsplit("/", 1)[-1], "-m"] or argv[:2] == ["python", "-m"], \
        f"{where}: only `python -m ...` and `pip install` lines can be run from the docs: {line!r}"
    module = importlib.import_module(argv[2] if argv[2] != "verify" else "verify.__main__")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        try:
            code = cli.guarded(module.main, argv[3:])
        except SystemExit as exc:  # argparse's own exits (bad flag)
            code = exc.code
    assert code == 0, f"{where}: `{line}` exited {code}\n{out.getvalue()}"
    return out.getvalue()


def run_section(section: Section) -> None:
    namespace: dict[str, object] = {"__name__": "__docs__"}
    for block in section.blocks:
        where = f"docs/{section.page}:{block.line} ({section.title})"
        first = block.code.splitlines()[0] if block.code.strip() else ""
        if first.startswith("# file: "):
            Path(first.removeprefix("# file: ").strip()).write_text(block.code)
            continue
        if block.lang == "python":
            try:
                exec(compile(block.code, where, "exec"), namespace)  # the docs' own examples
            except Exception as exc:
                raise AssertionError(f"{where}: the example raised {type(exc).__name__}: {exc}") from exc
        elif block.lang == "bash":
            for line in block.code.splitlines():
                if line.strip() and not line.lstrip().startswith("#"):
                    run_command(line.strip(), where)


@pytest.mark.parametrize("section", SECTIONS, ids=lambda s: f"{s.page}:{s.title[:40]}")
def test_docs_examples_run(section: Section, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, one_thread: None
                           ) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TQDM_DISABLE", "1")
    run_section(section)


def test_every_page_has_examples_and_every_guide_task_is_there() -> None:
    assert {s.page for s in SECTIONS} == set(PAGES)
    titles = " / ".join(s.title for s in SECTIONS if s.page == "guide.md").lower()
    for task in ("report", "dataframe", "lemma 3", "circuit", "ntk", "sweep", "results go"):
        assert task in titles, f"the guide has no runnable section about {task!r}"
    guide = (DOCS / "guide.md").read_text()
    for must in ("--circuit", "--output", "--dask-local 2", "report.frame", "labelled_grams", "circuit_task"):
        assert must in guide


def test_the_runner_refuses_what_it_cannot_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Controls of the harness: a failing example, a failing command and an unknown command all fail."""
    monkeypatch.chdir(tmp_path)
    bad = [Block("python", "assert 1 == 2\n", 1), Block("bash", "python -m verify.lemma3 --fanin 9\n", 1),
           Block("bash", "rm -rf results\n", 1), Block("bash", "pip install something-else\n", 1)]
    for block in bad:
        with pytest.raises(AssertionError):
            run_section(Section("x.md", "control", (block,)))
    check = "import pathlib\nassert pathlib.Path('a.toml').read_text().endswith('x = 1\\n')\n"
    run_section(Section("x.md", "ok", (Block("toml", "# file: a.toml\nx = 1\n", 1), Block("python", check, 2))))


@pytest.mark.skipif(shutil.which("mkdocs") is None, reason="mkdocs not installed (pip install '.[docs]')")
def test_docs_build_strictly(tmp_path: Path) -> None:
    done = subprocess.run(["mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")], cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / "site" / "guide" / "index.html").exists()

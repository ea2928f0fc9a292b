"""A pytest plugin over nbval: Run All a second time in the kernel nbval used, and measure that kernel's peak memory.

    python -m pytest -p tools.nbval_passes --nbval --run-twice solutions notebooks solutions

nbval executes each notebook once and compares every cell's outputs with the committed ones. For the notebooks under
a --run-twice folder this plugin then runs every code cell again in the same kernel, as a learner pressing Run All
twice does: an error fails that cell's "run 2" item; outputs are not compared (a second run rightly makes new ids).
A kernel that dies while starting is started again (at most KERNEL_STARTS times): with two workers, a TCP port the
kernel was given can be taken by another process before the kernel binds it.
The second run happens as on Binder (JUPYTERHUB_SERVICE_PREFIX set in the kernel), so a chapter that only breaks
there fails too. Meanwhile the kernel and every process it starts are sampled, and a last "peak memory" item fails
when their peak over both runs goes above --peak-mb. So each notebook is executed once per test run.
"""

from __future__ import annotations

import itertools
import os
from collections import defaultdict
from pathlib import Path
from typing import Any, cast

import nbval.kernel
import pytest
from nbval.plugin import IPyNbCell, IPyNbFile

from tools.memory import BINDER_PREFIX, LIMIT_MB, MB, TreeSampler, kernel_high_water_mark

MEASURE = pytest.StashKey[bool]()
SAMPLER = pytest.StashKey[TreeSampler]()
AS_ON_BINDER = pytest.StashKey[bool]()
KERNEL_STARTS = 3
SECOND_RUN = f"second Run All in the same kernel, as on Binder (JUPYTERHUB_SERVICE_PREFIX={BINDER_PREFIX})"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("nbval passes", "Run All twice and peak memory, in the kernel nbval runs")
    group.addoption(
        "--run-twice",
        action="append",
        default=[],
        metavar="FOLDER",
        help="after nbval, run the cells of the notebooks under FOLDER again in the same kernel (repeatable)",
    )
    group.addoption(
        "--peak-mb",
        type=float,
        default=LIMIT_MB,
        metavar="MB",
        help=f"fail a notebook run twice when its kernel and the processes it started together peak "
        f"above MB over both runs (default {LIMIT_MB:.0f}: Binder's 2048 less the Jupyter server's "
        f"share)",
    )


def starting_again(start):
    """`start` (nbval's start_new_kernel), tried KERNEL_STARTS times while the kernel dies before it is ready."""

    def start_kernel(*args, **kwargs):
        for attempt in range(1, KERNEL_STARTS + 1):
            try:
                return start(*args, **kwargs)
            except RuntimeError as died:  # "Kernel died before replying to kernel_info", or no heartbeat in time
                if attempt == KERNEL_STARTS:
                    raise
                print(f"\nkernel start {attempt} of {KERNEL_STARTS} failed ({died}); starting it again", flush=True)

    # A mark read back with getattr (one wrapper, however often the plugin loads); typeshed's functions take none.
    start_kernel.starting_again = True  # type: ignore[attr-defined]
    return start_kernel


def pytest_configure(config: pytest.Config) -> None:
    if not getattr(nbval.kernel.start_new_kernel, "starting_again", False):
        nbval.kernel.start_new_kernel = starting_again(nbval.kernel.start_new_kernel)
    if config.option.run_twice:
        config.pluginmanager.register(PeakTable(config.option.peak_mb), "nbval-passes-peaks")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    progress = os.environ.get("COURSE_PROGRESS_FILE")
    if worker and progress:  # two kernels writing one progress file would race on its temporary file
        path = Path(progress)
        os.environ["COURSE_PROGRESS_FILE"] = str(path.with_name(f"{path.stem}-{worker}{path.suffix}"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    folders = [Path(folder).resolve() for folder in config.option.run_twice]
    if not folders:
        return
    arranged: list[pytest.Item] = []
    for notebook, group in itertools.groupby(items, key=_notebook_of):
        cells = list(group)
        arranged += cells
        if notebook is None or not any(notebook.path.resolve().is_relative_to(folder) for folder in folders):
            continue
        arranged += [SecondRun.from_parent(notebook, name=f"{cell.name} run 2", first=cell) for cell in cells]
        notebook.stash[MEASURE] = True
        arranged.append(PeakMemory.from_parent(notebook, name="peak memory", limit_mb=config.option.peak_mb))
    items[:] = arranged


def _notebook_of(item: pytest.Item) -> IPyNbFile | None:
    return item.parent if isinstance(item, IPyNbCell) else None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item):
    """Start sampling a measured notebook's memory as soon as nbval has started its kernel."""
    result = yield
    notebook = cast(IPyNbFile, item.parent)  # a cell's parent: its notebook
    if (
        isinstance(item, IPyNbCell)
        and notebook.stash.get(MEASURE, False)
        and SAMPLER not in notebook.stash
        and notebook.kernel is not None
        and notebook.kernel.is_alive()
    ):
        sampler = TreeSampler(notebook.kernel.km.provisioner.pid)
        sampler.start()
        notebook.stash[SAMPLER] = sampler
        notebook.addfinalizer(sampler.stop)
    return result


class SecondRun(IPyNbCell):
    """A code cell run again after the whole notebook ran once, in the same kernel; only an error fails it."""

    def __init__(self, *, first: IPyNbCell, **kwargs) -> None:
        options = defaultdict(bool, first.options)
        options["check"] = False
        super().__init__(cell_num=first.cell_num, cell=first.cell, options=options, **kwargs)

    def runtest(self) -> None:
        if not self.parent.stash.get(AS_ON_BINDER, False):
            self.parent.stash[AS_ON_BINDER] = True
            _run_quietly(self.parent, f"import os; os.environ['JUPYTERHUB_SERVICE_PREFIX'] = {BINDER_PREFIX!r}")
        super().runtest()

    def repr_failure(self, excinfo):
        return f"On the {SECOND_RUN}:\n{super().repr_failure(excinfo)}"

    def reportinfo(self):
        path, line, description = super().reportinfo()
        return path, line, f"{description} (run 2)"


def _run_quietly(notebook: IPyNbFile, code: str) -> None:
    """Execute `code` in the notebook's kernel without output; fail if it raises."""
    kernel = notebook.kernel
    if kernel is None or not kernel.is_alive():
        raise RuntimeError("the notebook's kernel is not running")
    reply = kernel.kc.execute(code, silent=True, store_history=False, reply=True, timeout=60)
    if reply["content"]["status"] != "ok":
        raise RuntimeError(f"setting up the second run failed: {reply['content'].get('evalue', reply['content'])}")


class MemoryCheckFailed(Exception):
    """The notebook's processes used more memory than the limit, or could not be measured."""


class PeakMemory(pytest.Item):
    """The notebook's kernel and the processes it started stayed under the limit over both runs."""

    def __init__(self, *, limit_mb: float, **kwargs) -> None:
        super().__init__(**kwargs)
        self.limit_mb = limit_mb

    def runtest(self) -> None:
        notebook = cast(IPyNbFile, self.parent)
        sampler = notebook.stash.get(SAMPLER, None)
        if sampler is None or not notebook.kernel.is_alive():
            raise MemoryCheckFailed(f"{self.path.name}: the kernel was not running, so its memory was not measured")
        tree_mb = sampler.stop() / MB
        kernel_mb = kernel_high_water_mark(sampler.root.pid) / MB
        peak_mb = max(kernel_mb, tree_mb)
        self.user_properties.append(("peak_mb", round(peak_mb)))
        if peak_mb > self.limit_mb:
            raise MemoryCheckFailed(
                f"{self.path.name} peaked at {peak_mb:.0f} MB over both runs (kernel alone {kernel_mb:.0f} MB, with "
                f"the processes it started {tree_mb:.0f} MB); the limit is {self.limit_mb:.0f} MB of Binder's 2048"
            )

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, MemoryCheckFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.path, None, f"{self.path.name}::peak memory"


class PeakTable:
    """Prints each measured notebook's peak at the end; the numbers come with the reports, also from xdist workers."""

    def __init__(self, limit_mb: float) -> None:
        self.limit_mb = limit_mb
        self.peaks: dict[str, Any] = {}  # peak MB per notebook, as the reports carry it

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        for name, value in report.user_properties:
            if name == "peak_mb" and report.when == "call":
                self.peaks[report.nodeid.split("::")[0]] = value

    def pytest_terminal_summary(self, terminalreporter) -> None:
        if self.peaks:
            terminalreporter.write_sep("-", f"peak memory over both runs (limit {self.limit_mb:.0f} MB)")
            for notebook, peak in sorted(self.peaks.items()):
                terminalreporter.write_line(f"{peak:>6} MB  {notebook}")

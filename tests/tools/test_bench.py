"""make bench's harness: ratios and goals, skipped figures carry no numbers, the table, JSON, plot and Markdown."""

import json

import pytest

import tools.bench.__main__ as bench_main
from tools.bench.core import Benchmark, Context, Figure, Goal, Skip, measured, run_benchmark
from tools.bench.report import document, markdown_table, row, text_table


def test_a_ratio_goal_compares_measured_over_baseline_in_its_direction():
    slower = measured("start", [3.0, 2.0, 100.0], [1.0, 1.0, 1.0], unit="s", baseline_name="bare", goal=Goal("<=", 2))
    assert slower.measured == 3.0 and slower.baseline == 1.0  # medians, so one outlier does not move them
    assert slower.ratio == 3.0 and slower.passed is False
    faster = measured("rps", [600.0], [1000.0], unit="req/s", baseline_name="hello", goal=Goal(">=", 0.5))
    assert faster.ratio == pytest.approx(0.6) and faster.passed is True
    assert measured("rps", [400.0], [1000.0], unit="req/s", baseline_name="hello", goal=Goal(">=", 0.5)).passed is False
    assert str(Goal("<=", 1.2)) == "≤ 1.2×" and str(Goal(">=", 0.5)) == "≥ 0.5×"


def test_a_value_goal_ignores_the_baseline_and_no_goal_means_no_verdict():
    size = Figure("venv", unit="MB", measured=330.0, goal=Goal("<=", 320, "value", "MB"))
    assert size.ratio is None and size.passed is False and str(size.goal) == "≤ 320 MB"
    assert Figure("venv", unit="MB", measured=300.0, goal=Goal("<=", 320, "value", "MB")).passed is True
    assert Figure("x", measured=2.0, baseline=1.0).passed is None
    assert Figure("x", measured=2.0, baseline=0.0).ratio is None


def test_a_skipped_figure_has_no_numbers_anywhere():
    figure = Figure.skip(
        "cursor page 100k deep",
        "slot: chapter 14 is not merged yet",
        goal=Goal("<=", 2),
        baseline_name="its first page",
    )
    assert figure.ratio is None and figure.passed is None
    cells = dict(zip(("figure", "baseline", "measured", "ratio", "goal", "result"), row(figure), strict=True))
    assert cells["measured"] == cells["ratio"] == ""
    assert cells["result"] == "skipped: slot: chapter 14 is not merged yet"
    data = figure.as_dict()
    assert data["measured"] is data["baseline"] is data["ratio"] is data["passed"] is None
    assert data["skipped"] == "slot: chapter 14 is not merged yet" and data["samples"] == []


def test_a_benchmark_that_raises_skip_or_fails_yields_skipped_figures_named_as_promised():
    def cannot(context):
        raise Skip("no redis-server")
        yield  # a generator, as registered benchmarks are

    def breaks(context):
        yield Figure("first", measured=1.0, baseline=1.0)
        raise ValueError("boom")

    skipped = list(run_benchmark(Benchmark("cache", cannot, ("hit", "miss")), Context()))
    assert [(f.name, f.skipped, f.group) for f in skipped] == [
        ("hit", "no redis-server", "cache"),
        ("miss", "no redis-server", "cache"),
    ]
    broken = list(run_benchmark(Benchmark("g", breaks), Context()))
    assert broken[0].name == "first" and broken[0].skipped is None
    assert broken[1].name == "g" and broken[1].skipped == "failed: ValueError: boom" and broken[1].measured is None


def test_the_text_table_lines_up_and_shows_baseline_ratio_goal_and_verdict():
    figures = [
        measured("server start → first 200", [0.3], [0.1], unit="s", baseline_name="bare uvicorn", goal=Goal("<=", 2)),
        Figure.skip("2 replicas behind nginx", "slot: chapter 11", goal=Goal(">=", 1.4)),
    ]
    lines = text_table(figures).splitlines()
    assert lines[0].split() == ["figure", "baseline", "measured", "ratio", "goal", "result"]
    assert set(lines[1]) <= {"-", " "}
    assert "bare uvicorn: 0.1 s" in lines[2] and "0.3 s" in lines[2] and "3.00×" in lines[2]
    assert lines[2].rstrip().endswith("MISS") and "≤ 2×" in lines[2]
    assert lines[3].rstrip().endswith("skipped: slot: chapter 11") and "×  " not in lines[3].split("≥")[0]
    assert lines[2].index("0.3 s") == lines[0].index("measured")


def test_the_markdown_table_escapes_pipes_and_has_one_row_per_figure():
    table = markdown_table([Figure("a | b", measured=1.0, baseline=2.0, note="x|y")]).splitlines()
    assert table[0] == "| figure | baseline | measured | ratio | goal | result |"
    assert table[1] == "|---|---|---|---|---|---|"
    assert table[2].startswith("| a \\| b |") and "x\\|y" in table[2] and len(table) == 3


def test_the_json_document_says_when_where_and_every_figure():
    data = json.loads(
        json.dumps(
            document(
                [Figure("a", unit="s", measured=2.0, baseline=1.0, goal=Goal("<=", 3))],
                command="python -m tools.bench",
                seconds=1.23,
            )
        )
    )
    assert set(data) == {"generated", "command", "seconds", "machine", "note", "figures"}
    assert set(data["machine"]) == {"python", "platform", "cpus", "load_average"}
    assert data["figures"][0] | {"samples": None} == {
        "group": "",
        "name": "a",
        "unit": "s",
        "measured": 2.0,
        "baseline": 1.0,
        "baseline_name": "",
        "ratio": 2.0,
        "goal": "≤ 3×",
        "passed": True,
        "skipped": None,
        "samples": None,
        "baseline_samples": [],
        "note": "",
    }


@pytest.fixture
def fake_registry(monkeypatch):
    def fine(context):
        yield measured("fast", [1.0], [2.0], unit="s", baseline_name="base", goal=Goal("<=", 1))

    def slot(context):
        yield Figure.skip("later", "slot: not merged yet")

    def broken(context):
        raise RuntimeError("no server")
        yield

    registry = {"fine": Benchmark("fine", fine), "slot": Benchmark("slot", slot), "broken": Benchmark("broken", broken)}
    monkeypatch.setattr(bench_main, "REGISTRY", registry)
    return registry


def test_main_prints_the_table_and_writes_json_plot_and_markdown(fake_registry, tmp_path, capsys):
    markdown = tmp_path / "benchmarks.md"
    status = bench_main.main(
        [
            "--only",
            "fine",
            "--only",
            "slot",
            "--out",
            str(tmp_path / "out"),
            "--markdown",
            str(markdown),
            "--note",
            "machine shared",
        ]
    )
    printed = capsys.readouterr().out
    assert status == 0 and "fast" in printed and "skipped: slot: not merged yet" in printed
    data = json.loads((tmp_path / "out" / "latest.json").read_text())
    assert [f["name"] for f in data["figures"]] == ["fast", "later"] and data["figures"][0]["ratio"] == 0.5
    assert (tmp_path / "out" / "latest.png").read_bytes()[:4] == b"\x89PNG"
    text = markdown.read_text()
    assert text.startswith("# Benchmarks") and "machine shared" in text and "| fast | base: 2 s | 1 s | 0.50× |" in text


def test_a_partial_run_leaves_the_readmes_table_alone(fake_registry, tmp_path, monkeypatch):
    docs = tmp_path / "benchmarks.md"
    docs.write_text("the last whole run")
    monkeypatch.setattr(bench_main, "MARKDOWN", docs)
    monkeypatch.setattr(bench_main, "PLOT_IN_DOCS", tmp_path / "benchmarks.png")
    readme = tmp_path / "README.md"
    readme.write_text("<!-- bench:start -->\nthe last whole run\n<!-- bench:end -->\n")
    monkeypatch.setattr(bench_main, "README", readme)
    arguments = ["--out", str(tmp_path / "out"), "--markdown", str(docs)]
    assert bench_main.main([*arguments, "--only", "fine"]) == 0 and docs.read_text() == "the last whole run"
    assert bench_main.main([*arguments, "--skip", "broken"]) == 0 and docs.read_text() == "the last whole run"
    assert "the last whole run" in readme.read_text()
    assert bench_main.main(arguments) == 1 and docs.read_text().startswith("# Benchmarks")  # whole, one broken
    assert "the last whole run" not in readme.read_text() and "[benchmarks.md](benchmarks.md)" in readme.read_text()


def test_main_fails_when_a_benchmark_broke_and_can_leave_one_group_out(fake_registry, tmp_path, capsys):
    out = ["--out", str(tmp_path), "--markdown", "-"]
    assert bench_main.main(out) == 1
    assert "skipped: failed: RuntimeError: no server" in capsys.readouterr().out
    assert bench_main.main([*out, "--skip", "broken", "--skip", "fine"]) == 0  # nothing to plot: no matplotlib
    with pytest.raises(SystemExit):
        bench_main.main([*out, "--only", "nonsense"])


def test_the_readme_gets_the_goals_between_its_markers_and_nothing_else_changes(tmp_path):
    from tools.bench.report import write_readme_goals

    readme = tmp_path / "README.md"
    readme.write_text("intro\n<!-- bench:start -->\nold table\n<!-- bench:end -->\noutro\n")
    figures = [
        Figure(
            name="with goal",
            unit="s",
            measured=2.0,
            baseline=1.0,
            baseline_name="base",
            goal=Goal("<=", 3.0),
            note="a long note",
        ),
        Figure(name="without goal", unit="s", measured=1.0),
    ]
    data = document(figures, command="python -m tools.bench", seconds=12.3)
    assert write_readme_goals(readme, data, figures, details="docs/benchmarks.md")
    text = readme.read_text()
    assert text.startswith("intro\n<!-- bench:start -->\n") and text.endswith("<!-- bench:end -->\noutro\n")
    assert "old table" not in text and "| with goal |" in text and "| pass |" in text
    assert "without goal" not in text and "a long note" not in text and "[docs/benchmarks.md]" in text
    readme.write_text("no markers here\n")
    assert not write_readme_goals(readme, data, figures, details="docs/benchmarks.md")
    assert readme.read_text() == "no markers here\n"


def test_a_number_just_under_a_thousand_is_written_out_never_in_exponent_form():
    from tools.bench.report import number

    assert number(999.7, "req/s") == "1,000 req/s"
    assert number(998.0, "req/s") == "998 req/s" and number(1234.0, "µs") == "1,234 µs"

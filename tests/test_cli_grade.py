"""``memalign-nb grade``: locate the page, build Voila's command, serve on loopback."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import nbformat
import pytest

from memalign_nb.cli import grade as grade_cli
from memalign_nb.cli import main
from memalign_nb.errors import MissingDependencyError, ModelConfigError

REPO = Path(__file__).parents[1]


def make_dataset(root: Path) -> Path:
    (root / "notebooks").mkdir(parents=True)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import pandas as pd\ndf = pd.read_csv('x.csv')")]
    nbformat.write(nb, root / "notebooks" / "case-1.ipynb")
    (root / "cases.jsonl").write_text(json.dumps({"case_id": "case-1", "prompt": "Predict y"}))
    return root


def shadowing_folder(root: Path) -> Path:
    """A working directory with a ``widgets/`` package of its own, as Jupyter users have."""
    (root / "widgets").mkdir(parents=True)
    (root / "widgets" / "__init__.py").write_text(
        "raise ImportError('the working directory\'s own widgets package was imported')\n")
    return root


def test_grade_page_is_found_without_importing_widgets():
    before = set(sys.modules)
    page = grade_cli.grade_page()
    assert page == REPO / "widgets" / "pages" / "grade.ipynb"
    assert not {m for m in set(sys.modules) - before if m.startswith("memalign_nb_widgets")}
    nb = nbformat.read(page, as_version=4)
    nbformat.validate(nb)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    assert len(code) == 1 and "page_from_environment()" in code[0]
    assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code")


def test_grade_page_is_found_from_a_folder_holding_its_own_widgets_package(tmp_path):
    code = "from memalign_nb.cli.grade import grade_page; print(grade_page())"
    found = subprocess.run([sys.executable, "-c", code], cwd=shadowing_folder(tmp_path),
                           capture_output=True, text=True, timeout=120)
    assert found.returncode == 0, found.stderr
    assert found.stdout.strip() == str(REPO / "widgets" / "pages" / "grade.ipynb")


def test_grade_page_missing_says_which_extra_to_install(monkeypatch):
    monkeypatch.setattr(grade_cli.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(MissingDependencyError, match=r"memalign-nb\[widgets\]"):
        grade_cli.grade_page()


def test_voila_command_binds_loopback_one_port_no_browser_and_a_token():
    cmd = grade_cli.voila_command("/x/grade.ipynb", 8123)
    assert cmd[:4] == [sys.executable, "-m", "voila", "/x/grade.ipynb"]
    for option in ("--port=8123", "--Voila.ip=127.0.0.1", "--no-browser",
                   "--Voila.port_retries=0", "--Voila.auto_token=True"):
        assert option in cmd
    assert not any(part.startswith(("--Voila.token", "--token")) for part in cmd)


def test_the_token_goes_to_voila_through_its_environment_not_its_command_line(
        tmp_path, monkeypatch):
    started = {}

    class Recorded:
        def __init__(self, args, env, **kwargs):
            started.update(args=args, env=env)

        def poll(self):
            return None

    monkeypatch.setattr(grade_cli.subprocess, "Popen", Recorded)
    monkeypatch.setattr(grade_cli, "_wait_listening", lambda *args: None)
    server = grade_cli.start_grade_server(make_dataset(tmp_path / "ds"), "ana")
    token = server.url.split("?token=")[1]
    assert len(token) >= 24
    assert not any(token in part for part in started["args"])
    assert started["env"][grade_cli.ENV_TOKEN] == token


def test_free_port_is_bindable_on_loopback():
    port = grade_cli.free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


def test_parser_requires_a_non_blank_rater(capsys):
    with pytest.raises(SystemExit) as info:
        main(["grade", "somewhere"])
    assert info.value.code == 2 and "--rater" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["grade", "somewhere", "--rater", "  "])
    assert "must not be blank" in capsys.readouterr().err


def test_a_bad_dataset_fails_before_voila_starts(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(grade_cli.subprocess, "Popen", _no_popen)
    assert main(["grade", str(tmp_path / "nope"), "--rater", "ana", "--no-browser"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("memalign-nb grade: error:") and "nope" in err


def test_a_port_in_use_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(grade_cli.subprocess, "Popen", _no_popen)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(grade_cli.GradePageError, match=f"port {port} on 127.0.0.1 is in use"):
            grade_cli.start_grade_server(make_dataset(tmp_path / "ds"), "ana", port=port)


def test_voila_exiting_early_is_reported_with_its_log(tmp_path, monkeypatch):
    failing = [sys.executable, "-c", "import sys; print('voila: boom'); sys.exit(3)"]
    monkeypatch.setattr(grade_cli, "voila_command", lambda *a: failing)
    logs = tmp_path / "tmp"
    logs.mkdir()
    monkeypatch.setattr(grade_cli.tempfile, "tempdir", str(logs))
    with pytest.raises(grade_cli.GradePageError, match="exited with code 3") as info:
        grade_cli.start_grade_server(make_dataset(tmp_path / "ds"), "ana", timeout=30)
    assert "voila: boom" in info.value.log
    assert not list(logs.glob("memalign-nb-voila-*"))  # its tail is in the error instead


def _no_popen(*args, **kwargs):
    raise AssertionError("voila must not be started")


@pytest.mark.slow
def test_cli_serves_the_page_on_loopback_and_stops_voila_on_sigterm(tmp_path):
    """Started, as a Jupyter user would, from a folder holding its own ``widgets/``."""
    dataset = make_dataset(tmp_path / "ds")
    store = tmp_path / "grades.sqlite"
    logs = tmp_path / "tmp"
    logs.mkdir()
    cli = subprocess.Popen(
        [sys.executable, "-m", "memalign_nb", "grade", str(dataset), "--rater", "ana",
         "--store", str(store), "--no-browser"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "TMPDIR": str(logs)}, cwd=shadowing_folder(tmp_path / "work"),
    )
    try:
        line = cli.stdout.readline()
        assert line.startswith("Grading page for ana: http://127.0.0.1:"), cli.stderr.read()
        url = line.split(": ", 1)[1].strip()
        port = int(url.split(":")[2].split("/")[0])
        assert "?token=" in url
        assert len(list(logs.glob("memalign-nb-voila-*.log"))) == 1
        # Without the token the server only offers its login page (the page itself, with
        # the token, is driven in a real browser by test_widgets_browser_e2e.py).
        with urllib.request.urlopen(url.split("?")[0], timeout=30) as anonymous:
            assert "/login" in anonymous.url
        with urllib.request.urlopen(url, timeout=120) as page:  # Voila runs the page
            html = page.read().decode()
        assert "application/vnd.jupyter.widget-view+json" in html
        assert "error when executing" not in html and "Cannot open" not in html
        with urllib.request.urlopen(url, timeout=60) as admitted:  # the token from the env
            assert "/login" not in admitted.url and admitted.status == 200
        token = url.split("?token=")[1]
        assert not any(token in Path(f"/proc/{pid}/cmdline").read_text(errors="replace")
                       for pid in _children(cli.pid))
        cli.send_signal(signal.SIGTERM)
        assert cli.wait(30) == 0
        assert not list(logs.glob("memalign-nb-voila-*"))  # a clean stop leaves no log
        with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=2):
            pass
    finally:
        if cli.poll() is None:
            os.kill(cli.pid, signal.SIGKILL)
            cli.wait()


def _children(pid: int) -> list[int]:
    """``pid`` and every process below it (Linux /proc)."""
    found, queue = [], [pid]
    while queue:
        parent = queue.pop()
        found.append(parent)
        for task in Path(f"/proc/{parent}/task").glob("*/children"):
            queue += [int(child) for child in task.read_text().split()]
    return found


def test_a_bad_judge_fails_before_voila_starts(tmp_path, monkeypatch):
    monkeypatch.setattr(grade_cli.subprocess, "Popen", _no_popen)
    with pytest.raises(ModelConfigError, match="name the model"):
        grade_cli.start_grade_server(make_dataset(tmp_path / "ds"), "ana", judge="llm")


def test_a_saved_judge_folder_reaches_the_page_as_an_absolute_path(tmp_path, monkeypatch):
    from memalign_nb.grading_page import ENV_JUDGE
    from memalign_nb.integrations.judge_folders import save_judge_dir
    from memalign_nb.judges.heuristic import HeuristicJudge

    dataset = make_dataset(tmp_path / "ds")
    save_judge_dir(HeuristicJudge(), tmp_path / "judges" / "h")
    monkeypatch.chdir(tmp_path)
    started = voila_environment(monkeypatch, dataset, judge="judges/h")
    assert started[ENV_JUDGE] == str(tmp_path / "judges" / "h")


def voila_environment(monkeypatch, dataset: Path, **options) -> dict[str, str]:
    """The environment ``start_grade_server(dataset, "ana", **options)`` gives Voila."""
    started = {}

    def record(command, env, **kwargs):
        started.update(env)
        raise RuntimeError("recorded")

    monkeypatch.setattr(grade_cli.subprocess, "Popen", record)
    with pytest.raises(RuntimeError, match="recorded"):
        grade_cli.start_grade_server(dataset, "ana", **options)
    return started


def test_adjudicate_reaches_the_page_as_its_mode(tmp_path, monkeypatch, capsys):
    from memalign_nb.errors import GradePageError
    from memalign_nb.grading_page import ENV_MODE

    dataset = make_dataset(tmp_path / "ds")
    assert voila_environment(monkeypatch, dataset, mode="adjudicate")[ENV_MODE] == "adjudicate"
    with pytest.raises(GradePageError, match="unknown mode 'judge'; use one of grade, adjud"):
        grade_cli.start_grade_server(dataset, "ana", mode="judge")

    class Served:
        url = "http://127.0.0.1:1/?token=t"
        log_path = "voila.log"

        class process:  # noqa: N801 - stands in for subprocess.Popen
            @staticmethod
            def wait():
                return 0

        def stop(self):
            return 0

    asked = {}
    monkeypatch.setattr(grade_cli, "start_grade_server",
                        lambda *args, **kwargs: asked.update(kwargs) or Served())
    assert main(["grade", str(dataset), "--rater", "ana", "--adjudicate", "--no-browser"]) == 0
    assert asked["mode"] == "adjudicate"
    assert capsys.readouterr().out.startswith("Adjudication page for ana: http://127.0.0.1:1/")
    assert main(["grade", str(dataset), "--rater", "ana", "--no-browser"]) == 0
    assert asked["mode"] == "grade"

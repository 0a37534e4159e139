"""``memalign-nb grade``: serve the grading page to an expert who does not code.

``memalign-nb grade DATASET --rater NAME`` starts `Voila <https://voila.readthedocs.io>`_
as a subprocess on ``127.0.0.1`` (a free port unless ``--port``), serving the page
notebook ``pages/grade.ipynb`` of :mod:`memalign_nb_widgets`, prints the URL and opens it in
a browser (not with ``--no-browser``). The page builds a
:class:`memalign_nb_widgets.GradingPanel` from the :class:`~memalign_nb.grading_page.PageSettings`
this command passes in environment variables; every grade goes to the feedback store at
once. ``--adjudicate`` serves the page's adjudicate mode instead: the items raters disagree
on, every rater's rationale side by side, each decision saved as ``adjudicator:NAME``.
Ctrl-C (or SIGTERM) stops Voila and its kernels.

The page notebook ships as package data of ``memalign_nb_widgets`` (the repository's
``widgets/`` folder), the front-end layer. :mod:`memalign_nb` never imports it, so the
notebook is located with :func:`importlib.util.find_spec`, which finds a package without
running its code.

The URL carries a random token (``?token=...``): the page can read and write grades, so
other local users and web pages must not reach it without the link. The token reaches
Voila through its environment (``JUPYTER_TOKEN``, which Jupyter Server's identity provider
reads), never its command line: any local user can list command lines with ``ps``, while
a process's environment is readable by its owner only.
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import webbrowser
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from types import FrameType
from typing import IO

from memalign_nb.datasets.loader import STORE_FILE
from memalign_nb.errors import GradePageError, MissingDependencyError
from memalign_nb.grading_page import MODES, PAGE, WIDGETS_PACKAGE, PageSettings

logger = logging.getLogger(__name__)

HOST = "127.0.0.1"
"""Voila listens on loopback only."""

ENV_TOKEN = "JUPYTER_TOKEN"
"""Environment variable Jupyter Server reads the access token from."""


def grade_page() -> Path:
    """The packaged page notebook of ``memalign_nb_widgets``, found without importing it.

    Raises
    ------
    MissingDependencyError
        The widgets package (with its page) is not installed.
    """
    spec = importlib.util.find_spec(WIDGETS_PACKAGE)
    for folder in (spec.submodule_search_locations or []) if spec else []:
        page = Path(folder) / PAGE
        if page.is_file():
            return page
    raise MissingDependencyError(WIDGETS_PACKAGE, "widgets")


def free_port(host: str = HOST) -> int:
    """A TCP port on ``host`` that is free now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def voila_command(page: str | PathLike[str], port: int) -> list[str]:
    """The Voila command line: loopback only, this port only, no browser, token required.

    The token itself is not on it: Voila reads it from :data:`ENV_TOKEN`.
    """
    return [
        sys.executable,
        "-m",
        "voila",
        str(page),
        f"--port={port}",
        "--Voila.port_retries=0",  # never drift to another port: the URL names this one
        f"--Voila.ip={HOST}",
        "--no-browser",
        "--Voila.auto_token=True",  # the identity provider takes the token from ENV_TOKEN
        "--theme=light",
    ]


@dataclass
class GradeServer:
    """A running Voila serving the grading page.

    Attributes
    ----------
    process : subprocess.Popen
        The Voila process.
    url : str
        The page's URL, token included.
    log_path : str
        Voila's log file.
    """

    process: subprocess.Popen
    url: str
    log_path: str

    def stop(self, timeout: float = 15.0) -> int:
        """Stop Voila (SIGTERM, then SIGKILL after ``timeout`` s); returns its exit code.

        The log is deleted when this call stopped Voila; it is kept when Voila had already
        exited by itself, so the reason stays readable at :attr:`log_path`.
        """
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                logger.warning("voila did not stop within %.0f s; killing it", timeout)
                self.process.kill()
                self.process.wait()
            Path(self.log_path).unlink(missing_ok=True)
        return int(self.process.returncode)

    def __enter__(self) -> GradeServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def start_grade_server(
    dataset: str | PathLike[str],
    rater: str,
    *,
    store: str | PathLike[str] | None = None,
    port: int | None = None,
    judge: str | None = None,
    mode: str = "grade",
    timeout: float = 60.0,
) -> GradeServer:
    """Start Voila on the grading page and wait until it accepts connections.

    Parameters
    ----------
    dataset : path
        The dataset folder; it is loaded once here so a bad dataset fails now, not in
        the page.
    rater : str
        The rater's name.
    store : path, optional
        The feedback store; default ``DATASET/feedback.sqlite``.
    port : int, optional
        Port on 127.0.0.1; a free one by default.
    judge : str, optional
        A judge reference (a name, a model string, a saved judge folder, an MLflow model
        URI); the page scores items with it on demand.
    mode : {"grade", "adjudicate"}
        The page's mode (:data:`~memalign_nb.grading_page.MODES`): grade every item, or
        adjudicate the items raters disagree on.
    timeout : float
        Seconds to wait for Voila to listen.

    Raises
    ------
    GradePageError
        Blank rater, unknown mode, or Voila exited or did not listen within ``timeout``.
    DatasetError, ModelConfigError, MissingDependencyError
        From loading the dataset or building the judge, or Voila / the page not
        installed.
    """
    from memalign_nb.datasets import load_dataset

    if not rater.strip():
        raise GradePageError("the rater name must not be blank")
    if mode not in MODES:
        raise GradePageError(f"unknown mode {mode!r}; use one of {', '.join(MODES)}")
    folder = Path(dataset).resolve()
    load_dataset(folder)
    if judge:
        from memalign_nb.integrations.judge_refs import judge_ref_kind, resolve_judge

        resolve_judge(judge)  # a bad reference fails here, not inside the page
        if judge_ref_kind(judge) == "folder":  # the page runs in another folder
            judge = str(Path(judge).expanduser().resolve())
    page = grade_page()
    if importlib.util.find_spec("voila") is None:
        raise MissingDependencyError("voila", "widgets")
    if port is None:
        port = free_port()
    elif not _is_free(port):
        raise GradePageError(f"port {port} on {HOST} is in use; choose another or omit --port")
    token = secrets.token_urlsafe(24)
    settings = PageSettings(
        str(folder), rater.strip(), str(Path(store).resolve() if store else folder / STORE_FILE),
        judge, mode)
    env = {**os.environ, **settings.to_environment(), ENV_TOKEN: token}
    # Voila keeps writing to its own copy of the descriptor after this file object closes.
    with tempfile.NamedTemporaryFile(
        "w+", prefix="memalign-nb-voila-", suffix=".log", delete=False
    ) as log:
        process = subprocess.Popen(
            voila_command(page, port),
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=page.parent,
        )
        server = GradeServer(process, f"http://{HOST}:{port}/?token={token}", log.name)
        try:
            _wait_listening(process, port, timeout, log)
        except BaseException:
            server.stop()
            Path(log.name).unlink(missing_ok=True)  # its tail is in the error
            raise
    logger.info("voila serving %s for %s to %s (log %s)", page, rater, mode, log.name)
    return server


def _wait_listening(process: subprocess.Popen, port: int, timeout: float, log: IO[str]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise GradePageError(f"voila exited with code {process.returncode}", _tail(log))
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise GradePageError(
        f"voila did not listen on {HOST}:{port} within {timeout:.0f} s", _tail(log)
    )


def _tail(log: IO[str], lines: int = 20) -> str:
    log.flush()
    return "\n".join(Path(log.name).read_text(errors="replace").splitlines()[-lines:])


def _rater(value: str) -> str:
    if not value.strip():
        raise argparse.ArgumentTypeError("must not be blank")
    return value.strip()


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``grade`` command."""
    parser = subparsers.add_parser(
        "grade",
        help="serve the grading page (Voila, 127.0.0.1) for an expert",
        description="Serve the grading page for DATASET on 127.0.0.1 and print its URL. "
        "Grades are saved to the feedback store the moment they are entered.",
    )
    parser.add_argument("dataset", metavar="DATASET", help="dataset folder")
    parser.add_argument("--rater", required=True, type=_rater, help="your name, as saved")
    parser.add_argument("--store", help=f"feedback store file (default DATASET/{STORE_FILE})")
    parser.add_argument("--port", type=int, help="port on 127.0.0.1 (default: a free one)")
    parser.add_argument(
        "--judge",
        help="judge to compare with: 'heuristic', a model string, a saved judge folder or an "
        "MLflow model URI",
    )
    parser.add_argument(
        "--adjudicate",
        action="store_true",
        help="decide the items raters disagree on, with their rationales side by side; saved "
        "as adjudicator:NAME, which the reference score then uses",
    )
    parser.add_argument("--no-browser", action="store_true", help="only print the URL")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Serve the page until Ctrl-C or SIGTERM; returns the exit code."""
    previous = signal.signal(signal.SIGTERM, _interrupt)
    server = None
    try:
        mode = "adjudicate" if args.adjudicate else "grade"
        server = start_grade_server(
            args.dataset, args.rater, store=args.store, port=args.port, judge=args.judge,
            mode=mode,
        )
        page = "Adjudication page" if args.adjudicate else "Grading page"
        print(f"{page} for {args.rater}: {server.url}", flush=True)
        print("Press Ctrl-C to stop.", flush=True)
        if not args.no_browser:
            webbrowser.open(server.url)
        code = server.process.wait()
        if code:
            print(f"voila stopped with code {code}; log: {server.log_path}", file=sys.stderr)
        return 1 if code else 0
    except KeyboardInterrupt:
        return 0
    finally:
        if server is not None:
            server.stop()
        signal.signal(signal.SIGTERM, previous)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt

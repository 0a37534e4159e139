"""Write the generated notebook fixtures of this folder (run: ``python make_fixtures.py``).

The hand-written fixtures (``empty.ipynb``, ``no_cells.ipynb``, ``not_a_notebook.ipynb``,
``truncated.ipynb``) are committed as they are. The ones below hold binary or encoded data,
so they are generated, deterministically; ``tests/test_notebooks_reader.py`` checks that the
committed files are what this script writes. Large fixtures (a 1 MB output, a 10 MB notebook
of plots) are built by the tests in ``tmp_path`` with :func:`png_bytes` instead.

- ``v3_worksheets.ipynb``: an IPython 2 era nbformat 3 notebook (worksheets, a heading
  cell, ``pyout``/``pyerr`` outputs, a ``png`` plot, an ANSI-coloured traceback).
- ``images.ipynb``: nbformat 4.5 outputs that are not text: a base64 PNG plot, an SVG,
  an HTML-only figure, a widget, a DataFrame with HTML and text forms.
- ``non_utf8.ipynb``: a valid notebook saved as Latin-1 (``café`` is byte 0xE9).
- ``deep_nesting.ipynb``: 1 KB whose cell metadata nests 600 lists deep (nbformat itself
  recursed to death on it).
- ``cell_type_7.ipynb``, ``cell_type_null.ipynb``, ``cell_type_list.ipynb``: a cell whose
  ``cell_type`` is a number, null or a list.
- ``outputs_not_a_list.ipynb``: a code cell whose ``outputs`` is an object.

``python make_fixtures.py --hostile DIR`` also writes, into DIR (not committed: too large,
or not files git can hold), a cell of 100,000 lines, a notebook of 10,000 cells, a FIFO, a
symbolic link loop and a dangling link, all named ``*.ipynb``.
"""

from __future__ import annotations

import base64
import json
import os
import struct
import sys
import zlib
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).parent
ESC = "\x1b"


def png_bytes(width: int, height: int) -> bytes:
    """A valid RGB PNG of a colour gradient; noise rows make it resist compression."""
    rows = []
    for y in range(height):
        row = bytearray(b"\x00")  # filter type: none
        for x in range(width):
            noise = (x * 7919 + y * 104729) % 251
            row += bytes((x * 255 // max(width - 1, 1), y * 255 // max(height - 1, 1), noise))
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + chunk(b"IEND", b"")
    )


def png_base64(width: int, height: int) -> str:
    """:func:`png_bytes` as the base64 text notebooks store."""
    return base64.b64encode(png_bytes(width, height)).decode("ascii")


def _dump(notebook: dict) -> str:
    return json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def v3_worksheets() -> bytes:
    """An nbformat 3 notebook as IPython 2 wrote it."""
    traceback = [
        f"{ESC}[0;31m{'-' * 75}{ESC}[0m\n{ESC}[0;31mNameError{ESC}[0m"
        "                                 Traceback (most recent call last)",
        f"{ESC}[0;32m<ipython-input-3-5f1ec8f8fb1c>{ESC}[0m in {ESC}[0;36m<module>{ESC}[0;34m()"
        f"{ESC}[0m\n{ESC}[0;32m----> 1{ESC}[0;31m {ESC}[0mmodel{ESC}[0;34m.fit(X, y){ESC}[0m",
        f"{ESC}[0;31mNameError{ESC}[0m: name 'model' is not defined",
    ]

    def code(number: int, lines: list[str], outputs: list[dict]) -> dict:
        return {
            "cell_type": "code",
            "collapsed": False,
            "input": lines,
            "language": "python",
            "metadata": {},
            "outputs": outputs,
            "prompt_number": number,
        }

    cells = [
        {"cell_type": "heading", "level": 1, "metadata": {}, "source": ["Titanic survival"]},
        {"cell_type": "markdown", "metadata": {}, "source": ["Load the data, look at the target."]},
        code(
            1,
            ["import pandas as pd\n", "train = pd.read_csv('titanic_train.csv')\n", "train.shape"],
            [{"metadata": {}, "output_type": "pyout", "prompt_number": 1, "text": ["(891, 12)"]}],
        ),
        code(
            2,
            ["print(train['Survived'].mean())\n", "train['Age'].hist()"],
            [
                {"output_type": "stream", "stream": "stdout", "text": ["0.383838383838\n"]},
                {
                    "metadata": {},
                    "output_type": "pyout",
                    "prompt_number": 2,
                    "text": ["<matplotlib.axes.AxesSubplot at 0x10a3b4e50>"],
                },
                {
                    "metadata": {},
                    "output_type": "display_data",
                    "png": png_base64(24, 16),
                    "text": ["<matplotlib.figure.Figure at 0x10a3c2d10>"],
                },
            ],
        ),
        code(
            3,
            ["model.fit(X, y)"],
            [
                {
                    "ename": "NameError",
                    "evalue": "name 'model' is not defined",
                    "output_type": "pyerr",
                    "traceback": traceback,
                }
            ],
        ),
    ]
    notebook = {
        "metadata": {"name": "titanic", "signature": "sha256:" + "0" * 64},
        "nbformat": 3,
        "nbformat_minor": 0,
        "worksheets": [{"cells": cells, "metadata": {}}],
    }
    return _dump(notebook).encode("utf-8")


def _v4(cells: list[dict]) -> dict:
    return {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def _code(cell_id: str, source: str, outputs: list[dict]) -> dict:
    return {
        "cell_type": "code",
        "execution_count": 1,
        "id": cell_id,
        "metadata": {},
        "outputs": outputs,
        "source": source,
    }


def images() -> bytes:
    """Outputs that must become placeholders, next to text that must stay."""
    svg = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect/></svg>'
    cells = [
        _code(
            "plot",
            "train['Age'].hist()",
            [
                {
                    "data": {
                        "image/png": png_base64(64, 48),
                        "text/plain": "<Figure size 640x480 with 1 Axes>",
                    },
                    "metadata": {},
                    "output_type": "display_data",
                }
            ],
        ),
        _code(
            "svg",
            "display(SVG(svg))",
            [{"data": {"image/svg+xml": svg}, "metadata": {}, "output_type": "display_data"}],
        ),
        _code(
            "html",
            "fig.show()",
            [
                {
                    "data": {"text/html": "<div id='plotly'>" + "x" * 3000 + "</div>"},
                    "metadata": {},
                    "output_type": "display_data",
                }
            ],
        ),
        _code(
            "widget",
            "IntSlider()",
            [
                {
                    "data": {
                        "application/vnd.jupyter.widget-view+json": {
                            "model_id": "3f2b",
                            "version_major": 2,
                            "version_minor": 0,
                        }
                    },
                    "metadata": {},
                    "output_type": "display_data",
                }
            ],
        ),
        _code(
            "frame",
            "train.head(2)",
            [
                {
                    "data": {
                        "text/html": "<table><tr><td>22.0</td></tr><tr><td>38.0</td></tr></table>",
                        "text/plain": "    Age\n0  22.0\n1  38.0",
                    },
                    "execution_count": 1,
                    "metadata": {},
                    "output_type": "execute_result",
                }
            ],
        ),
    ]
    return _dump(_v4(cells)).encode("utf-8")


def non_utf8() -> bytes:
    """A valid notebook whose text was saved as Latin-1, not UTF-8."""
    cells = [
        {"cell_type": "markdown", "id": "intro", "metadata": {}, "source": "Prix du café"},
        _code("load", "import pandas as pd", []),
    ]
    return _dump(_v4(cells)).encode("latin-1")


def deep_nesting(depth: int = 600) -> bytes:
    """A small notebook whose one cell's metadata nests ``depth`` lists deep."""
    cell = _code("deep", "x = 1", [])
    cell["metadata"] = {"nested": "@"}
    text = _dump(_v4([cell]))
    return text.replace('"@"', "[" * depth + "]" * depth).encode("utf-8")


def cell_type(value: object) -> Callable[[], bytes]:
    """A notebook whose second cell's ``cell_type`` is ``value``."""

    def build() -> bytes:
        odd = {"cell_type": value, "id": "odd", "metadata": {}, "source": "y = 2"}
        return _dump(_v4([_code("ok", "x = 1", []), odd])).encode("utf-8")

    return build


def outputs_not_a_list() -> bytes:
    """A code cell whose ``outputs`` is an object, not a list."""
    cell = _code("odd", "x = 1", [])
    cell["outputs"] = {"output_type": "stream", "text": "1"}
    return _dump(_v4([cell])).encode("utf-8")


def big_cell(lines: int = 100_000) -> bytes:
    """One code cell of ``lines`` lines."""
    source = "\n".join(f"x{i} = df['c{i % 50}'].fillna(0) * {i}" for i in range(lines))
    return _dump(_v4([_code("big", source, [])])).encode("utf-8")


def many_cells(count: int = 10_000) -> bytes:
    """``count`` small cells, markdown and code."""
    cells = [
        _code(f"c{i}", f"x{i} = df['c{i % 50}'].mean()\nprint(x{i})", [])
        if i % 3 else {"cell_type": "markdown", "id": f"c{i}", "metadata": {}, "source": f"## {i}"}
        for i in range(count)
    ]
    return _dump(_v4(cells)).encode("utf-8")


FIXTURES = {
    "v3_worksheets.ipynb": v3_worksheets,
    "images.ipynb": images,
    "non_utf8.ipynb": non_utf8,
    "deep_nesting.ipynb": deep_nesting,
    "cell_type_7.ipynb": cell_type(7),
    "cell_type_null.ipynb": cell_type(None),
    "cell_type_list.ipynb": cell_type(["code"]),
    "outputs_not_a_list.ipynb": outputs_not_a_list,
}
"""File name -> function returning its bytes."""

HOSTILE = {
    "big_cell_100k_lines.ipynb": big_cell,
    "many_cells_10k.ipynb": many_cells,
}
"""Large hostile fixtures, written by ``--hostile`` only."""


def write_hostile(folder: Path) -> None:
    """Write :data:`HOSTILE` and the special files (FIFO, link loop, dangling link)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, build in HOSTILE.items():
        (folder / name).write_bytes(build())
    for name in ("fifo.ipynb", "loop_a.ipynb", "loop_b.ipynb", "dangling.ipynb"):
        (folder / name).unlink(missing_ok=True)
    os.mkfifo(folder / "fifo.ipynb")
    os.symlink("loop_b.ipynb", folder / "loop_a.ipynb")
    os.symlink("loop_a.ipynb", folder / "loop_b.ipynb")
    os.symlink("no-such-notebook.ipynb", folder / "dangling.ipynb")
    print(f"wrote {len(HOSTILE)} large notebooks, a FIFO and three links into {folder}")


def main(argv: list[str]) -> None:
    """Write every generated fixture (into ``argv[0]``, or here); ``--hostile DIR`` too."""
    if argv[:1] == ["--hostile"]:
        write_hostile(Path(argv[1]))
        return
    folder = Path(argv[0]) if argv else HERE
    for name, build in FIXTURES.items():
        (folder / name).write_bytes(build())
        print(f"wrote {folder / name}")


if __name__ == "__main__":
    main(sys.argv[1:])

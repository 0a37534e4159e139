"""Tests for memalign_nb.notebooks.reader: reading one notebook, and every way it can fail."""

from __future__ import annotations

import importlib.util
import json
import os
import random
import time
import warnings
from pathlib import Path

import nbformat
import pytest
from nbformat import v4

from memalign_nb import MemAlignWarning, NotebookError
from memalign_nb.errors import NotebookLimitError
from memalign_nb.notebooks import read_notebook, reads_notebook
from memalign_nb.notebooks.limits import NotebookLimits
from memalign_nb.notebooks.reader import MAX_PROBLEMS

BAD = Path(__file__).parent / "data" / "bad"


def _load_make_fixtures():
    spec = importlib.util.spec_from_file_location("make_fixtures", BAD / "make_fixtures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_fixtures = _load_make_fixtures()


def notebook_json(cells, metadata=None, minor=5, **top) -> str:
    doc = {"cells": cells, "nbformat": 4, "nbformat_minor": minor, **top}
    if metadata is not None:
        doc["metadata"] = metadata
    return json.dumps(doc)


def code(source, outputs=(), **extra):
    return {
        "cell_type": "code",
        "source": source,
        "metadata": {},
        "outputs": list(outputs),
        "execution_count": None,
        **extra,
    }


def markdown(source, **extra):
    return {"cell_type": "markdown", "source": source, "metadata": {}, **extra}


@pytest.fixture
def no_warnings():
    """Fail the test if reading emits any warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def problem_of(source, path="<string>") -> str:
    with pytest.raises(NotebookError) as info:
        if isinstance(source, Path):
            read_notebook(source)
        else:
            reads_notebook(source, path=path)
    assert info.value.path == str(source if isinstance(source, Path) else path)
    assert str(info.value).startswith(info.value.path + ": ")
    return info.value.problem


# ---------------------------------------------------------------- clean reads


def test_source_as_list_or_string_reads_the_same(no_warnings):
    text = notebook_json(
        [markdown(["# Title\n", "Intro"], id="a"), code("x = 1\ny = 2", id="b")], metadata={}
    )
    notebook = reads_notebook(text, path="nb.ipynb")
    assert notebook.path == "nb.ipynb"
    assert [c.source for c in notebook.cells] == ["# Title\nIntro", "x = 1\ny = 2"]
    assert [c.cell_type for c in notebook.cells] == ["markdown", "code"]
    assert [c.index for c in notebook.cells] == [0, 1]
    assert [c.cell_id for c in notebook.cells] == ["a", "b"]
    assert notebook.nbformat == 4


def test_missing_metadata_and_missing_ids_are_fine(no_warnings):
    cells = [
        {"cell_type": "code", "source": "import pandas", "outputs": [], "execution_count": 3},
        {"cell_type": "markdown", "source": "text"},
    ]
    notebook = reads_notebook(notebook_json(cells))
    assert [c.cell_id for c in notebook.cells] == [None, None]
    assert notebook.cells[0].execution_count == 3
    assert notebook.metadata == {}
    assert notebook.language == "python"


def test_bytes_with_utf8_bom_and_non_ascii_text_read(no_warnings):
    text = notebook_json([markdown("Prix du café ☕", id="a")], metadata={})
    notebook = reads_notebook(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert notebook.cells[0].source == "Prix du café ☕"


@pytest.mark.parametrize(
    "metadata, language",
    [
        ({"kernelspec": {"name": "ir", "language": "R", "display_name": "R"}}, "r"),
        ({"language_info": {"name": "julia"}}, "julia"),
        (
            {
                "kernelspec": {"name": "python3", "display_name": "Py"},
                "language_info": {"name": "python"},
            },
            "python",
        ),
        ({"kernelspec": "python3"}, "python"),
        ({}, "python"),
    ],
)
def test_language_comes_from_kernelspec_then_language_info(metadata, language):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MemAlignWarning)  # a string kernelspec is off-schema
        notebook = reads_notebook(notebook_json([code("1", id="a")], metadata=metadata))
    assert notebook.language == language


def test_outputs_are_summarised_and_sized(no_warnings):
    outputs = [{"output_type": "stream", "name": "stdout", "text": ["(891, 12)\n"]}]
    notebook = reads_notebook(notebook_json([code("df.shape", outputs, id="a")], metadata={}))
    assert notebook.cells[0].output_text == "(891, 12)"
    assert notebook.cells[0].output_bytes > len("(891, 12)")


def test_nothing_in_the_notebook_is_executed(tmp_path, no_warnings):
    marker = tmp_path / "executed"
    source = f"open({str(marker)!r}, 'w').write('ran')"
    notebook = reads_notebook(notebook_json([code(source, id="a")], metadata={}))
    assert notebook.cells[0].source == source
    assert not marker.exists()


# ---------------------------------------------------------------- nbformat 3


def test_nbformat3_notebook_is_upgraded(no_warnings):
    notebook = read_notebook(BAD / "v3_worksheets.ipynb")
    assert notebook.nbformat == 3
    assert notebook.language == "python"
    types = [c.cell_type for c in notebook.cells]
    assert types == ["markdown", "markdown", "code", "code", "code"]  # heading -> markdown
    assert notebook.cells[0].source == "# Titanic survival"
    assert notebook.cells[2].source.startswith("import pandas as pd\n")
    assert notebook.cells[2].execution_count == 1
    assert notebook.cells[2].output_text == "(891, 12)"
    assert "[image/png output, " in notebook.cells[3].output_text
    assert "0.383838383838" in notebook.cells[3].output_text
    error_text = notebook.cells[4].output_text
    assert error_text.endswith("NameError: name 'model' is not defined")
    assert "\x1b" not in error_text
    # ids invented by the upgrade are not the file's: none are reported
    assert all(c.cell_id is None for c in notebook.cells)


def test_nbformat3_without_cells_has_no_cells():
    text = json.dumps(
        {
            "nbformat": 3,
            "nbformat_minor": 0,
            "metadata": {},
            "worksheets": [{"cells": [], "metadata": {}}],
        }
    )
    assert problem_of(text) == "notebook has no cells"


# ---------------------------------------------------------------- bad files


def test_truncated_json_names_line_and_column():
    path = BAD / "truncated.ipynb"
    with pytest.raises(json.JSONDecodeError) as expected:
        json.loads(path.read_text())
    problem = problem_of(path)
    assert f"line {expected.value.lineno}, column {expected.value.colno}" in problem
    assert problem.startswith("not valid JSON")
    assert "truncated" in problem


def test_invalid_json_mid_file_is_not_called_truncated():
    text = '{\n "cells": [],\n "nbformat": 4,,\n "metadata": {}\n}'
    problem = problem_of(text)
    assert "line 3, column 16" in problem
    assert "truncated" not in problem


@pytest.mark.parametrize(
    "text, problem", [("", "file is empty"), (" \n\t", "file holds only whitespace")]
)
def test_empty_text(text, problem):
    assert problem_of(text) == problem


def test_empty_file():
    assert problem_of(BAD / "empty.ipynb") == "file is empty"


def test_notebook_without_cells():
    assert problem_of(BAD / "no_cells.ipynb") == "notebook has no cells"


def test_json_that_is_not_a_notebook():
    problem = problem_of(BAD / "not_a_notebook.ipynb")
    assert problem.startswith("not a notebook")
    assert "'nbformat'" in problem


@pytest.mark.parametrize(
    "doc, words",
    [
        ([1, 2], "the JSON is a list"),
        ("just a string", "the JSON is a string"),
        ({"cells": [markdown("x")]}, "no 'nbformat' field"),
        ({"nbformat": 4, "metadata": {}}, "needs a 'cells' list"),
        ({"nbformat": 4, "cells": {"0": {}}}, "needs a 'cells' list"),
        ({"nbformat": 3, "cells": []}, "needs a 'worksheets' list"),
        ({"nbformat": "4", "cells": []}, "'nbformat' is '4'"),
        ({"nbformat": True, "cells": []}, "'nbformat' is True"),
    ],
)
def test_not_a_notebook(doc, words):
    problem = problem_of(json.dumps(doc))
    assert problem.startswith("not a notebook")
    assert words in problem


@pytest.mark.parametrize("version", [2, 5])
def test_unsupported_version(version):
    problem = problem_of(json.dumps({"nbformat": version, "cells": [], "worksheets": []}))
    assert problem == f"nbformat {version} is not supported (readable: 3, 4)"


def test_non_utf8_file_names_the_byte_offset():
    path = BAD / "non_utf8.ipynb"
    data = path.read_bytes()
    offset = data.index(b"\xe9")
    line = data[:offset].count(b"\n") + 1
    problem = problem_of(path)
    assert problem.startswith("not UTF-8 text")
    assert f"byte 0xe9 at byte offset {offset} (line {line})" in problem


def test_utf16_is_named():
    text = notebook_json([code("x", id="a")], metadata={})
    assert "UTF-16" in problem_of(text.encode("utf-16"))


def test_missing_file_and_folder():
    assert problem_of(BAD / "no-such.ipynb") == "file does not exist"
    assert problem_of(BAD).startswith("is a folder")


def test_deeply_nested_json_is_an_error_not_a_crash():
    assert "nested too deeply" in problem_of("[" * 200_000 + "]" * 200_000)


@pytest.mark.parametrize("depth", [450, 600, 999])
def test_json_nested_500_to_999_deep_is_this_notebooks_error(depth):
    text = make_fixtures.deep_nesting(depth).decode()
    problem = problem_of(text)
    assert "JSON nesting" in problem or "nested too deeply" in problem


def test_deep_nesting_fixture_is_a_notebook_error_not_a_recursion_error():
    assert "JSON nesting" in problem_of(BAD / "deep_nesting.ipynb")


def test_deep_nesting_within_a_raised_limit_still_fails_as_a_notebook_error():
    text = make_fixtures.deep_nesting(900).decode()
    with pytest.raises(NotebookError, match="nested too deeply"):
        reads_notebook(text, limits=NotebookLimits(max_depth=10_000))


@pytest.mark.parametrize(
    ("name", "kind"),
    [("cell_type_7.ipynb", "a number"), ("cell_type_null.ipynb", "null"),
     ("cell_type_list.ipynb", "a list")],
)
def test_a_cell_type_that_is_not_text_is_read_as_raw(name, kind):
    with pytest.warns(MemAlignWarning, match=f"cell 1 has cell_type {kind}"):
        notebook = read_notebook(BAD / name)
    assert [(c.cell_type, c.source) for c in notebook.cells] == [("code", "x = 1"),
                                                                  ("raw", "y = 2")]
    assert notebook.schema_problems[0] == f"cell 1 has cell_type {kind}; read as a raw cell"


@pytest.mark.parametrize(
    "doc",
    [
        {"nbformat": 4, "nbformat_minor": "x", "metadata": {}, "cells": [{"cell_type": "code",
                                                                        "source": "x"}]},
        {"nbformat": 3, "metadata": {}, "worksheets": [{"cells": [{"cell_type": 7}]}]},
        {"nbformat": 4, "nbformat_minor": 5, "metadata": {},
         "cells": [{"cell_type": "code", "source": "x", "metadata": {}, "outputs": [7]}]},
        {"nbformat": 4, "nbformat_minor": 5, "metadata": {},
         "cells": [{"cell_type": "markdown", "source": "x", "metadata": {}, "attachments": 7}]},
        {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"cell_type": "code",
         "source": "x", "metadata": {}, "outputs": [{"output_type": "display_data",
                                                     "data": [1]}]}]},
    ],
)
def test_any_failure_to_read_is_a_notebook_error_or_a_read(doc):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MemAlignWarning)
        try:
            notebook = reads_notebook(json.dumps(doc), path="odd.ipynb")
        except NotebookError as error:
            assert error.path == "odd.ipynb"
        else:
            assert notebook.cells


def test_a_fifo_named_directly_is_refused_without_hanging(tmp_path):
    fifo = tmp_path / "pipe.ipynb"
    os.mkfifo(fifo)
    assert problem_of(fifo) == "is a FIFO (named pipe), not a notebook file; not read"


def test_links_that_lead_nowhere_are_named(tmp_path):
    (tmp_path / "a.ipynb").symlink_to("b.ipynb")
    (tmp_path / "b.ipynb").symlink_to("a.ipynb")
    (tmp_path / "gone.ipynb").symlink_to("missing.ipynb")
    assert problem_of(tmp_path / "a.ipynb") == "is a symbolic link loop"
    assert problem_of(tmp_path / "gone.ipynb").startswith("is a dangling symbolic link")


# ---------------------------------------------------------------- limits


def test_a_cell_of_100k_lines_is_refused_by_the_line_limit_before_nbformat_reads_it():
    with pytest.raises(NotebookLimitError) as info:
        reads_notebook(make_fixtures.big_cell(), path="big.ipynb")
    error = info.value
    assert (error.path, error.limit, error.maximum) == ("big.ipynb", "max_lines", 10_000)
    assert error.value > 10_000
    assert "--max-lines" in str(error)


def test_a_notebook_of_10k_cells_is_refused_by_the_cell_limit():
    with pytest.raises(NotebookLimitError) as info:
        reads_notebook(make_fixtures.many_cells())
    assert (info.value.limit, info.value.value, info.value.maximum) == ("max_cells", 10_000,
                                                                        2_000)


def test_limits_are_configurable(tmp_path):
    notebook = reads_notebook(make_fixtures.many_cells(3_000),
                              limits=NotebookLimits(max_cells=5_000))
    assert len(notebook.cells) == 3_000
    path = tmp_path / "nb.ipynb"
    path.write_bytes(make_fixtures.many_cells(10))
    with pytest.raises(NotebookLimitError, match="max_bytes"):
        read_notebook(path, limits=NotebookLimits(max_bytes=100))
    with pytest.raises(ValueError, match="max_cells"):
        NotebookLimits(max_cells=0)


def test_validation_of_a_large_notebook_without_ids_stays_linear():
    """A 4.5 notebook without cell ids once sent every cell through jsonschema (3 ms each)."""
    text = make_fixtures.many_cells(2_000).decode()
    text = json.dumps({**json.loads(text), "cells": [
        {k: v for k, v in cell.items() if k != "id"} for cell in json.loads(text)["cells"]]})
    from nbformat import validator

    calls = []
    original = validator.iter_validate

    def counting(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(validator, "iter_validate", counting)
        notebook = reads_notebook(text)
    assert len(notebook.cells) == 2_000 and not notebook.schema_problems
    assert calls == []  # the fast validator found nothing, so jsonschema never ran


def test_schema_problems_are_located_cell_by_cell_and_capped():
    cells = [markdown(f"c{i}", id=f"c{i}", execution_count=i) for i in range(500)]
    with pytest.warns(MemAlignWarning):
        notebook = reads_notebook(notebook_json(cells, metadata={}))
    assert len(notebook.schema_problems) == MAX_PROBLEMS
    assert notebook.schema_problems[3].startswith("cell 3: ")


def test_malformed_cell_source_is_an_error():
    problem = problem_of(notebook_json([code([1, 2], id="a")], metadata={}))
    assert problem.startswith("malformed nbformat 4 notebook")


def test_text_of_the_wrong_type_is_a_type_error():
    with pytest.raises(TypeError, match="str or bytes"):
        reads_notebook(123)


# ---------------------------------------------------------------- schema warnings


def test_schema_problems_warn_and_reading_goes_on():
    cells = [markdown("# Intro", id="a", execution_count=4), code("x = 1", id="b")]
    with pytest.warns(MemAlignWarning) as record:
        notebook = reads_notebook(notebook_json(cells, metadata={}), path="odd.ipynb")
    assert len(record) == 1
    message = str(record[0].message)
    assert message.startswith("odd.ipynb: read despite nbformat schema problems")
    assert "cell 0" in message and "execution_count" in message
    assert [c.source for c in notebook.cells] == ["# Intro", "x = 1"]


def test_many_schema_problems_are_summarised_in_one_warning():
    cells = [markdown(f"cell {i}", id=f"c{i}", execution_count=i) for i in range(12)]
    with pytest.warns(MemAlignWarning) as record:
        reads_notebook(notebook_json(cells, metadata={}))
    assert len(record) == 1
    assert "and 9 more" in str(record[0].message)


def test_missing_ids_do_not_hide_real_problems():
    cells = [code(f"x{i} = {i}") for i in range(30)] + [markdown("end", execution_count=1)]
    with pytest.warns(MemAlignWarning) as record:
        notebook = reads_notebook(notebook_json(cells, metadata={}))
    assert len(record) == 1
    message = str(record[0].message)
    assert "cell 30" in message and "execution_count" in message
    assert "'id'" not in message
    assert all(cell.cell_id is None for cell in notebook.cells)


def test_cell_that_is_not_an_object_keeps_its_place():
    text = notebook_json([code("a = 1", id="a"), "oops", markdown("end", id="c")], metadata={})
    with pytest.warns(MemAlignWarning, match="cell 1 is a string"):
        notebook = reads_notebook(text)
    assert [(c.index, c.cell_type, c.source) for c in notebook.cells] == [
        (0, "code", "a = 1"),
        (1, "raw", ""),
        (2, "markdown", "end"),
    ]


def test_unknown_cell_type_is_read_as_raw():
    with pytest.warns(MemAlignWarning):
        notebook = reads_notebook(
            notebook_json(
                [{"cell_type": "heading", "source": "T", "metadata": {}, "id": "a"}], metadata={}
            )
        )
    assert notebook.cells[0].cell_type == "raw"
    assert notebook.cells[0].source == "T"


def test_metadata_of_the_wrong_type_is_ignored_with_a_warning():
    with pytest.warns(MemAlignWarning, match="notebook metadata is null"):
        notebook = reads_notebook(
            json.dumps(
                {"nbformat": 4, "nbformat_minor": 5, "metadata": None, "cells": [code("1", id="a")]}
            )
        )
    assert notebook.metadata == {}


# ---------------------------------------------------------------- outputs


def test_images_become_placeholders(no_warnings):
    notebook = read_notebook(BAD / "images.ipynb")
    texts = {c.cell_id: c.output_text for c in notebook.cells}
    assert texts["plot"].startswith("[image/png output, ")
    assert texts["plot"].endswith("<Figure size 640x480 with 1 Axes>")
    assert texts["svg"].startswith("[image/svg+xml output, ")
    assert texts["html"] == "[text/html output, 3 KB]"
    assert texts["widget"].startswith("[widget output, ")
    assert texts["frame"] == "    Age\n0  22.0\n1  38.0"
    png = json.loads((BAD / "images.ipynb").read_text())["cells"][0]["outputs"][0]
    payload = png["data"]["image/png"]
    assert payload[:40] not in texts["plot"]
    assert notebook.cells[0].output_bytes > len(payload)


def test_one_megabyte_output_is_trimmed(tmp_path, no_warnings):
    log = "".join(f"step {i:06d} loss {1 / (i + 1):.6f}\n" for i in range(40_000))
    assert len(log) > 1_000_000
    notebook = v4.new_notebook(
        cells=[
            v4.new_code_cell(
                "model.fit(X, y)", outputs=[v4.new_output("stream", name="stdout", text=log)]
            )
        ]
    )
    path = tmp_path / "big.ipynb"
    nbformat.write(notebook, path)
    assert path.stat().st_size > 1_000_000

    cell = read_notebook(path).cells[0]
    assert len(cell.output_text) <= 1500
    assert cell.output_text.startswith("step 000000 loss 1.000000")
    assert cell.output_text.endswith("step 039999 loss 0.000025")
    assert "characters of output cut" in cell.output_text
    assert cell.output_bytes > 1_000_000

    small = read_notebook(path, max_output_chars=200).cells[0]
    assert len(small.output_text) <= 200


def test_ten_megabyte_notebook_of_plots_never_reaches_a_prompt_whole(tmp_path):
    rng = random.Random(0)
    plot = make_fixtures.png_base64(8, 8)
    cells = []
    for i in range(40):
        payload = plot + rng.randbytes(190_000).hex()[:250_000]  # ~250 KB per figure
        output = v4.new_output(
            "display_data",
            data={"image/png": payload, "text/plain": "<Figure size 640x480 with 1 Axes>"},
        )
        cells.append(v4.new_code_cell(f"plt.plot(x{i}); plt.show()", outputs=[output]))
    path = tmp_path / "plots.ipynb"
    nbformat.write(v4.new_notebook(cells=cells), path)
    size = path.stat().st_size
    assert size > 10_000_000

    start = time.perf_counter()
    notebook = read_notebook(path)
    elapsed = time.perf_counter() - start
    shown = sum(len(c.output_text) for c in notebook.cells)
    assert all(c.output_text.startswith("[image/png output, 24") for c in notebook.cells)
    assert shown < 4_000  # 40 placeholders, not 10 MB
    assert sum(c.output_bytes for c in notebook.cells) > 0.99 * size
    assert elapsed < 10, f"reading a {size / 1e6:.0f} MB notebook took {elapsed:.1f} s"


# ---------------------------------------------------------------- fixtures


@pytest.mark.parametrize("name", sorted(make_fixtures.FIXTURES))
def test_generated_fixtures_are_up_to_date(name):
    assert (BAD / name).read_bytes() == make_fixtures.FIXTURES[name](), (
        f"run python {BAD / 'make_fixtures.py'}"
    )

"""Tests for memalign_nb.sections.source: magics set aside, cached parsing, installs."""

from __future__ import annotations

import pytest

from memalign_nb.sections.source import parse_source, read_install


def test_magics_and_shell_lines_are_set_aside_keeping_line_numbers():
    source = ("%matplotlib inline\n!pip install xgboost\nfiles = !ls data\n"
              "for f in files:\n    !echo {f}\ndf?\nx = 1")
    parsed = parse_source(source)
    assert parsed.error is None
    assert parsed.shell == ((1, "%matplotlib inline"), (2, "!pip install xgboost"),
                            (3, "!ls data"), (5, "!echo {f}"))
    assign = parsed.tree.body[-1]
    assert assign.lineno == 7  # the Python keeps its own line numbers


def test_cell_magics():
    timed = parse_source("%%time\nmodel.fit(X, y)")
    assert timed.tree is not None and timed.error is None
    bash = parse_source("%%bash\npip install lightgbm==4.3.0\nls")
    assert bash.tree is None and bash.error == "not Python: %%bash cell"
    assert bash.shell == ((2, "pip install lightgbm==4.3.0"), (3, "ls"))
    assert parse_source("%%html\n<b>x</b>").error == "not Python: %%html cell"


def test_exported_get_ipython_calls_are_shell_commands():
    parsed = parse_source("get_ipython().system('pip install catboost')\n"
                          "get_ipython().run_line_magic('pip', 'install shap')")
    assert [command for _, command in parsed.shell] == ["!pip install catboost",
                                                         "%pip install shap"]


def test_python_2_does_not_parse_and_says_why():
    parsed = parse_source("print 'hello'")
    assert parsed.tree is None and parsed.error.startswith("SyntaxError at line 1:")


def test_parses_are_cached_by_source():
    assert parse_source("a = 1\nb = 2") is parse_source("a = 1\nb = 2")


@pytest.mark.parametrize(("command", "packages", "unpinned", "magic", "pinned"), [
    ("!pip install -q xgboost==2.0.3 pandas", ("xgboost==2.0.3", "pandas"), ("pandas",),
     "!", False),
    ("%pip install 'scikit-learn>=1.3,<2'", ("scikit-learn>=1.3,<2",), (), "%", False),
    ("%pip install shap==0.45.0 numpy==1.26.4", ("shap==0.45.0", "numpy==1.26.4"), (), "%",
     True),
    ("!{sys.executable} -m pip install --upgrade lightgbm", ("lightgbm",), ("lightgbm",),
     "!", False),
    ("%conda install -c conda-forge -y prophet=1.1.5", ("prophet=1.1.5",), (), "%", True),
])
def test_read_install(command, packages, unpinned, magic, pinned):
    install = read_install(command, 3, 1)
    assert install.packages == packages and install.unpinned == unpinned
    assert install.magic == magic and install.pinned is pinned and install.cell == 3


def test_requirement_files_and_non_installs():
    install = read_install("!pip install -r requirements.txt", 0, 1)
    assert install.requirement_files == ("requirements.txt",) and install.packages == ()
    assert read_install("!ls -la", 0, 1) is None
    assert read_install("!apt-get install -y graphviz", 0, 1) is None
    assert read_install("!pip install --upgrade pip && pip install x", 0, 1).packages == ("pip",)


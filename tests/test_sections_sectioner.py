"""Tests for memalign_nb.sections.sectioner: which cells a section shows, and the budget."""

from __future__ import annotations

import warnings

import pytest

from memalign_nb.dimensions import DIMENSIONS
from memalign_nb.errors import MemAlignWarning, UnknownNameError
from memalign_nb.notebooks.model import Cell, Notebook
from memalign_nb.rubrics.model import Rubric
from memalign_nb.sections import build_section, build_sections, count_tokens, extract_facts

CELLS = [
    ("markdown", "# Titanic\nPredict who survived."),
    ("code", "import pandas as pd\nfrom sklearn.model_selection import train_test_split\n"
             "from sklearn.impute import SimpleImputer\n"
             "from sklearn.linear_model import LogisticRegression\n"
             "from sklearn.metrics import f1_score"),
    ("markdown", "## Missing values\nAge has gaps."),
    ("code", "df = pd.read_csv('titanic.csv')\ndf.isnull().sum()"),
    ("code", "X = df.drop(columns=['Survived'])\ny = df['Survived']"),
    ("markdown", "## Split"),
    ("code", "X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)"),
    ("markdown", "## Imputation"),
    ("code", "imp = SimpleImputer(strategy='median')\nX_train = imp.fit_transform(X_train)\n"
             "X_test = imp.transform(X_test)"),
    ("markdown", "## Model"),
    ("code", "model = LogisticRegression()\nmodel.fit(X_train, y_train)"),
    ("code", "pred = model.predict(X_test)\nprint(f1_score(y_test, pred))"),
]


def notebook(cells=CELLS, outputs: dict[int, str] | None = None) -> Notebook:
    outputs = outputs or {}
    return Notebook("titanic.ipynb", tuple(
        Cell(i, kind, source, execution_count=i if kind == "code" else None,
             output_text=outputs.get(i, ""))
        for i, (kind, source) in enumerate(cells)))


@pytest.fixture(scope="module")
def sections():
    return build_sections(notebook(outputs={3: "Age    177\nCabin  687"}))


def test_one_section_per_dimension_with_consistent_fields(sections):
    assert list(sections) == list(DIMENSIONS)
    facts = extract_facts(notebook())
    for dimension, section in sections.items():
        assert section.dimension == dimension and section.notebook_path == "titanic.ipynb"
        assert section.tokens == count_tokens(section.text)
        assert section.facts == facts.for_dimension(dimension)
        assert list(section.cell_indices) == sorted(section.cell_indices)
    assert sections["mlflow_logging"].is_empty
    assert "no cell of titanic.ipynb bears on it" in sections["mlflow_logging"].text


def test_data_imputation_shows_the_split_as_context(sections):
    section = sections["data_imputation"]
    assert {3, 6, 8} <= set(section.cell_indices)
    assert "# [cell 6] code (context: train/test split)" in section.text
    assert "# [cell 8] code\n" in section.text
    assert "# [cell 3] output\nAge    177" in section.text
    assert section.facts["imputer_fit_on_train"] and section.facts["split_cells"] == [6]


def test_nearest_header_of_a_shown_cell_is_shown(sections):
    section = sections["data_imputation"]
    assert "# [cell 7] markdown\n## Imputation" in section.text
    assert "# [cell 2] markdown\n## Missing values" in section.text
    assert "Age has gaps." not in section.text  # header lines only
    assert "## Model" not in section.text


def test_model_use_shows_the_fit_of_the_model_that_predicts(sections):
    section = sections["model_use"]
    assert 11 in section.cell_indices and 10 in section.cell_indices
    assert "# [cell 10] code (context: fit of the model that predicts)" in section.text
    assert section.facts["model_reused_for_predictions"]


def test_metrics_and_training_show_the_split(sections):
    for dimension in ("metrics_evaluation", "model_training"):
        assert 6 in sections[dimension].cell_indices, dimension
    assert sections["metrics_evaluation"].facts["heldout_metrics"] == 1


def test_pipeline_fit_cell_is_context_for_imputation():
    cells = [
        ("code", "from sklearn.pipeline import make_pipeline\n"
                 "from sklearn.impute import SimpleImputer\n"
                 "from sklearn.ensemble import RandomForestClassifier"),
        ("code", "df = pd.read_csv('d.csv')\ndf['age'] = df['age'].fillna(-1)"),
        ("code", "X_train, X_test, y_train, y_test = train_test_split(X, y)"),
        ("code", "pipe = make_pipeline(SimpleImputer(), RandomForestClassifier())"),
        ("code", "pipe.fit(X_train, y_train)"),
    ]
    section = build_section(notebook(cells), "data_imputation")
    assert 4 in section.cell_indices
    assert section.facts["imputer_in_pipeline"] and not section.facts["imputation_leakage"]


def test_exploration_leaves_out_work_cells_that_only_print(sections):
    section = sections["exploratory_data_analysis"]
    assert 3 in section.cell_indices  # df.isnull().sum() inspects data
    assert 11 not in section.cell_indices  # predicts and prints a score


def test_cell_organization_is_the_outline_not_the_code(sections):
    section = sections["cell_organization"]
    assert section.cell_indices == tuple(range(len(CELLS)))
    assert "train_test_split" not in section.text and "SimpleImputer" not in section.text
    assert "[7] markdown  ## Imputation" in section.text
    assert "# Execution: in order" in section.text
    assert section.facts["markdown_cells"] == 5 and section.facts["execution_order"] == "in_order"


def test_budget_trims_outputs_before_code_and_says_so():
    big = "\n".join(f"row {i}: " + "value " * 12 for i in range(14))
    nb = notebook(outputs={3: big, 11: big})
    full = build_section(nb, "data_imputation")
    assert not full.trimmed
    budget = full.tokens - 50
    section = build_section(nb, "data_imputation", token_budget=budget)
    assert section.tokens <= budget
    assert section.trimmed == ("outputs of cells 3 removed",)
    assert "# Trimmed to fit" in section.text and "outputs of cells 3 removed" in section.text
    assert "imp = SimpleImputer(strategy='median')" in section.text  # code intact
    assert "# [cell 3] output" not in section.text


def test_budget_cuts_long_code_to_head_and_tail_after_outputs():
    long_cell = "\n".join(f"df['f{i}'] = df['a'] * {i}" for i in range(120))
    cells = [("code", "import pandas as pd\ndf = pd.read_csv('d.csv')"),
             ("code", long_cell), ("code", "df['g'] = df['a'] + 1")]
    nb = notebook(cells, outputs={1: "done\n" * 5})
    section = build_section(nb, "feature_engineering", token_budget=600)
    assert section.tokens <= 600
    assert section.trimmed[0] == "outputs of cells 1 removed"
    assert section.trimmed[1].startswith("cells 1 cut to their first")
    assert "df['f0'] = df['a'] * 0" in section.text and "df['f119']" in section.text
    assert "df['f60']" not in section.text and "lines cut ..." in section.text


def test_budget_omits_cells_last_when_nothing_else_is_left():
    cells = [("code", "import pandas as pd")] + [
        ("code", f"df{i} = pd.read_csv('part{i}.csv')\ndf{i}['total'] = df{i}['a'] + df{i}['b']")
        for i in range(40)]
    section = build_section(notebook(cells), "feature_engineering", token_budget=300)
    assert section.tokens <= 300
    assert section.trimmed[-1].startswith("cells ") and section.trimmed[-1].endswith("omitted")
    shown = set(section.cell_indices)
    assert 1 in shown and 40 not in shown  # the end goes first


def test_unknown_dimension_and_bad_budget_raise():
    with pytest.raises(UnknownNameError, match="unknown dimension 'fairness'"):
        build_section(notebook(), "fairness")
    with pytest.raises(ValueError, match="token_budget"):
        build_sections(notebook(), token_budget=0)


def _rubric(dimension: str, cells_from: tuple[str, ...]) -> Rubric:
    return Rubric(dimension, dimension.title(), "custom", ((3, "good"), (1, "bad")),
                  cells_from=cells_from)


def test_custom_dimension_takes_the_cells_of_its_sources(sections):
    rubric = _rubric("leakage", ("data_imputation", "feature_engineering"))
    section = build_section(notebook(), "leakage", rubric=rubric)
    expected = set(sections["data_imputation"].cell_indices) | set(
        sections["feature_engineering"].cell_indices)
    assert set(section.cell_indices) == expected
    assert "imputation_leakage" in section.facts and "feature_leakage" in section.facts
    via_mapping = build_section(notebook(), "leakage", rubrics={"leakage": rubric})
    assert via_mapping == section


def test_custom_dimension_with_every_cell_and_in_build_sections():
    rubric = _rubric("narrative", ("*",))
    result = build_sections(notebook(), rubrics={"narrative": rubric})
    assert list(result) == [*DIMENSIONS, "narrative"]
    section = result["narrative"]
    assert section.cell_indices == tuple(range(len(CELLS)))
    assert "Predict who survived." in section.text  # markdown shown whole
    with pytest.raises(UnknownNameError, match="cells_from"):
        build_section(notebook(), "odd", rubric=_rubric("odd", ("no_such_dimension",)))


def test_every_real_notebook_sections_within_budget(real_notebook_paths):
    from memalign_nb.notebooks.reader import read_notebook

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MemAlignWarning)
        notebooks = [read_notebook(path) for path in real_notebook_paths]
    shown_cells = 0
    for nb in notebooks:
        sections = build_sections(nb, token_budget=2000)
        for dimension, section in sections.items():
            assert section.tokens <= 2000 or len(section.cell_indices) == 1, (
                nb.path, dimension, section.tokens)
            assert all(0 <= i < len(nb.cells) for i in section.cell_indices)
            shown_cells += len(section.cell_indices)
    assert shown_cells > 60 * 9


def _training_notebook(n_cells: int) -> Notebook:
    """``n_cells`` cells that each train a model and print its score, between notes."""
    cells = [("code", "X_train, X_test, y_train, y_test = train_test_split(X, y)")]
    for i in range(n_cells):
        cells += [("code", f"model_{i} = LogisticRegression(C={i})\n"
                           f"model_{i}.fit(X_train, y_train)\n"
                           f"print(model_{i}.score(X_test, y_test))"),
                  ("markdown", f"Model {i} done.")]
    return notebook(cells, outputs={i: f"0.{i:04d}\n" * 20 for i in range(1, 2 * n_cells, 2)})


@pytest.mark.parametrize("n_cells", [300, 1500])
def test_a_section_of_many_cells_keeps_to_its_budget(n_cells):
    section = build_section(_training_notebook(n_cells), "model_training", token_budget=2500)
    assert section.tokens <= 2500
    trim_line = next(line for line in section.text.splitlines() if line.startswith("# Trimmed"))
    assert len(trim_line) < 600  # a trim note lists a few runs, then a count
    assert f"({n_cells - 1:,} cells)" in trim_line or f"({n_cells:,} cells)" in trim_line


def test_trimming_work_grows_linearly_with_the_cells(monkeypatch):
    """Counted in characters tokenized, not seconds: the trim notes were once re-counted
    whole (and the cell list re-sorted) for every cell removed, which is quadratic."""
    import memalign_nb.sections.sectioner as sectioner

    def tokenized_chars(n_cells: int) -> int:
        seen = []
        original = sectioner.count_tokens

        def counting(text: str) -> int:
            seen.append(len(text))
            return original(text)

        monkeypatch.setattr(sectioner, "count_tokens", counting)
        monkeypatch.setattr(sectioner, "_tokens", counting)
        build_section(_training_notebook(n_cells), "model_training")
        monkeypatch.undo()
        return sum(seen)

    small, large = tokenized_chars(400), tokenized_chars(1600)
    assert large < 6 * small  # 4x the cells: about 4x the work, never 16x

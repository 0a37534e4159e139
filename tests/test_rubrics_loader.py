"""Tests for memalign_nb.rubrics.loader: the built-in rubric files and user overrides."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from memalign_nb.dimensions import DIMENSIONS
from memalign_nb.errors import MemAlignError, RubricError
from memalign_nb.rubrics import builtin_rubric_dir, load_rubric, load_rubrics, parse_rubric

VALID = """\
dimension: {dimension}
title: {title}
description: What it grades.
levels:
  3: good
  2: fair
  1: bad
{extra}"""


def write_rubric(
    folder: Path, name: str, dimension: str, extra: str = "", title: str = "T"
) -> Path:
    path = folder / name
    path.write_text(VALID.format(dimension=dimension, title=title, extra=extra), encoding="utf-8")
    return path


def test_builtin_rubrics_cover_every_dimension_in_order():
    rubrics = load_rubrics()
    assert tuple(rubrics) == DIMENSIONS
    for dimension, rubric in rubrics.items():
        assert rubric.dimension == dimension
        assert [score for score, _ in rubric.levels] == [3, 2, 1]
        assert all(len(text) > 80 for _, text in rubric.levels), dimension
        assert rubric.title and len(rubric.description) > 80
        assert rubric.cells_from == ()


def test_builtin_folder_holds_exactly_the_nine_files():
    names = sorted(p.stem for p in builtin_rubric_dir().glob("*.yaml"))
    assert names == sorted(DIMENSIONS)


@pytest.mark.parametrize(
    ("dimension", "level", "phrases"),
    [
        ("library_installation", 1, ["sklearn.preprocessing.Imputer", "removed"]),
        ("data_imputation", 1, ["before train_test_split", "fit_transform(X_test)"]),
        ("feature_engineering", 1, ["StandardScaler", "before the split"]),
        ("model_training", 1, ["test set", "time series"]),
        ("model_use", 1, ["refitting", "fit_transform(X_new)"]),
        ("metrics_evaluation", 1, ["accuracy alone", "imbalanced"]),
        ("mlflow_logging", 2, ["metrics without the model"]),
    ],
)
def test_builtin_rubrics_name_the_faults_lenient_judges_miss(dimension, level, phrases):
    text = load_rubrics()[dimension].criteria(level)
    for phrase in phrases:
        assert phrase in text, (dimension, phrase)


def test_not_applicable_only_where_a_dimension_can_be_absent():
    rubrics = load_rubrics()
    assert "no missing values" in rubrics["data_imputation"].not_applicable
    assert "no predictions" in rubrics["model_use"].not_applicable
    for always in ("exploratory_data_analysis", "model_training", "cell_organization"):
        assert rubrics[always].not_applicable == ""


def test_render_includes_levels_and_not_applicable():
    text = load_rubrics()["data_imputation"].render()
    assert text.index("3 = ") < text.index("2 = ") < text.index("1 = ") < text.index("0 = ")


def test_user_file_overrides_builtin_and_keeps_order(tmp_path):
    write_rubric(tmp_path, "mine.yaml", "model_use", title="Our model use")
    rubrics = load_rubrics([tmp_path / "mine.yaml"])
    assert tuple(rubrics) == DIMENSIONS
    assert rubrics["model_use"].title == "Our model use"
    assert rubrics["model_training"].title != "Our model use"


def test_folder_adds_custom_dimensions_after_builtins(tmp_path):
    write_rubric(tmp_path, "b.yaml", "fairness", "cells_from: [model_training, metrics_evaluation]")
    write_rubric(tmp_path, "a.yml", "documentation")
    (tmp_path / "notes.txt").write_text("not a rubric")
    rubrics = load_rubrics(tmp_path)
    assert list(rubrics)[len(DIMENSIONS) :] == ["documentation", "fairness"]
    assert rubrics["fairness"].cells_from == ("model_training", "metrics_evaluation")
    assert rubrics["documentation"].cells_from == ("*",)


def test_without_builtins_only_user_rubrics(tmp_path):
    write_rubric(tmp_path, "x.yaml", "fairness")
    assert list(load_rubrics([tmp_path], include_builtin=False)) == ["fairness"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (VALID.format(dimension="x", title="T", extra="colour: red\n"), "unknown key(s) colour"),
        ("dimension: x\ntitle: T\nlevels: {3: a, 2: b, 1: c}\n", "missing key(s) description"),
        (
            "dimension: x\ntitle: T\ndescription: d\nlevels: {3: a, 2: b}\n",
            "missing level(s) 1",
        ),
        (
            "dimension: x\ntitle: T\ndescription: d\nlevels: {3: a, 2: b, 1: c, 4: d}\n",
            "bad score key 4",
        ),
        (
            "dimension: x\ntitle: T\ndescription: d\nlevels: {3: a, 2: b, 1: c, 0: n}\n",
            "not_applicable",
        ),
        (
            "dimension: x\ntitle: T\ndescription: d\nlevels: {3: a, 2: '', 1: c}\n",
            "levels.2 must be non-empty",
        ),
        (
            VALID.format(dimension="x", title="T", extra="cells_from: [modeling]\n"),
            "cells_from names unknown dimension(s) modeling",
        ),
        (
            VALID.format(dimension="model_use", title="T", extra="cells_from: ['*']\n"),
            "only for custom dimensions",
        ),
        (VALID.format(dimension="Bad Id", title="T", extra=""), "lowercase"),
        ("- just\n- a list\n", "must be a YAML mapping"),
        ("dimension: x\ntitle: a: b\n", "line 2: invalid YAML"),
        (VALID.format(dimension="x", title="42", extra=""), "title must be text"),
    ],
)
def test_invalid_rubric_names_file_and_problem(tmp_path, body, message):
    path = tmp_path / "broken.yaml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(RubricError) as info:
        load_rubrics([path])
    assert info.value.path == str(path)
    assert message in str(info.value)
    assert str(path) in str(info.value)


def test_two_user_files_defining_one_dimension_is_an_error(tmp_path):
    first = write_rubric(tmp_path, "a.yaml", "fairness")
    second = write_rubric(tmp_path, "b.yaml", "fairness")
    with pytest.raises(RubricError, match="already defined") as info:
        load_rubrics([first, second])
    assert info.value.path == str(second)


def test_missing_path_and_empty_folder(tmp_path):
    with pytest.raises(RubricError, match="no such rubric file"):
        load_rubrics([tmp_path / "nope.yaml"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(RubricError, match="no .yaml or .yml"):
        load_rubrics([tmp_path / "empty"])


def test_yaml_is_loaded_safely(tmp_path):
    body = "!!python/object/apply:os.system ['echo pwned']\n"
    with pytest.raises(RubricError, match="invalid YAML"):
        parse_rubric(body, "evil.yaml")


def test_string_score_keys_and_block_text_accepted(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text(
        textwrap.dedent(
            """\
            dimension: fairness
            title: Fairness
            description: >-
              Whether the evaluation checks
              subgroups.
            levels:
              "3": all groups
              "2": some
              "1": none
            not_applicable:
            """
        ),
        encoding="utf-8",
    )
    rubric = load_rubric(path)
    assert rubric.description == "Whether the evaluation checks subgroups."
    assert rubric.criteria(2) == "some"
    assert rubric.not_applicable == ""


def test_rubric_error_is_a_memalign_error():
    assert issubclass(RubricError, MemAlignError)

"""Tests for memalign_nb.sections.sources: what kind of data a notebook reads."""

from __future__ import annotations

import ast

import pytest

from memalign_nb.notebooks.model import Cell, Notebook
from memalign_nb.sections.facts import extract_facts
from memalign_nb.sections.sources import pixel_scaling, source_kind


def _call(code: str) -> ast.Call:
    node = ast.parse(code, mode="eval").body
    assert isinstance(node, ast.Call)
    return node


@pytest.mark.parametrize(("path", "code", "kind"), [
    ("pandas.read_csv", "pd.read_csv('../input/train.csv')", "table"),
    ("pandas.read_excel", "pd.read_excel(path)", "table"),
    ("pandas.read_csv", "pd.read_csv('/kaggle/input/mnist-in-csv/mnist_train.csv')", "library"),
    ("pandas.read_csv", "pd.read_csv('../input/Iris.csv')", "library"),
    ("pandas.read_csv", "pd.read_csv('../input/irises_and_tulips.csv')", "table"),
    ("sklearn.datasets.load_breast_cancer", "load_breast_cancer()", "library"),
    ("sklearn.datasets.make_classification", "make_classification(100)", "library"),
    ("sklearn.datasets.fetch_openml", "fetch_openml('titanic')", None),
    ("tensorflow.keras.datasets.fashion_mnist.load_data", "m.load_data()", "library"),
    ("load_data", "load_data()", None),  # a user's own function
    ("torchvision.datasets.CIFAR10", "CIFAR10('data')", "images"),
    ("cv2.imread", "cv2.imread(path)", "images"),
    ("PIL.Image.open", "Image.open(path)", "images"),
    ("train_gen.flow_from_directory", "g.flow_from_directory('data/train')", "images"),
    ("open", "open('book.txt')", "text"),
    ("codecs.open", "codecs.open(name, 'r', 'utf-8')", "text"),
    ("open", "open('train.csv')", "table"),
    ("open", "open('model.pkl', 'rb')", None),
    ("open", "open('submission.csv', 'w')", None),
])
def test_source_kind(path, code, kind):
    assert source_kind(path, _call(code)) == kind


@pytest.mark.parametrize(("code", "expected"), [
    ("x / 255", True), ("x / 255.0", True), ("x.astype('float32') / 255", True),
    ("x * (1. / 255)", True), ("x / 256", False), ("x * 255", False), ("x - 255", False),
])
def test_pixel_scaling(code, expected):
    node = ast.parse(code, mode="eval").body
    assert isinstance(node, ast.BinOp) and pixel_scaling(node) is expected


def _facts(*sources: str) -> dict:
    cells = tuple(Cell(i, "code", s) for i, s in enumerate(sources))
    return extract_facts(Notebook("hand.ipynb", cells)).for_dimension("data_imputation")


def test_data_sources_and_completeness_facts():
    table = _facts("import pandas as pd\ndf = pd.read_csv('train.csv')")
    assert table["data_sources"] == ["table"] and not table["data_complete_by_construction"]
    digits = _facts("import pandas as pd\ntrain = pd.read_csv('train.csv')\nX = train.values / 255")
    assert digits["data_sources"] == ["images", "table"]
    assert digits["data_complete_by_construction"]  # pixels in a CSV
    mixed = _facts("from sklearn.datasets import load_iris\nimport pandas as pd\n"
                   "iris = load_iris()\nroutes = pd.read_csv('routes.csv')")
    assert mixed["data_sources"] == ["library", "table"]
    assert not mixed["data_complete_by_construction"]
    nothing = _facts("x = 1")
    assert nothing["data_sources"] == [] and not nothing["data_complete_by_construction"]


def test_a_module_bound_to_a_variable_resolves_its_loader():
    facts = _facts("from tensorflow import keras\nfashion = keras.datasets.fashion_mnist\n"
                   "(a, b), (c, d) = fashion.load_data()")
    assert facts["data_sources"] == ["library"]
    rebound = _facts("from tensorflow import keras\nfashion = keras.datasets.fashion_mnist\n"
                     "fashion = object()\n(a, b), (c, d) = fashion.load_data()")
    assert rebound["data_sources"] == []

"""Tests for memalign_nb.sections.deprecations: the table and its matching."""

from __future__ import annotations

import pytest

from memalign_nb.notebooks.model import Cell, Notebook
from memalign_nb.sections.deprecations import (
    DEPRECATED_APIS,
    match_keyword,
    match_module,
)


def test_table_entries_are_well_formed():
    kinds = {"module", "name", "attribute", "frame_method", "keyword", "positional", "class"}
    for entry in DEPRECATED_APIS:
        assert entry.kind in kinds and entry.status in ("removed", "deprecated"), entry
        assert entry.version and entry.replacement and entry.match, entry
    assert len({(e.kind, e.match, e.callee, e.value) for e in DEPRECATED_APIS}) == len(
        DEPRECATED_APIS)


def test_modules_match_themselves_and_what_is_under_them():
    assert match_module("sklearn.cross_validation").api == "sklearn.cross_validation"
    assert match_module("sklearn.cross_validation.KFold").api == "sklearn.cross_validation"
    imputer = match_module("sklearn.preprocessing.Imputer")
    assert imputer.version == "scikit-learn 0.22" and "SimpleImputer" in imputer.replacement
    assert match_module("sklearn.impute.SimpleImputer") is None
    assert match_module("sklearn.preprocessing") is None


def test_keywords_match_their_callee_and_value():
    assert match_keyword("OneHotEncoder", "sparse", False).replacement == "sparse_output="
    assert match_keyword("TfidfVectorizer", "sparse", False) is None
    assert match_keyword("RandomForestRegressor", "criterion", "mse").api == "criterion='mse'"
    assert match_keyword("RandomForestRegressor", "criterion", "squared_error") is None
    assert match_keyword("LinearRegression", "normalize", True) is not None
    assert match_keyword("value_counts", "normalize", True) is None
    assert match_keyword("fit", "early_stopping_rounds", None,
                         also=("model.fit", "LGBMRegressor.fit")).version == "LightGBM 4.0"
    assert match_keyword("fit", "early_stopping_rounds", None,
                         also=("model.fit", "XGBRegressor.fit")) is None
    assert match_keyword("SGDClassifier", "loss", "log").replacement == "loss='log_loss'"
    assert match_keyword("SGDClassifier", "loss", "hinge") is None


def _removed(*sources: str) -> list[str]:
    from memalign_nb.sections.facts import extract_facts

    cells = tuple(Cell(i, "code", s) for i, s in enumerate(sources))
    return [d.api.api for d in extract_facts(Notebook("hand.ipynb", cells)).deprecated]


@pytest.mark.parametrize(("code", "api"), [
    ("import gensim\nm = gensim.models.Word2Vec(sentences, size=100)\nm.wv.vocab\nm.wv.syn0",
     ["Word2Vec(size=)", ".vocab", ".syn0"]),
    ("import lightgbm as lgb\nlgb.train(params, d, early_stopping_rounds=100, verbose_eval=50)",
     ["lightgbm fit/train(early_stopping_rounds=)", "lightgbm fit/train(verbose_eval=)"]),
    ("from lightgbm import LGBMRegressor\nm = LGBMRegressor(verbose=-1)\n"
     "m.fit(X, y, verbose=100, early_stopping_rounds=200)",
     ["lightgbm fit(verbose=)", "lightgbm fit/train(early_stopping_rounds=)"]),
    ("import seaborn as sns\nsns.factorplot('a', 'b', data=df)\n"
     "g = sns.FacetGrid(df, col='c', size=2.2)", ["seaborn.factorplot", "FacetGrid(size=)"]),
    ("import pandas as pd\ndf = pd.read_csv('a.csv')\nX = df.drop('id', 1)\n"
     "Y = pd.concat([X, X], 1)\nZ = df.drop('id', axis=1)",
     ["DataFrame.drop with positional arguments", "pandas.concat with positional arguments"]),
    ("from keras.wrappers.scikit_learn import KerasClassifier\n"
     "from keras.utils.np_utils import to_categorical",
     ["keras.wrappers.scikit_learn", "keras.utils.np_utils"]),
    ("from fastai.tabular import *\ndata = TabularList.from_df(df).databunch()",
     [".databunch", "TabularList"]),
    ("import numpy as np\nx = np.asfarray(values)", ["numpy.asfarray"]),
    ("from sklearn.metrics import ConfusionMatrixDisplay\nConfusionMatrixDisplay(cm, names)\n"
     "ConfusionMatrixDisplay(cm, display_labels=names)",
     ["sklearn.metrics.ConfusionMatrixDisplay with positional arguments"]),
])
def test_removed_apis_found_in_code(code, api):
    assert _removed(code) == api


def test_library_specific_attributes_need_the_library():
    assert _removed("from transformers import AutoTokenizer\n"
                    "tok = AutoTokenizer.from_pretrained('x')\ntok.vocab") == []
    assert _removed("m = SGDClassifier(loss='log_loss')\nsdf.drop('a', 'b')") == []

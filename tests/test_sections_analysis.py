"""Tests for memalign_nb.sections.analysis: the events the scanner records."""

from __future__ import annotations

from memalign_nb.sections.analysis import Scanner
from memalign_nb.sections.source import parse_source


def scan(*cells: str) -> Scanner:
    scanner = Scanner()
    for index, source in enumerate(cells):
        scanner.scan(index, parse_source(source).tree)
    return scanner


def kinds(scanner: Scanner, kind: str) -> list:
    return [e for e in scanner.events if e.kind == kind]


def test_kfold_loop_indices_take_train_and_test_roles():
    scanner = scan(
        "from sklearn.model_selection import StratifiedKFold\n"
        "skf = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)",
        "for fold, (a, b) in enumerate(skf.split(X, y)):\n"
        "    X_tr, X_va = X.iloc[a], X.iloc[b]\n"
        "    model.fit(X_tr, y.iloc[a])\n    p = model.predict(X_va)")
    (cv,) = kinds(scanner, "cv")
    assert cv.name == "StratifiedKFold" and {"shuffled", "stratified", "seeded"} <= cv.flags
    assert scanner.roles["X_tr"] == "train" and scanner.roles["X_va"] == "test"
    assert [e.data for e in kinds(scanner, "predict")] == ["test"]


def test_statsmodels_data_is_given_to_the_constructor():
    scanner = scan("import statsmodels.api as sm",
                   "res = sm.OLS(y_train, X_train).fit()\npred = res.predict(X_test)")
    (fit,) = kinds(scanner, "fit")
    assert fit.name == "OLS" and fit.data == "train" and fit.group == "regressor"
    (predict,) = kinds(scanner, "predict")
    assert predict.refs == (1,) and "fitted_on_train" in predict.flags


def test_search_best_estimator_predicts_with_the_search_fit():
    scanner = scan("gs = GridSearchCV(make_pipeline(StandardScaler(), SVC()), grid, cv=5)",
                   "gs.fit(X_train, y_train)", "best = gs.best_estimator_",
                   "pred = best.predict(X_test)\nproba = gs.best_estimator_.predict_proba(X_test)")
    (tuning,) = kinds(scanner, "tuning")
    assert tuning.data == "train" and tuning.cell == 1
    assert {(e.name, e.data) for e in kinds(scanner, "transform")} == {("StandardScaler", "train")}
    assert all("in_pipeline" in e.flags for e in kinds(scanner, "transform"))
    assert [e.refs for e in kinds(scanner, "predict")] == [(1,), (1,)]
    assert all("pipeline" in e.flags for e in kinds(scanner, "predict"))


def test_keras_booster_and_torch_training_are_fits():
    scanner = scan(
        "from tensorflow.keras.models import Sequential\nimport xgboost as xgb",
        "net = Sequential()\nnet.fit(X_train, y_train, epochs=3)",
        "dtrain = xgb.DMatrix(X_train, label=y_train)\nbst = xgb.train(params, dtrain)",
        "for xb, yb in loader:\n    loss = crit(net2(xb), yb)\n    loss.backward()")
    fits = [(e.name, e.group, e.data) for e in kinds(scanner, "fit")]
    assert fits == [("Sequential", "neural_net", "train"), ("xgboost.train", "unknown", "train"),
                    ("torch training loop", "neural_net", "unknown")]


def test_mlflow_calls_through_aliases_and_the_client():
    scanner = scan("from mlflow import log_metric\nfrom mlflow.tracking import MlflowClient",
                   "log_metric('acc', 0.9)\nclient = MlflowClient()\n"
                   "client.log_param(run_id, 'depth', 3)\nmlflow.autolog()")
    assert [e.name for e in kinds(scanner, "mlflow")] == ["log_metric", "MlflowClient",
                                                          "log_param", "autolog"]


def test_list_append_is_not_a_removed_pandas_api():
    scanner = scan("import pandas as pd\nscores = []\ndf = pd.read_csv('a.csv')",
                   "scores.append(1)\nX = df.values\nrows = df.copy()",
                   "rows.append(other)\nX.append(1)")
    assert [(d.api.api, d.cell) for d in scanner.deprecated] == [("DataFrame.append", 2)]


def test_imports_names_and_seeds():
    scanner = scan("import numpy as np\nfrom sklearn import metrics as m\nfrom os import *",
                   "np.random.seed(42)\nm.accuracy_score(a, b)\nrf = RF(random_state=7)")
    assert [(i.name, i.module) for i in scanner.imports] == [("np", "numpy"),
                                                             ("m", "sklearn.metrics")]
    assert scanner.star_import
    assert [e.name for e in kinds(scanner, "seed")] == ["numpy.random.seed", "random_state=7"]
    assert [e.name for e in kinds(scanner, "metric")] == ["accuracy_score"]

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


def test_rebinding_a_variable_from_itself_keeps_its_role_and_column_names_give_none():
    scanner = scan(
        "import pandas as pd\nfrom sklearn.preprocessing import StandardScaler\n"
        'test = pd.read_csv("test.csv")\nX_new = test.copy()\nX_new = add_features(X_new)',
        "X_new = X_new.reindex(columns=X_train.columns, fill_value=0)\n"
        "X_new = StandardScaler().fit_transform(X_new)")
    assert scanner.roles["X_new"] == "test"
    (scaler,) = kinds(scanner, "transform")
    assert scaler.data == "test"


def test_a_boolean_mask_cut_from_a_train_named_frame_is_a_split():
    scanner = scan(
        "import pandas as pd\ntrain_df = pd.read_csv('sales.csv')",
        "X = train_df[cols]\nis_train = train_df['date'] <= cutoff\n"
        "X_train, X_valid = X[is_train], X[~is_train]")
    (split,) = kinds(scanner, "split")
    assert (split.name, split.group, split.variable) == ("date_mask", "date", "X_valid")
    other = scan("import pandas as pd\ndf = pd.read_csv('a.csv')",
                 "keep = df['price'] > 0\nX_train, X_test = X[keep], X[~keep]")
    assert {e.name for e in kinds(other, "split")} == {"mask"}


def test_cutting_a_concat_of_train_and_test_apart_again_is_no_split():
    scanner = scan(
        "import pandas as pd\ndata = pd.read_csv('a.csv')\ntest = pd.read_csv('test.csv')",
        "full = pd.concat([data, test])\n"
        "data, test = full[full['date'] <= c], full[full['date'] > c]")
    assert kinds(scanner, "split") == []
    assert scanner.roles["full"] == "full" and scanner.roles["test"] == "test"


def test_metrics_only_logged_or_scoring_a_baseline_are_flagged():
    scanner = scan(
        "import mlflow\nfrom sklearn.dummy import DummyClassifier\n"
        "from sklearn.metrics import accuracy_score, roc_auc_score",
        "baseline = DummyClassifier().fit(X_train, y_train)\n"
        "print(accuracy_score(y_test, model.predict(X_test)))\n"
        "print(accuracy_score(y_test, baseline.predict(X_test)))\n"
        'print("naive:", accuracy_score(y_test, y_test.shift(1)))\n'
        'mlflow.log_metric("auc", roc_auc_score(y_test, p))')
    flags = [sorted(e.flags) for e in kinds(scanner, "metric")]
    assert flags == [[], ["baseline"], ["baseline"], ["logged"]]


def test_baselines_among_candidates_flag_their_cross_validation_but_not_picked_models():
    scanner = scan(
        "from sklearn.dummy import DummyRegressor\n"
        "from sklearn.model_selection import cross_val_score",
        'models = {"base": DummyRegressor(), "rf": RandomForestRegressor()}\n'
        "for name, m in models.items():\n    s = cross_val_score(m, X, y, scoring='r2')\n"
        'best = models["rf"]\nbest.fit(X, y)\nbest.score(X_test, y_test)')
    cv, score = kinds(scanner, "metric")
    assert "baseline" in cv.flags and "baseline" not in score.flags


def test_a_preprocessing_only_column_transformer_marks_its_transformers():
    scanner = scan(
        "from sklearn.compose import ColumnTransformer\n"
        "from sklearn.preprocessing import StandardScaler\nfrom sklearn.pipeline import Pipeline\n"
        "from sklearn.linear_model import Ridge",
        "prep = ColumnTransformer([('num', StandardScaler(), cols)])\n"
        "model = Pipeline([('prep', prep), ('m', Ridge())]).fit(X_train, y_train)\n"
        "Z = prep.fit_transform(X_test)")
    first, second = kinds(scanner, "transform")
    assert "preprocessor" not in first.flags
    assert {"in_pipeline", "preprocessor"} <= second.flags and second.data == "test"


def test_predictions_on_the_output_of_a_function_that_refits_nothing_are_prepared():
    scanner = scan(
        "import pandas as pd\ntest = pd.read_csv('test.csv')",
        "def prepare(frame):\n    frame = frame.copy()\n"
        "    frame[c] = frame[c].map(encodings[c])\n    return frame[cols]\n"
        "def refit(frame):\n    return frame.fillna(frame.median())",
        "model.fit(X_train, y_train)\nX_new = prepare(test)\np = model.predict(X_new)\n"
        "X_other = refit(test)\nq = model.predict(X_other)")
    assert scanner.functions == {"prepare": True, "refit": False}
    first, second = kinds(scanner, "predict")
    assert "prepared" in first.flags and "prepared" not in second.flags

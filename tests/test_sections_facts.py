"""Tests for memalign_nb.sections.facts: static facts of hand-written and real notebooks."""

from __future__ import annotations

import json
import warnings

import pytest

from memalign_nb.dimensions import DIMENSIONS
from memalign_nb.errors import MemAlignWarning, UnknownNameError
from memalign_nb.notebooks.model import Cell, Notebook
from memalign_nb.sections.fact_keys import FACT_KEYS
from memalign_nb.sections.facts import NotebookFacts, extract_facts

HEAD = """
import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split, GridSearchCV
from sklearn.impute import SimpleImputer
from sklearn.preprocessing import StandardScaler
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import accuracy_score
df = pd.read_csv("data.csv")
X = df.drop(columns=["target"])
y = df["target"]
"""
SPLIT = "X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)"


def facts_of(*sources: str) -> NotebookFacts:
    """Facts of a notebook whose code cells are ``sources`` (``"md:"`` makes markdown)."""
    cells = tuple(
        Cell(i, "markdown", s[3:]) if s.startswith("md:") else Cell(i, "code", s.strip())
        for i, s in enumerate(sources))
    return extract_facts(Notebook("hand.ipynb", cells))


def dim(facts: NotebookFacts, dimension: str) -> dict:
    return facts.for_dimension(dimension)


# -- data imputation ------------------------------------------------------------------------
def test_imputer_fitted_on_full_data_before_the_split_is_leakage():
    facts = facts_of(HEAD, "imp = SimpleImputer(strategy='median')\nX = imp.fit_transform(X)",
                     SPLIT)
    imputation = dim(facts, "data_imputation")
    assert imputation["imputer_fit_before_split"]
    assert imputation["imputer_fit_on_full_data"]
    assert imputation["imputation_leakage"]
    assert imputation["split_cells"] == [2]
    assert imputation["imputation_methods"] == ["SimpleImputer"]


def test_imputer_fitted_on_train_after_the_split_is_clean():
    facts = facts_of(HEAD, SPLIT, "imp = SimpleImputer()\nX_train = imp.fit_transform(X_train)"
                                  "\nX_test = imp.transform(X_test)")
    imputation = dim(facts, "data_imputation")
    assert imputation["imputer_fit_on_train"]
    assert not imputation["imputation_leakage"]
    assert not imputation["imputer_fit_before_split"]


def test_pipeline_fitted_on_train_is_not_before_the_split():
    facts = facts_of(
        HEAD,
        "from sklearn.pipeline import Pipeline\n"
        "pipe = Pipeline([('imp', SimpleImputer()), ('scale', StandardScaler()),"
        " ('model', RandomForestClassifier(random_state=0))])",
        SPLIT,
        "pipe.fit(X_train, y_train)\npred = pipe.predict(X_test)")
    imputation = dim(facts, "data_imputation")
    features = dim(facts, "feature_engineering")
    assert imputation["imputer_in_pipeline"] and features["transform_in_pipeline"]
    assert not imputation["imputer_fit_before_split"] and not imputation["imputation_leakage"]
    assert not features["transform_fit_before_split"] and not features["feature_leakage"]
    assert dim(facts, "model_training")["models"] == ["RandomForestClassifier"]
    assert dim(facts, "model_use")["predicts_with_pipeline"]


def test_fillna_with_full_data_statistics_before_the_split():
    facts = facts_of(HEAD, "df['age'] = df['age'].fillna(df['age'].mean())", SPLIT)
    imputation = dim(facts, "data_imputation")
    assert imputation["imputation_methods"] == ["fillna(mean)"]
    assert imputation["imputer_fit_before_split"] and imputation["imputation_leakage"]


def test_rows_selected_by_missingness_and_assigned_a_statistic():
    facts = facts_of(HEAD, SPLIT, "X_test.loc[X_test['age'].isnull(), 'age'] = "
                                  "X_test['age'].mean()")
    (fill,) = facts.of("transform")
    assert fill.name == "assign(mean)" and fill.data == "test" and fill.columns == ("age",)
    assert dim(facts, "data_imputation")["imputer_fit_on_test"]


def test_test_file_filled_with_training_statistics_is_clean():
    facts = facts_of(
        "import pandas as pd\ntrain = pd.read_csv('train.csv')\ntest = pd.read_csv('test.csv')",
        "train['Age'] = train['Age'].fillna(train['Age'].median())\n"
        "test['Age'] = test['Age'].fillna(train['Age'].median())")
    imputation = dim(facts, "data_imputation")
    assert imputation["imputer_fit_on_train"]
    assert not imputation["imputer_fit_on_test"] and not imputation["imputation_leakage"]
    leaky = facts_of(
        "import pandas as pd\ntrain = pd.read_csv('train.csv')\ntest = pd.read_csv('test.csv')",
        "test['Age'] = test['Age'].fillna(test['Age'].median())")
    assert dim(leaky, "data_imputation")["imputer_fit_on_test"]


def test_fill_values_held_in_variables_keep_the_role_of_their_rows():
    files = "import pandas as pd\ntrain = pd.read_csv('train.csv')\ntest = pd.read_csv('test.csv')"
    own = facts_of(files, "fare = test['Fare'].median()\nlow = fare - 1\n"
                          "test['Fare'] = test['Fare'].fillna(low)")
    assert dim(own, "data_imputation")["imputer_fit_on_test"]
    fill = own.of("transform")[0]
    assert (fill.name, fill.data) == ("fillna(median)", "test") and "precomputed" in fill.flags
    reused = facts_of(files, "fare = train['Fare'].median()\n"
                             "test['Fare'] = test['Fare'].fillna(fare)")
    assert not dim(reused, "data_imputation")["imputer_fit_on_test"]


def test_a_loop_over_training_and_test_frames_learns_from_each():
    facts = facts_of(
        "import pandas as pd\ntrain = pd.read_csv('train.csv')\ntest = pd.read_csv('test.csv')",
        "combine = [train, test]\nfor frame in combine:\n"
        "    age = frame['Age'].mean()\n"
        "    frame.loc[frame['Age'].isnull(), 'Age'] = age")
    assert dim(facts, "data_imputation")["imputer_fit_on_test"]
    labelled = facts_of(HEAD, "new = pd.read_csv('test.csv')\nfor frame in [df, new]:\n"
                              "    frame['Age'] = frame['Age'].fillna(frame['Age'].median())")
    assert dim(labelled, "data_imputation")["imputer_fit_on_test"]  # df holds all labelled rows
    for_each = facts_of(HEAD, SPLIT, "for part in (X_train, X_test):\n"
                                     "    part['Fare'] = pd.cut(part['Fare'], 4)")
    binned = for_each.of("transform")[0]
    assert (binned.name, binned.data, binned.columns) == ("column from cut", "test", ("Fare",))
    assert dim(for_each, "feature_engineering")["transform_fit_on_test"]


@pytest.mark.parametrize(("code", "learned"), [
    ("df['z'] = (df['x'] - df['x'].mean()) / df['x'].std()", True),
    ("df['band'] = pd.qcut(df['x'], 4)", True),
    ("df['band'] = pd.cut(df['x'], [0, 18, 65, 120])", False),  # fixed edges
    ("df['total'] = df[['a', 'b']].sum(axis=1)", False),  # row-wise
    ("df['x'] = df['x'].fillna(df['x'].mean())", False),  # a fill, not a feature
])
def test_columns_standardised_or_binned_by_hand_are_learned_transforms(code, learned):
    facts = facts_of(HEAD, code)
    assert any(e.name.startswith("column from") for e in facts.of("transform")) is learned


def test_a_numpy_statistic_is_of_its_argument_not_of_the_frame_written():
    facts = facts_of(HEAD, "test = pd.read_csv('test.csv')\n"
                           "test['pred'] = np.mean(fold_predictions, axis=0)\n"
                           "test['z'] = test['x'] - np.mean(test['x'])")
    assert [e.data for e in facts.of("transform")] == ["unknown", "test"]


def test_missingness_measured_and_target_imputed():
    facts = facts_of(HEAD, "df.isnull().sum()", "df['target'] = df['target'].fillna(0)")
    imputation = dim(facts, "data_imputation")
    assert facts.target == "target"
    assert imputation["missingness_measured"] and imputation["target_imputed"]
    clean = dim(facts_of(HEAD, "df['age'] = df['age'].fillna(0)"), "data_imputation")
    assert not clean["target_imputed"] and not clean["missingness_measured"]


# -- exploratory analysis -------------------------------------------------------------------
def test_exploratory_analysis_facts():
    facts = facts_of(HEAD, "df.shape\ndf.info()\ndf.describe()", "df['target'].value_counts()",
                     "import seaborn as sns\nsns.heatmap(df.corr())", "md:## Findings")
    eda = dim(facts, "exploratory_data_analysis")
    assert eda["shape_checked"] and eda["types_checked"] and eda["summary_statistics"]
    assert eda["target_distribution_checked"] and eda["correlations_checked"]
    assert eda["plots"] == 1 and eda["markdown_cells"] == 1
    bare = dim(facts_of(HEAD, "df.head()"), "exploratory_data_analysis")
    assert bare["eda_methods"] == ["head"] and not bare["target_distribution_checked"]


# -- feature engineering --------------------------------------------------------------------
def test_scaler_fitted_on_the_test_set():
    facts = facts_of(HEAD, SPLIT, "sc = StandardScaler()\nX_train = sc.fit_transform(X_train)\n"
                                  "X_test = sc.fit_transform(X_test)")
    features = dim(facts, "feature_engineering")
    assert features["transform_fit_on_test"] and features["feature_leakage"]
    assert not features["transform_fit_before_split"]
    assert dim(facts, "model_use")["transform_refit_on_test"]


def test_scaler_fitted_before_the_split_and_encodings():
    facts = facts_of(HEAD, "X = pd.get_dummies(X)\nX = StandardScaler().fit_transform(X)", SPLIT)
    features = dim(facts, "feature_engineering")
    assert features["transform_fit_before_split"] and features["transform_fit_on_full_data"]
    assert features["scaling"] and features["encoding"]
    assert features["transformers"] == ["get_dummies", "StandardScaler"]


def test_label_encoding_of_features_but_not_of_the_target():
    encode_y = facts_of(HEAD, "from sklearn.preprocessing import LabelEncoder",
                        "y = LabelEncoder().fit_transform(y)")
    assert not dim(encode_y, "feature_engineering")["label_encoded_features"]
    encode_x = facts_of(HEAD, "from sklearn.preprocessing import LabelEncoder",
                        "le = LabelEncoder()\ndf['city'] = le.fit_transform(df['city'])",
                        "from sklearn.linear_model import LogisticRegression\n"
                        "LogisticRegression().fit(X_train, y_train)")
    features = dim(encode_x, "feature_engineering")
    assert features["label_encoded_features"] and features["linear_model_used"]
    assert encode_x.of("transform")[0].columns == ("city",)


def test_categories_coded_by_hand_and_order_sensitive_models():
    facts = facts_of(HEAD, "codes = {'S': 0, 'C': 1, 'Q': 2}\ndf['Embarked'] = "
                           "df['Embarked'].map(codes)\n"
                           "df.replace({'Size': {'low': 0, 'mid': 1, 'high': 2}}, inplace=True)",
                     SPLIT, "from sklearn.neighbors import KNeighborsClassifier\n"
                            "KNeighborsClassifier().fit(X_train, y_train)\n"
                            "RandomForestClassifier().fit(X_train, y_train)")
    coded = facts.of("category_codes")
    assert [(e.columns, "ordered" in e.flags) for e in coded] == [
        (("Embarked",), False), (("Size",), True)]
    features = dim(facts, "feature_engineering")
    assert features["nominal_integer_codes"] == ["Embarked"]
    assert features["order_sensitive_models"] == ["KNeighborsClassifier"]


def test_an_encoder_applied_to_every_column_is_fitted_on_the_frame():
    facts = facts_of(HEAD, "from sklearn.preprocessing import LabelEncoder\n"
                           "df = df.apply(LabelEncoder().fit_transform)")
    (encoder,) = facts.of("transform")
    assert (encoder.name, encoder.data) == ("LabelEncoder", "full")


def test_models_picked_from_a_dict_of_candidates_are_known():
    pick = ("from sklearn.linear_model import Ridge\n"
            "candidates = {'linear': Ridge(), 'tree': RandomForestClassifier()}\n"
            "model = candidates['linear'].fit(X_train, y_train)")
    facts = facts_of(HEAD, SPLIT, pick)
    assert [e.name for e in facts.of("fit")] == ["Ridge"]


def test_derived_columns_in_a_function_and_settings_named_like_data():
    facts = facts_of(HEAD, "def add(frame):\n    frame['ratio'] = frame['a'] / frame['b']\n"
                           "    return frame", "val = [5, 6, 7]\nfor v in val:\n"
                           "    X.iloc[:, v] = StandardScaler().fit_transform(X.iloc[:, v])")
    assert dim(facts, "feature_engineering")["features_in_function"] == 1
    assert not dim(facts, "feature_engineering")["transform_fit_on_test"]  # val holds no rows


def test_get_dummies_applied_to_train_and_test_apart():
    facts = facts_of("import pandas as pd\ntrain = pd.read_csv('train.csv')\n"
                     "test = pd.read_csv('test.csv')",
                     "train = pd.get_dummies(train)\ntest = pd.get_dummies(test)")
    assert dim(facts, "feature_engineering")["get_dummies_separately"]


# -- model training -------------------------------------------------------------------------
def test_grid_search_fitted_on_the_test_set():
    facts = facts_of(HEAD, SPLIT, "gs = GridSearchCV(RandomForestClassifier(), "
                                  "{'max_depth': [2, 4]}, cv=3)\ngs.fit(X_test, y_test)")
    training = dim(facts, "model_training")
    assert training["tuning"] and training["tuning_on_test"] and training["trains_on_test"]
    clean = dim(facts_of(HEAD, SPLIT, "gs = GridSearchCV(RandomForestClassifier(), {}, cv=3)\n"
                                      "gs.fit(X_train, y_train)"), "model_training")
    assert clean["tuning"] and not clean["tuning_on_test"]


def test_random_split_on_time_series():
    ts = ("import pandas as pd\nfrom sklearn.model_selection import train_test_split\n"
          "df = pd.read_csv('sales.csv', parse_dates=['date'])\n"
          "df['lag_1'] = df['sales'].shift(1)\nX = df[['lag_1']]\ny = df['sales']")
    shuffled = dim(facts_of(ts, "X_train, X_test, y_train, y_test = train_test_split(X, y)"),
                   "model_training")
    assert shuffled["time_ordered"] and shuffled["random_split"]
    assert shuffled["random_split_on_time_series"]
    ordered = dim(facts_of(ts, "X_train, X_test, y_train, y_test = train_test_split("
                               "X, y, shuffle=False)"), "model_training")
    assert ordered["time_ordered"] and not ordered["random_split_on_time_series"]
    tabular = dim(facts_of(HEAD, SPLIT), "model_training")
    assert not tabular["time_ordered"] and not tabular["random_split_on_time_series"]


@pytest.mark.parametrize(("split", "kind"), [
    ("train = df[:800]\ntest = df[800:]", "slice"),
    ("train = df.iloc[:800]\ntest = df.iloc[800:]", "slice"),
    ("train = df[df['date'] < '2020-01-01']\ntest = df[df['date'] >= '2020-01-01']",
     "date_mask"),
    ("train = df.sample(frac=0.8, random_state=1)\ntest = df.drop(train.index)", "sample"),
])
def test_manual_splits(split, kind):
    facts = facts_of("import pandas as pd\ndf = pd.read_csv('d.csv')", split)
    training = dim(facts, "model_training")
    assert kind in training["split_kinds"]
    assert training["split_present"] and facts.split_cells == (1,)
    assert training["time_ordered"] is (kind == "date_mask")


def test_model_training_good_practice_is_recognised():
    facts = facts_of(
        HEAD, "np.random.seed(0)",
        "X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)",
        "from sklearn.dummy import DummyClassifier\n"
        "base = DummyClassifier().fit(X_train, y_train)\n"
        "from sklearn.model_selection import cross_val_score\n"
        "scores = cross_val_score(RandomForestClassifier(), X_train, y_train, cv=5, "
        "scoring='f1')")
    training = dim(facts, "model_training")
    assert training["stratified_split"] and training["seed_set"]
    assert training["baseline_present"] and training["cross_validation"]
    assert training["task_type"] == "classification"
    assert training["target"] == "target"
    assert not training["trains_on_test"]


def test_task_type_from_models_and_metrics():
    regression = facts_of("from sklearn.linear_model import LinearRegression\n"
                          "from sklearn.metrics import mean_squared_error",
                          "m = LinearRegression()\nm.fit(X_train, y_train)\n"
                          "print(mean_squared_error(y_test, m.predict(X_test)))")
    assert regression.task_type == "regression"
    assert any("LinearRegression" in e for e in regression.task_evidence)
    forecast = facts_of("from statsmodels.tsa.arima.model import ARIMA",
                        "res = ARIMA(train_series, order=(1, 1, 1)).fit()\n"
                        "fc = res.forecast(steps=12)")
    assert forecast.task_type == "forecasting" and forecast.time_ordered
    mismatch = facts_of("from sklearn.linear_model import LinearRegression",
                        "m = LinearRegression().fit(X_train, y_train)\n"
                        "print(accuracy_score(y_test, m.predict(X_test).round()))",
                        "print(f1_score(y_test, m.predict(X_test).round()))")
    assert dim(mismatch, "model_training")["model_family_mismatch"]


# -- model use ------------------------------------------------------------------------------
def test_refit_on_test_at_inference():
    facts = facts_of(HEAD, SPLIT, "model = RandomForestClassifier()\nmodel.fit(X_train, y_train)",
                     "model.fit(X_test, y_test)\npreds = model.predict(X_test)")
    use = dim(facts, "model_use")
    assert use["model_refit_on_test"] and not use["model_reused_for_predictions"]
    good = dim(facts_of(HEAD, SPLIT, "model = RandomForestClassifier()\n"
                                     "model.fit(X_train, y_train)",
                        "preds = model.predict(X_test)"), "model_use")
    assert good["model_reused_for_predictions"] and good["predicts_on_heldout"]
    assert not good["model_refit_on_test"]


def test_inference_on_training_data_only():
    facts = facts_of(HEAD, SPLIT, "model = RandomForestClassifier().fit(X_train, y_train)\n"
                                  "p = model.predict(X_train)")
    use = dim(facts, "model_use")
    assert use["only_predicts_on_training_data"] and not use["predicts_on_heldout"]


def test_loaded_model_predictions_refer_to_the_load():
    facts = facts_of("import joblib", "model = joblib.load('model.pkl')",
                     "preds = model.predict(new_data)\npd.DataFrame(preds).to_csv('out.csv')")
    use = dim(facts, "model_use")
    assert use["loads_saved_model"] and use["writes_outputs"] and use["predictions"] == 1
    assert use["predicts_without_fit"] == 0
    assert facts.of("predict")[0].refs == (1,)


# -- metrics --------------------------------------------------------------------------------
def test_training_metrics_only():
    facts = facts_of(HEAD, SPLIT, "model = RandomForestClassifier().fit(X_train, y_train)\n"
                                  "print(accuracy_score(y_train, model.predict(X_train)))")
    metrics = dim(facts, "metrics_evaluation")
    assert metrics["only_training_metrics"] and metrics["training_metrics"] == 1
    assert metrics["heldout_metrics"] == 0 and not metrics["imbalance_aware_metrics"]
    held = dim(facts_of(HEAD, SPLIT, "model = RandomForestClassifier().fit(X_train, y_train)\n"
                                     "pred = model.predict(X_test)\n"
                                     "print(f1_score(y_test, pred))"), "metrics_evaluation")
    assert held["heldout_metrics"] == 1 and not held["only_training_metrics"]
    assert held["imbalance_aware_metrics"] and held["metrics"] == ["f1_score"]


def test_score_method_counts_as_a_metric_on_its_data():
    facts = facts_of(HEAD, SPLIT, "m = RandomForestClassifier()\nm.fit(X_train, y_train)\n"
                                  "acc = m.score(X_train, y_train)")
    assert dim(facts, "metrics_evaluation")["training_metrics"] == 1


# -- MLflow ---------------------------------------------------------------------------------
def test_mlflow_without_log_model():
    facts = facts_of("import mlflow", "mlflow.set_experiment('titanic')\n"
                     "with mlflow.start_run():\n    mlflow.log_param('depth', 3)\n"
                     "    mlflow.log_metric('acc', 0.8)")
    logging = dim(facts, "mlflow_logging")
    assert logging["mlflow_used"] and logging["experiment_set"] and logging["run_started"]
    assert logging["params_logged"] and logging["metrics_logged"]
    assert logging["mlflow_without_model"] and not logging["model_logged"]


def test_mlflow_model_with_signature_and_aliases():
    facts = facts_of("import mlflow as mf\nfrom mlflow.models import infer_signature",
                     "with mf.start_run():\n    sig = infer_signature(X, model.predict(X))\n"
                     "    mf.sklearn.log_model(model, 'model', signature=sig)\n"
                     "    mf.log_artifact('plot.png')")
    logging = dim(facts, "mlflow_logging")
    assert logging["model_logged"] and logging["model_signature"]
    assert logging["artifacts_logged"] and not logging["mlflow_without_model"]
    bare = dim(facts_of("import mlflow\nmlflow.sklearn.log_model(model, 'm')"), "mlflow_logging")
    assert bare["model_logged"] and not bare["model_signature"]


# -- library installation -------------------------------------------------------------------
def test_removed_apis_are_listed_and_lists_are_not():
    facts = facts_of(
        "from sklearn.preprocessing import Imputer\n"
        "from sklearn.cross_validation import train_test_split\n"
        "from sklearn.datasets import load_boston\nimport numpy as np\nimport pandas as pd",
        "df = pd.read_csv('d.csv')\nrow = df.ix[0]\nx = np.zeros(3, dtype=np.float)\n"
        "df = df.append(df, ignore_index=True)\nitems = []\nitems.append(1)",
        "model.fit_generator(gen)")
    library = dim(facts, "library_installation")
    assert set(library["deprecated_apis"]) == {
        "sklearn.preprocessing.Imputer", "sklearn.cross_validation",
        "sklearn.datasets.load_boston", ".ix", "numpy.float", "DataFrame.append",
        ".fit_generator"}
    assert library["removed_api_used"]
    uses = {d.api.api: d.cell for d in facts.deprecated}
    assert uses["DataFrame.append"] == 1 and uses[".fit_generator"] == 2


def test_pinned_and_unpinned_installs():
    unpinned = dim(facts_of("%pip install xgboost==2.0.3 lightgbm\nimport xgboost"),
                   "library_installation")
    assert unpinned["installs"] == 1 and unpinned["unpinned_packages"] == ["lightgbm"]
    assert not unpinned["installs_pinned"] and not unpinned["installs_use_shell_pip"]
    pinned = dim(facts_of("!pip install -q xgboost==2.0.3 'pandas==2.2.2'"),
                 "library_installation")
    assert pinned["installs_pinned"] and pinned["unpinned_packages"] == []
    assert pinned["installs_use_shell_pip"]
    assert pinned["installed_packages"] == ["xgboost==2.0.3", "pandas==2.2.2"]


def test_unused_and_undefined_names():
    facts = facts_of("import os\nimport numpy as np\nfrom sklearn.svm import SVC",
                     "x = np.arange(3)\nmodel = RandomForestClassifier()\nprint(len(x))")
    library = dim(facts, "library_installation")
    assert library["unused_imports"] == ["os", "SVC"]
    assert library["undefined_names"] == ["RandomForestClassifier"]
    starred = dim(facts_of("from sklearn.ensemble import *", "m = RandomForestClassifier()"),
                  "library_installation")
    assert starred["undefined_names"] == []


def test_imports_after_code_are_counted():
    facts = facts_of("import pandas as pd", "df = pd.read_csv('a.csv')\ndf.head()",
                     "import seaborn as sns\nsns.countplot(x='target', data=df)")
    library = dim(facts, "library_installation")
    assert library["import_cells"] == 2 and library["imports_after_code"] == 1


# -- robustness -----------------------------------------------------------------------------
def test_magics_and_unparseable_cells_are_skipped_with_a_note():
    facts = facts_of("%matplotlib inline\nimport pandas as pd", "print 'python 2'",
                     "%%html\n<b>hi</b>", "df = pd.read_csv('x.csv')\ndf.shape")
    assert facts.unparsed_cells == (1, 2)
    assert facts.notes[0].startswith("cell 1 skipped: SyntaxError")
    assert "not Python: %%html cell" in facts.notes[1]
    assert [e.name for e in facts.of("eda")] == ["shape"]
    assert dim(facts, "library_installation")["unparsed_cells"] == 2


def test_for_dimension_keys_are_documented_and_json_serialisable():
    facts = facts_of(HEAD, SPLIT, "m = RandomForestClassifier().fit(X_train, y_train)")
    for dimension in DIMENSIONS:
        values = facts.for_dimension(dimension)
        assert set(values) == set(FACT_KEYS[dimension]), dimension
        json.dumps(values)
    with pytest.raises(UnknownNameError):
        facts.for_dimension("custom_dimension")


# -- the real corpus ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def corpus_facts(real_notebook_paths) -> dict[str, NotebookFacts]:
    from memalign_nb.notebooks.reader import read_notebook

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MemAlignWarning)
        return {p.name: extract_facts(read_notebook(p)) for p in real_notebook_paths}


def test_every_real_notebook_yields_serialisable_facts(corpus_facts):
    assert len(corpus_facts) == 60
    for facts in corpus_facts.values():
        for dimension in DIMENSIONS:
            json.dumps(facts.for_dimension(dimension))
    task_types = {f.task_type for f in corpus_facts.values()}
    assert {"classification", "regression"} <= task_types
    with_split = sum(bool(f.split_cells) for f in corpus_facts.values())
    assert with_split >= 30  # most of these Kaggle notebooks hold data out


def test_real_notebooks_facts_match_their_code(corpus_facts):
    preprocessing = corpus_facts["aaawnrahman_datapreprocessing.ipynb"]
    assert "sklearn.preprocessing.Imputer" in dim(preprocessing,
                                                  "library_installation")["deprecated_apis"]
    titanic = dim(corpus_facts["rshvkmr_titanic-data-science-solutions.ipynb"],
                  "metrics_evaluation")
    assert titanic["only_training_metrics"]  # the tutorial scores on X_train only
    kfold = dim(corpus_facts["ronaldleolu_notebook-for-titanic.ipynb"], "library_installation")
    assert "sklearn.cross_validation" in kfold["deprecated_apis"]

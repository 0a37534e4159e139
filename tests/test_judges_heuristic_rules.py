"""Tests for memalign_nb.judges.heuristic_rules: each dimension on small hand-written
notebooks (good, passable, faulty, not applicable), scored through the heuristic judge."""

from __future__ import annotations

import pytest

from memalign_nb.datasets.model import Case
from memalign_nb.dimensions import DIMENSIONS
from memalign_nb.judges.base import Judgment
from memalign_nb.judges.heuristic import HeuristicJudge
from memalign_nb.judges.heuristic_rules import RULES
from memalign_nb.notebooks.model import Cell, Notebook

HEAD = """import pandas as pd
from sklearn.model_selection import train_test_split
from sklearn.impute import SimpleImputer
from sklearn.preprocessing import StandardScaler
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score
df = pd.read_csv("train.csv")"""
XY = 'X = df.drop(columns=["Survived"])\ny = df["Survived"]'
SPLIT = "X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)"
FIT = "model = RandomForestClassifier(random_state=0)\nmodel.fit(X_train, y_train)"
PREDICT_TEST = "pred = model.predict(X_test)"


def case(*cells: str | tuple[str, str], prompt: str = "", task_type: str | None = None) -> Case:
    """A case whose cells are ``cells``: ``"md:..."`` is markdown, ``(source, output)`` a code
    cell with a saved output, any other string a code cell."""
    built = []
    for index, cell in enumerate(cells):
        if isinstance(cell, tuple):
            built.append(Cell(index, "code", cell[0], output_text=cell[1]))
        elif cell.startswith("md:"):
            built.append(Cell(index, "markdown", cell[3:]))
        else:
            built.append(Cell(index, "code", cell))
    return Case("hand", Notebook("hand.ipynb", tuple(built)), prompt, task_type)


def judge(c: Case, dimension: str, **options: object) -> Judgment:
    judgment = HeuristicJudge(**options).score(c, dimension)
    assert judgment.ok and judgment.judge_id == "heuristic"
    assert judgment.metadata["rule"].startswith(f"{dimension}.")
    return judgment


def test_there_is_one_rule_per_builtin_dimension_in_order():
    assert tuple(RULES) == DIMENSIONS


# -- library_installation -------------------------------------------------------------------
def test_library_installation_clean_imports_score_3():
    j = judge(case("%pip install xgboost==2.1.3", "import pandas as pd\nimport xgboost as xgb\n"
                   'df = pd.read_csv("a.csv")\nm = xgb.XGBClassifier()'), "library_installation")
    assert j.score == 3 and "installs pinned" in j.rationale


def test_library_installation_unused_imports_and_unpinned_installs_score_2():
    j = judge(case("!pip install xgboost", 'import pandas as pd\nimport numpy as np\nimport os\n'
                   'df = pd.read_csv("a.csv")'), "library_installation")
    assert j.score == 2
    assert j.metadata["facts"]["unused_imports"] == ["np", "os"]
    assert j.metadata["facts"]["unpinned_packages"] == ["xgboost"]
    assert "unused imports: np, os" in j.rationale


@pytest.mark.parametrize(("cells", "expected"), [
    (('import pandas as pd\nfrom sklearn.preprocessing import Imputer\n'
      'df = pd.read_csv("a.csv")\nX = Imputer().fit_transform(df)',),
     "sklearn.preprocessing.Imputer (cell 0) was removed"),
    (('import pandas as pd\ndf = pd.read_csv("a.csv")\nx = np.log(df)',),
     "np used but never imported"),
    (("!pip install sklearn", 'import pandas as pd\ndf = pd.read_csv("a.csv")'),
     "sklearn, a dead package name"),
])
def test_library_installation_broken_setups_score_1(cells, expected):
    j = judge(case(*cells), "library_installation")
    assert (j.score, j.metadata["rule"]) == (1, "library_installation.broken")
    assert expected in j.rationale


def test_databricks_runtime_names_are_not_missing_imports():
    j = judge(case('df = spark.table("t").toPandas()\ndisplay(df)'), "library_installation")
    assert j.score == 3


# -- exploratory_data_analysis --------------------------------------------------------------
def test_eda_absent_scores_1_and_thorough_scores_3():
    absent = judge(case(HEAD, "df.shape", XY, SPLIT, FIT), "exploratory_data_analysis")
    assert absent.score == 1 and absent.metadata["facts"]["plots"] == 0
    thorough = judge(case(
        HEAD, "md:## Data", "df.info()", "md:## Missing values", "df.isnull().sum()",
        "md:## Target", 'df["Survived"].value_counts()', "df.corr(numeric_only=True)",
        XY, SPLIT, FIT), "exploratory_data_analysis")
    assert thorough.score == 3
    assert thorough.metadata["facts"]["target_distribution_checked"] is True


def test_eda_generic_inspection_scores_2_and_names_what_is_missing():
    j = judge(case(HEAD, "df.head()", "df.describe()", XY, SPLIT, FIT),
              "exploratory_data_analysis")
    assert j.score == 2
    assert "the target's distribution" in j.rationale
    assert j.metadata["facts"]["target_distribution_checked"] is False


def test_eda_targeted_checks_score_3_without_markdown():
    j = judge(case(HEAD, "df.info()", "df.isnull().sum()", 'df["Survived"].value_counts()',
                   'df.groupby("Sex")["Survived"].mean()', XY, SPLIT, FIT),
              "exploratory_data_analysis")
    assert j.score == 3 and j.metadata["rule"].endswith(".targeted")
    assert j.metadata["facts"]["target_relationship_checked"] is True
    # without the relationship to the target it is generic again
    j = judge(case(HEAD, "df.info()", "df.isnull().sum()", 'df["Survived"].value_counts()',
                   XY, SPLIT, FIT), "exploratory_data_analysis")
    assert j.score == 2 and "target_relationship_checked" not in j.metadata["facts"]


def test_eda_conclusion_contradicted_by_its_own_output_scores_1():
    cells = (HEAD, ("df.info()", "RangeIndex: 891 entries, 0 to 890"),
             ("df.isnull().sum()", "Age    177\nCabin    687\ndtype: int64"),
             'df["Survived"].value_counts()', 'df.groupby("Sex")["Survived"].mean()')
    j = judge(case(*cells, "md:**Takeaway:** missing values are negligible and can be ignored.",
                   XY, SPLIT, FIT), "exploratory_data_analysis")
    assert j.score == 1 and j.metadata["rule"].endswith(".misleading")
    assert "Cabin missing in 77% of rows" in j.rationale and "cell 2" in j.rationale
    # an honest conclusion does not fire
    j = judge(case(*cells, "md:Cabin is 77% missing, so it is dropped.", XY, SPLIT, FIT),
              "exploratory_data_analysis")
    assert j.score == 3 and j.metadata["facts"]["finding_cells"] == 1


# -- data_imputation ------------------------------------------------------------------------
def test_imputer_fitted_before_the_split_is_leakage_naming_both_cells():
    j = judge(case(HEAD, XY, 'imp = SimpleImputer(strategy="median")\nX = imp.fit_transform(X)',
                   SPLIT, FIT), "data_imputation")
    assert (j.score, j.metadata["rule"]) == (1, "data_imputation.leakage")
    assert "SimpleImputer in cell 2 learns fill values before train_test_split in cell 3" in (
        j.rationale)
    assert j.metadata["facts"]["imputer_fit_before_split"] is True


def test_fill_statistic_of_the_full_frame_before_the_split_is_leakage():
    j = judge(case(HEAD, 'df["Age"] = df["Age"].fillna(df["Age"].median())', XY, SPLIT, FIT),
              "data_imputation")
    assert j.score == 1 and "fillna(median) in cell 1" in j.rationale


def test_imputer_fitted_on_training_rows_scores_3():
    j = judge(case(HEAD, XY, SPLIT, "imp = SimpleImputer()\nX_train = imp.fit_transform(X_train)"
                   "\nX_test = imp.transform(X_test)", FIT), "data_imputation")
    assert (j.score, j.metadata["rule"]) == (3, "data_imputation.train_only")
    assert j.metadata["facts"]["imputer_fit_on_train"] is True


def test_training_fill_values_reused_on_test_rows_score_3():
    j = judge(case(HEAD, XY, SPLIT, "fill = X_train.median()\nX_train = X_train.fillna(fill)\n"
                   "X_test = X_test.fillna(fill)", FIT), "data_imputation")
    assert j.score == 3 and "reused on held-out rows" in j.rationale


def test_constant_fill_is_coarse_but_leak_free():
    j = judge(case(HEAD, "df = df.fillna(0)", XY, SPLIT, FIT), "data_imputation")
    assert (j.score, j.metadata["rule"]) == (2, "data_imputation.coarse")
    assert j.metadata["facts"]["imputation_leakage"] is False


def test_filling_the_target_scores_1():
    j = judge(case(HEAD, 'df["Survived"] = df["Survived"].fillna(0)', XY, SPLIT, FIT),
              "data_imputation")
    assert (j.score, j.metadata["rule"]) == (1, "data_imputation.target_imputed")
    assert "'Survived'" in j.rationale


def test_zero_missing_counts_in_the_output_make_imputation_not_applicable():
    j = judge(case(HEAD, ("df.isnull().sum()", "Age     0\nFare    0\ndtype: int64"), XY, SPLIT,
                   FIT), "data_imputation")
    assert (j.score, j.metadata["rule"]) == (0, "data_imputation.no_missing_values")
    assert "output of cell 1" in j.rationale


def test_isnull_any_printing_false_makes_imputation_not_applicable():
    shown = ("print('NaN in train:', df.isnull().values.any())", "NaN in train: False")
    j = judge(case(HEAD, shown, XY, SPLIT, FIT), "data_imputation")
    assert (j.score, j.metadata["rule"]) == (0, "data_imputation.no_missing_values")
    some = ("df.isnull().any()", "Age     True\nFare    False\ndtype: bool")
    assert judge(case(HEAD, some, XY, SPLIT, FIT), "data_imputation").score == 2


def test_an_unmeasured_table_with_nothing_imputed_scores_2_coarse_but_safe():
    j = judge(case(HEAD, XY, SPLIT, FIT), "data_imputation")
    assert (j.score, j.metadata["rule"]) == (2, "data_imputation.unmeasured")
    assert j.metadata["facts"]["data_sources"] == ["table"]
    assert "never measured in table data" in j.rationale


@pytest.mark.parametrize("load", [
    "from sklearn.datasets import load_iris\nX, y = load_iris(return_X_y=True)",
    "from tensorflow import keras\nmnist = keras.datasets.mnist\n"
    "(X_train, y_train), (X_test, y_test) = mnist.load_data()",
    "import pandas as pd\ntrain = pd.read_csv('../input/mnist_train.csv')",
    "import cv2\nimages = [cv2.imread(p) for p in paths]",
    "import pandas as pd\ntrain = pd.read_csv('train.csv')\nX_train = train.values / 255.0",
])
def test_data_complete_by_construction_makes_imputation_not_applicable(load):
    fit = "from sklearn.svm import SVC\nmodel = SVC()\nmodel.fit(X_train, y_train)"
    j = judge(case(load, fit), "data_imputation")
    assert (j.score, j.metadata["rule"]) == (0, "data_imputation.complete_by_construction")
    assert j.metadata["facts"]["data_complete_by_construction"]


def test_test_rows_filled_with_their_own_statistics_score_1():
    own = ("test = pd.read_csv('test.csv')\nfare = test['Fare'].median()\n"
           "test['Fare'] = test['Fare'].fillna(fare)")
    j = judge(case(HEAD, XY, SPLIT, own, FIT), "data_imputation")
    assert (j.score, j.metadata["rule"]) == (1, "data_imputation.leakage")
    assert "on held-out rows" in j.rationale
    # after the last fit it is inference-time preprocessing, judged under model_use
    assert judge(case(HEAD, XY, SPLIT, FIT, own), "data_imputation").score != 1
    each = ("for frame in [X_train, X_test]:\n"
            "    frame['Age'] = frame['Age'].fillna(frame['Age'].mean())")
    assert judge(case(HEAD, XY, SPLIT, each, FIT), "data_imputation").score == 1
    reused = each.replace("frame['Age'].mean()", "X_train['Age'].mean()")
    assert judge(case(HEAD, XY, SPLIT, reused, FIT), "data_imputation").score == 3


def test_missing_values_left_to_break_training_score_1_not_0():
    c = case(HEAD, XY, SPLIT, ("from sklearn.linear_model import LogisticRegression\n"
                               "model = LogisticRegression()\nmodel.fit(X_train, y_train)",
                               "ValueError: Input X contains NaN."))
    j = judge(c, "data_imputation")
    assert (j.score, j.metadata["rule"]) == (1, "data_imputation.left_missing")
    assert j.metadata["facts"]["nan_error_cells"] == [3]


def test_counted_but_unhandled_missing_values_are_applicable():
    counts = ("df.isnull().sum()", "Age     177\nFare    0\ndtype: int64")
    assert judge(case(HEAD, counts, XY, SPLIT, FIT), "data_imputation").score == 2
    native = case(HEAD, counts, XY, SPLIT, "from xgboost import XGBClassifier\n"
                  "model = XGBClassifier()\nmodel.fit(X_train, y_train)")
    j = judge(native, "data_imputation")
    assert j.score == 2 and "XGBClassifier" in j.rationale


# -- feature_engineering --------------------------------------------------------------------
def test_scaler_fitted_before_the_split_is_leakage():
    j = judge(case(HEAD, XY, "X = StandardScaler().fit_transform(X)", SPLIT, FIT),
              "feature_engineering")
    assert (j.score, j.metadata["rule"]) == (1, "feature_engineering.leakage")
    assert "StandardScaler in cell 2" in j.rationale


def test_target_encoding_on_all_rows_is_leakage():
    j = judge(case(HEAD, 'means = df.groupby("Sex")["Survived"].mean()\n'
                   'df["Sex_te"] = df["Sex"].map(means)', XY, SPLIT, FIT),
              "feature_engineering")
    assert j.score == 1 and j.metadata["facts"]["target_encoding_full_data"] is True


def test_derived_features_and_train_fitted_scaler_score_3():
    j = judge(case(HEAD, 'df["FamilySize"] = df["SibSp"] + df["Parch"] + 1', XY, SPLIT,
                   "scaler = StandardScaler()\nX_train = scaler.fit_transform(X_train)\n"
                   "X_test = scaler.transform(X_test)", FIT), "feature_engineering")
    assert (j.score, j.metadata["rule"]) == (3, "feature_engineering.fitted_on_train")
    assert j.metadata["facts"]["new_columns"] == 1


def test_raw_columns_only_score_2():
    j = judge(case(HEAD, XY, SPLIT, FIT), "feature_engineering")
    assert j.score == 2 and "no derived features" in j.rationale


def test_get_dummies_is_stateless_not_leakage():
    j = judge(case(HEAD, "df = pd.get_dummies(df)", XY, SPLIT, FIT), "feature_engineering")
    assert j.score == 2


@pytest.mark.parametrize(("coding", "model", "score"), [
    ("df['Embarked'] = df['Embarked'].map({'S': 0, 'C': 1, 'Q': 2})", "KNeighborsClassifier", 1),
    ("codes = {'Mr': 1, 'Miss': 2, 'Mrs': 3, 'Rare': 4}\ndf['Title'] = df['Title'].map(codes)",
     "LogisticRegression", 1),
    ("df.replace('C', 0, inplace=True)\ndf.replace('S', 1, inplace=True)\n"
     "df.replace('Q', 2, inplace=True)", "SVC", 1),
    ("df['Embarked'] = df['Embarked'].map({'S': 0, 'C': 1, 'Q': 2})",
     "RandomForestClassifier", 2),  # a tree only splits on the codes
    ("df['Size'] = df['Size'].map({'small': 0, 'medium': 1, 'large': 2})", "SVC", 2),  # a scale
    ("df['Sex'] = df['Sex'].map({'male': 0, 'female': 1})", "SVC", 2),  # two categories
    ("df['Survived'] = df['Survived'].map({'no': 0, 'yes': 1, 'maybe': 2})", "SVC", 2),  # target
])
def test_nominal_categories_coded_as_integers_for_an_order_sensitive_model(coding, model, score):
    fit = f"from sklearn import svm, neighbors, linear_model\nmodel = {model}()\n" \
          "model.fit(X_train, y_train)"
    j = judge(case(HEAD, coding, XY, SPLIT, fit), "feature_engineering")
    assert j.score == score
    if score == 1:
        assert j.metadata["facts"]["order_sensitive_models"] == [model]
        assert "which reads them as ordered quantities" in j.rationale


def test_encoders_learn_categories_on_all_rows_but_not_apart_on_new_rows():
    before = ("from sklearn.preprocessing import OneHotEncoder\nenc = OneHotEncoder()\n"
              "X = enc.fit_transform(X)")
    assert judge(case(HEAD, XY, before, SPLIT, FIT), "feature_engineering").score == 2
    apart = ("from sklearn.preprocessing import LabelEncoder\nle = LabelEncoder()\n"
             "X_train['city'] = le.fit_transform(X_train['city'])\n"
             "X_test['city'] = le.fit_transform(X_test['city'])")
    j = judge(case(HEAD, XY, SPLIT, apart, FIT), "feature_engineering")
    assert j.score == 1 and "LabelEncoder in cell 3 is fitted on held-out rows" in j.rationale


def test_derived_features_need_a_function_or_a_train_fitted_transform_for_3():
    by_hand = judge(case(HEAD, 'df["FamilySize"] = df["SibSp"] + df["Parch"] + 1', XY, SPLIT,
                         FIT), "feature_engineering")
    assert by_hand.score == 2 and "written by hand" in by_hand.rationale
    function = ("def add_features(frame):\n    frame = frame.copy()\n"
                "    frame['FamilySize'] = frame['SibSp'] + frame['Parch'] + 1\n    return frame\n"
                "df = add_features(df)")
    j = judge(case(HEAD, function, XY, SPLIT, FIT), "feature_engineering")
    assert (j.score, j.metadata["facts"]["features_in_function"]) == (3, 1)


def test_pixels_scaled_by_a_constant_score_3():
    pixels = ("import pandas as pd\ntrain = pd.read_csv('train.csv')\n"
              "X_train = train.drop(columns=['label']).values / 255.0\ny_train = train['label']")
    fit = "from keras.models import Sequential\nmodel = Sequential()\nmodel.fit(X_train, y_train)"
    j = judge(case(pixels, fit), "feature_engineering")
    assert (j.score, j.metadata["facts"]["pixels_scaled"]) == (3, True)
    raw = judge(case(pixels.replace(" / 255.0", ""), fit), "feature_engineering")
    assert raw.score == 2


# -- model_training -------------------------------------------------------------------------
def test_fitting_on_held_out_rows_scores_1():
    j = judge(case(HEAD, XY, SPLIT, "model = RandomForestClassifier()\nmodel.fit(X_test, y_test)"),
              "model_training")
    assert (j.score, j.metadata["rule"]) == (1, "model_training.invalid")
    assert j.metadata["facts"]["trains_on_test"] is True


def test_regressor_for_a_class_label_scores_1():
    c = case(HEAD, XY, SPLIT, "from sklearn.linear_model import LinearRegression\n"
             "model = LinearRegression()\nmodel.fit(X_train, y_train)",
             task_type="classification")
    j = judge(c, "model_training")
    assert j.score == 1 and "only regressors (LinearRegression) for a class label" in j.rationale


def test_random_split_of_a_time_series_scores_1():
    c = case(HEAD.replace('"train.csv")', '"sales.csv", parse_dates=["date"])'),
             'df["lag_7"] = df["sales"].shift(7)\ndf["roll"] = df["sales"].rolling(7).mean()',
             'X = df.drop(columns=["sales"])\ny = df["sales"]', SPLIT,
             "from sklearn.ensemble import RandomForestRegressor\n"
             "model = RandomForestRegressor(random_state=0)\nmodel.fit(X_train, y_train)")
    j = judge(c, "model_training")
    assert j.score == 1 and j.metadata["facts"]["random_split_on_time_series"] is True


def test_plain_split_scores_2_and_cross_validated_search_with_baseline_scores_3():
    plain = judge(case(HEAD, XY, SPLIT, FIT), "model_training")
    assert plain.score == 2 and "cross-validation" in plain.rationale
    baseline = ("from sklearn.dummy import DummyClassifier\n"
                'baseline = DummyClassifier(strategy="most_frequent").fit(X_train, y_train)')
    grid = ("from sklearn.model_selection import GridSearchCV\n"
            "search = GridSearchCV(RandomForestClassifier(random_state=0), "
            '{"max_depth": [3, 5]}, cv=5)\nsearch.fit(X_train, y_train)')
    tuned = judge(case(HEAD, XY, SPLIT, baseline, grid), "model_training")
    assert (tuned.score, tuned.metadata["rule"]) == (3, "model_training.validated")
    no_baseline = judge(case(HEAD, XY, SPLIT, grid), "model_training")
    assert no_baseline.score == 2 and "without a baseline" in no_baseline.rationale


def test_a_hyper_parameter_picked_by_test_scores_in_a_loop_scores_1():
    loop = ("from sklearn.tree import DecisionTreeClassifier\nscores = []\n"
            "for d in range(2, 20):\n    depth = d * 2\n"
            "    tree = DecisionTreeClassifier(max_depth=depth, random_state=0)\n"
            "    tree.fit(X_train, y_train)\n"
            "    scores.append(accuracy_score(y_test, tree.predict(X_test)))")
    j = judge(case(HEAD, XY, SPLIT, loop), "model_training")
    assert j.score == 1 and "a loop over max_depth in cell 3 tunes on held-out rows" in j.rationale
    cross = loop.replace("accuracy_score(y_test, tree.predict(X_test))",
                         "cross_val_score(tree, X_train, y_train).mean()")
    assert judge(case(HEAD, XY, SPLIT, cross), "model_training").score == 2


def test_a_final_refit_on_all_rows_is_a_fault_only_when_held_out_rows_are_scored_after():
    refit = ("final = RandomForestClassifier(random_state=0)\n"
             "final.fit(pd.concat([X_train, X_test]), pd.concat([y_train, y_test]))")
    scored = f"{PREDICT_TEST}\nprint(accuracy_score(y_test, pred))"
    submit = ("test = pd.read_csv('test.csv')\n"
              "pd.DataFrame({'p': final.predict(test)}).to_csv('submission.csv')")
    assert judge(case(HEAD, XY, SPLIT, FIT, scored, refit, submit),
                 "model_training").score == 2
    j = judge(case(HEAD, XY, SPLIT, refit, scored), "model_training")
    assert j.score == 1 and j.metadata["facts"]["trains_on_full_data_after_split"]


def test_a_keras_validation_split_is_a_held_out_split():
    keras = ("from keras.models import Sequential\nmodel = Sequential()\n"
             "model.fit(X, y, epochs=5, validation_split=0.2)")
    j = judge(case(HEAD, XY, keras), "model_training")
    assert j.score == 2 and j.metadata["facts"]["split_present"]


def test_models_compared_on_training_rows_score_1():
    c = case(HEAD, XY, SPLIT, "from sklearn.tree import DecisionTreeClassifier\n"
             "a = RandomForestClassifier().fit(X_train, y_train)\n"
             "b = DecisionTreeClassifier().fit(X_train, y_train)\n"
             "print(accuracy_score(y_train, a.predict(X_train)))",
             "print(accuracy_score(y_test, a.predict(X_test)))")
    j = judge(c, "model_training")
    assert j.score == 1 and "compared by accuracy_score on training rows in cell 3" in (
        j.rationale)


# -- model_use ------------------------------------------------------------------------------
NEW = 'new = pd.read_csv("test.csv")'


def test_model_use_is_not_applicable_when_the_prompt_asks_for_no_predictions():
    c = case(HEAD, XY, SPLIT, FIT, PREDICT_TEST,
             prompt="Which factors drive survival? I only need the analysis.")
    j = judge(c, "model_use")
    assert (j.score, j.metadata["rule"]) == (0, "model_use.not_requested")


def test_pipeline_predicting_on_new_data_with_outputs_scores_3():
    c = case(HEAD, XY, SPLIT, "from sklearn.pipeline import make_pipeline\n"
             "pipe = make_pipeline(SimpleImputer(), RandomForestClassifier(random_state=0))\n"
             "pipe.fit(X_train, y_train)", NEW,
             'pred = pipe.predict(new)\npd.DataFrame({"p": pred}).to_csv("submission.csv")',
             prompt="Predict survival for the passengers in titanic_test.")
    j = judge(c, "model_use")
    assert (j.score, j.metadata["rule"]) == (3, "model_use.consistent")


def test_refitting_preprocessing_on_new_data_scores_1():
    c = case(HEAD, XY, SPLIT, "scaler = StandardScaler()\nX_train = scaler.fit_transform(X_train)",
             FIT, NEW, "X_new = StandardScaler().fit_transform(new)\n"
             'pred = model.predict(X_new)\npd.DataFrame({"p": pred}).to_csv("out.csv")',
             prompt="Write predictions for the passengers in titanic_test.")
    j = judge(c, "model_use")
    assert j.score == 1 and "refits preprocessing on new data" in j.rationale


def test_asked_predictions_that_never_come_score_1():
    c = case(HEAD, XY, SPLIT, FIT, prompt="Give me a submission file for titanic_test.")
    j = judge(c, "model_use")
    assert j.score == 1 and j.metadata["facts"]["predictions"] == 0


def test_new_rows_needing_no_preparation_written_twice_score_3():
    write = 'pd.DataFrame({"p": pred}).to_csv("submission.csv")'
    asks = "Predict survival for the passengers in titanic_test."
    same = case(HEAD, XY, SPLIT, FIT, NEW, f"pred = model.predict(new[X_train.columns])\n{write}",
                prompt=asks)
    j = judge(same, "model_use")
    assert (j.score, j.metadata["facts"]["new_rows_prepared_by_hand"]) == (3, 0)
    assert "no preparation written twice" in j.rationale
    failed = case(*[c.source for c in same.notebook.cells[:-1]],
                  (same.notebook.cells[-1].source, "Traceback (most recent call last):\n"
                   "FileNotFoundError: [Errno 2] No such file"),
                  prompt=asks)
    j = judge(failed, "model_use")
    assert j.score == 2 and "the output write fails" in j.rationale


def test_training_rows_prepared_unlike_the_new_rows_score_1():
    c = case(HEAD, XY, SPLIT, "X_train = X_train.fillna(0)", FIT, NEW,
             'pred = model.predict(new)\npd.DataFrame({"p": pred}).to_csv("submission.csv")',
             prompt="Predict survival for the passengers in titanic_test.")
    j = judge(c, "model_use")
    assert j.score == 1 and j.metadata["facts"]["training_rows_prepared_by_hand"] == 1
    assert "never applied to the new rows" in j.rationale


def test_new_rows_dropped_before_a_written_prediction_score_1():
    c = case(HEAD, XY, SPLIT, FIT, NEW, "new = new.dropna()\npred = model.predict(new)\n"
             'pd.DataFrame({"p": pred}).to_csv("submission.csv")',
             prompt="Predict survival for the passengers in titanic_test.")
    j = judge(c, "model_use")
    assert j.score == 1 and j.metadata["facts"]["new_rows_dropped"]


def test_predictions_only_on_the_rows_the_model_was_fitted_on_score_1():
    c = case("import pandas as pd\nfrom sklearn.linear_model import LinearRegression\n"
             "df = pd.read_csv('salaries.csv')\nX = df[['level']]\ny = df['salary']",
             "model = LinearRegression().fit(X, y)\nprint(model.predict(X))",
             prompt="Predict the salary for a given position level.")
    j = judge(c, "model_use")
    assert j.score == 1 and "every prediction is on the training rows" in j.rationale


def test_saved_weights_loaded_into_a_model_count_as_a_loaded_model():
    score = ('new = new.fillna(0)\npred = model.predict(new)\n'
             'pd.DataFrame({"p": pred}).to_csv("submission.csv")')
    asks = "Predict survival for the passengers in titanic_test."
    assert judge(case(HEAD, XY, SPLIT, FIT, NEW, score, prompt=asks), "model_use").score == 2
    loaded = case(HEAD, XY, SPLIT, FIT, NEW, "model.load_weights('best.h5')\n" + score,
                  prompt=asks)
    j = judge(loaded, "model_use")
    assert j.score == 3 and j.metadata["facts"]["loads_saved_model"]


def test_manual_model_predictions_score_2():
    c = case(HEAD, XY, SPLIT, FIT, NEW, "X_new = new.fillna(0)\npred = model.predict(X_new)",
             prompt="Predict survival for the passengers in titanic_test.")
    j = judge(c, "model_use")
    assert (j.score, j.metadata["rule"]) == (2, "model_use.ad_hoc")


# -- metrics_evaluation ---------------------------------------------------------------------
def test_training_metrics_only_score_1():
    c = case(HEAD, XY, SPLIT, FIT, "print(accuracy_score(y_train, model.predict(X_train)))")
    j = judge(c, "metrics_evaluation")
    assert (j.score, j.metadata["rule"]) == (1, "metrics_evaluation.misleading")


def test_mislabelled_metric_scores_1():
    c = case(HEAD.replace("accuracy_score,", "mean_squared_error,"), XY, SPLIT, FIT,
             PREDICT_TEST, 'print(f"RMSE: {mean_squared_error(y_test, pred):.3f}")',
             task_type="regression")
    j = judge(c, "metrics_evaluation")
    assert j.score == 1 and "mean_squared_error under the label 'rmse" in j.rationale


def test_accuracy_alone_on_an_imbalanced_target_scores_1():
    balance = ('df["Survived"].value_counts(normalize=True)',
               "0    0.97\n1    0.03\nName: Survived, dtype: float64")
    c = case(HEAD, balance, XY, SPLIT, FIT, PREDICT_TEST, "print(accuracy_score(y_test, pred))",
             task_type="classification")
    j = judge(c, "metrics_evaluation")
    assert j.score == 1 and j.metadata["facts"]["minority_share"] == pytest.approx(0.03)


def test_held_out_metrics_without_baseline_score_2_and_with_baseline_score_3():
    metrics = ("print(f1_score(y_test, pred))\n"
               "print(roc_auc_score(y_test, model.predict_proba(X_test)[:, 1]))")
    ok = judge(case(HEAD, XY, SPLIT, FIT, PREDICT_TEST, metrics), "metrics_evaluation")
    assert ok.score == 2 and ok.metadata["facts"]["baseline_present"] is False
    good = judge(case(HEAD, XY, SPLIT, FIT, PREDICT_TEST, metrics,
                      "from sklearn.dummy import DummyClassifier\n"
                      "base = DummyClassifier().fit(X_train, y_train)\n"
                      "print(f1_score(y_test, base.predict(X_test)))"), "metrics_evaluation")
    assert (good.score, good.metadata["rule"]) == (3, "metrics_evaluation.complete")


# -- mlflow_logging -------------------------------------------------------------------------
def test_no_mlflow_scores_1_where_tracking_is_expected_and_0_where_not():
    c = case(HEAD, XY, SPLIT, FIT)
    assert judge(c, "mlflow_logging").score == 1
    assert judge(c, "mlflow_logging", tracking_expected=False).score == 0
    tracked = case(HEAD, XY, SPLIT, FIT, prompt="Train it and track the run in MLflow.")
    assert judge(tracked, "mlflow_logging", tracking_expected=False).score == 1


def test_full_tracking_scores_3_and_metrics_only_scores_2():
    full = case(HEAD, XY, SPLIT, FIT, "import mlflow\nfrom mlflow.models import infer_signature\n"
                'mlflow.set_experiment("/Shared/titanic")\nwith mlflow.start_run():\n'
                '    mlflow.log_params({"n_estimators": 100})\n'
                '    mlflow.log_metric("acc", 0.8)\n'
                "    sig = infer_signature(X_train, model.predict(X_train))\n"
                '    mlflow.sklearn.log_model(model, "model", signature=sig)')
    assert judge(full, "mlflow_logging").score == 3
    partial = case(HEAD, XY, SPLIT, FIT, "import mlflow\nwith mlflow.start_run():\n"
                   '    mlflow.log_metric("acc", 0.8)')
    j = judge(partial, "mlflow_logging")
    assert j.score == 2 and j.metadata["facts"]["model_signature"] is False


def test_unended_run_scores_1():
    c = case(HEAD, XY, SPLIT, FIT, 'import mlflow\nmlflow.start_run()\nmlflow.log_metric("a", 1)')
    j = judge(c, "mlflow_logging")
    assert (j.score, j.metadata["rule"]) == (1, "mlflow_logging.broken")


# -- cell_organization ----------------------------------------------------------------------
def test_monolithic_notebook_scores_1():
    body = "\n".join(f"x{i} = {i}" for i in range(60))
    j = judge(case(body), "cell_organization")
    assert (j.score, j.metadata["rule"]) == (1, "cell_organization.chaotic")


def test_sectioned_notebook_scores_3_and_unnarrated_one_scores_lower():
    cells = []
    for title, code in [("Data", HEAD), ("Target", XY), ("Split", SPLIT), ("Model", FIT)]:
        cells += [f"md:## {title}\nWhy this step.", code]
    assert judge(case(*cells), "cell_organization").score == 3
    bare = judge(case(HEAD, XY, SPLIT, FIT), "cell_organization")
    assert bare.score == 2 and bare.metadata["facts"]["headers"] == 0


# -- faults found by the facts added for the study's misses ---------------------------------
NEW_DATA = 'test = pd.read_csv("test.csv")\nX_new = test.copy()\nX_new = add_features(X_new)'
PROMPT = "Predict the outcome for the rows in test.csv and write a submission."


def test_model_use_refitting_a_column_transformer_on_new_data_scores_1():
    c = case(HEAD + "\nfrom sklearn.compose import ColumnTransformer\n"
             "from sklearn.pipeline import Pipeline", XY, SPLIT,
             "prep = ColumnTransformer([('num', StandardScaler(), cols)])\n"
             "pipe = Pipeline([('prep', prep), ('m', RandomForestClassifier())])\n"
             "pipe.fit(X_train, y_train)", NEW_DATA,
             "X_new = prep.fit_transform(X_new)\npreds = pipe.named_steps['m'].predict(X_new)\n"
             "pd.DataFrame({'p': preds}).to_csv('out.csv')", prompt=PROMPT)
    j = judge(c, "model_use")
    assert j.score == 1 and j.metadata["facts"]["transform_refit_on_test"]
    assert "StandardScaler in cell 5 refits preprocessing" in j.rationale


def test_model_use_get_dummies_of_new_data_unaligned_scores_1_though_validation_is_aligned():
    c = case(HEAD, XY, SPLIT,
             "X_train = pd.get_dummies(X_train)\n"
             "X_test = pd.get_dummies(X_test).reindex(columns=X_train.columns, fill_value=0)",
             FIT, 'test = pd.read_csv("test.csv")\nX_new = pd.get_dummies(test)\n'
             "preds = model.predict(X_new)", prompt=PROMPT)
    j = judge(c, "model_use")
    assert j.score == 1 and "get_dummies in cell 5 encodes the new data" in j.rationale


def test_model_use_new_data_through_a_function_reusing_fitted_values_scores_3():
    prepare = ("def prepare(frame):\n    frame = frame.fillna(fill_values)\n"
               "    return pd.get_dummies(frame).reindex(columns=X_train.columns, fill_value=0)")
    c = case(HEAD, XY, SPLIT, "fill_values = X_train.median()", FIT, prepare,
             'test = pd.read_csv("test.csv")\nX_new = prepare(test)\npreds = model.predict(X_new)\n'
             "pd.DataFrame({'p': preds}).to_csv('out.csv')", prompt=PROMPT)
    j = judge(c, "model_use")
    assert j.score == 3 and j.metadata["facts"]["predicts_through_function"]
    refits = prepare.replace("fillna(fill_values)", "fillna(frame.median())")
    c2 = case(*[cell.source for cell in c.notebook.cells[:5]], refits,
              c.notebook.cells[6].source, prompt=PROMPT)
    assert judge(c2, "model_use").score < 3


def test_data_imputation_imputer_fitted_before_a_date_mask_split_scores_1():
    c = case(HEAD, "imputer = SimpleImputer(strategy='median')\n"
             "df[cols] = imputer.fit_transform(df[cols])",
             "X = df[cols]\ny = df['sales']\nis_train = df['date'] <= cutoff\n"
             "X_train, X_valid = X[is_train], X[~is_train]",
             "model = RandomForestClassifier(random_state=0)\nmodel.fit(X_train, y[is_train])")
    j = judge(c, "data_imputation")
    assert j.score == 1 and "SimpleImputer in cell 1 learns fill values before date_mask" \
        in j.rationale


SCORED = (HEAD + "\nfrom sklearn.dummy import DummyClassifier", XY, SPLIT, FIT,
          "baseline = DummyClassifier().fit(X_train, y_train)")


def test_metrics_accuracy_alone_on_a_rare_event_prompt_scores_1():
    c = case(*SCORED, "print(accuracy_score(y_test, model.predict(X_test)))\n"
             "mlflow.log_metric('auc', roc_auc_score(y_test, model.predict_proba(X_test)[:, 1]))",
             prompt="How well can fraud be detected in these card transactions?",
             task_type="classification")
    j = judge(c, "metrics_evaluation")
    assert j.score == 1 and j.metadata["facts"]["accuracy_only"]
    assert "rare event" in j.rationale
    churn = case(*[cell.source for cell in c.notebook.cells],
                 prompt="Which customers will churn?", task_type="classification")
    assert judge(churn, "metrics_evaluation").score == 2


def test_metrics_whose_cells_all_fail_are_not_reported():
    failing = ("print(accuracy_score(y_test, model.predict(X_test)))",
               "Traceback (most recent call last):\nValueError: Classification metrics can't "
               "handle a mix of unknown and binary targets")
    j = judge(case(HEAD, XY, SPLIT, FIT, failing), "metrics_evaluation")
    assert (j.score, j.metadata["facts"]["metrics_failed"]) == (1, True)
    shown = (failing[0], "0.81")
    assert judge(case(HEAD, XY, SPLIT, FIT, shown), "metrics_evaluation").score == 2


def test_predictions_passed_before_the_true_values_are_mislabelled_metrics():
    swapped = "pred = model.predict(X_test)\nprint(classification_report(pred, y_test))"
    j = judge(case(HEAD, XY, SPLIT, FIT, swapped), "metrics_evaluation")
    assert j.score == 1 and j.metadata["facts"]["swapped_metric_arguments"] == [
        "classification_report"]
    symmetric = "pred = model.predict(X_test)\nprint(accuracy_score(pred, y_test))"
    assert judge(case(HEAD, XY, SPLIT, FIT, symmetric), "metrics_evaluation").score == 2


def test_keras_validation_scores_count_as_held_out_metrics():
    keras = ("from keras.models import Sequential\nmodel = Sequential()\n"
             "model.compile(loss='categorical_crossentropy', metrics=['accuracy'])\n"
             "history = model.fit(X_train, y_train, validation_data=(X_test, y_test))")
    j = judge(case(HEAD, XY, SPLIT, keras), "metrics_evaluation")
    assert j.score == 2 and j.metadata["facts"]["heldout_metrics"] == 1


def test_metrics_need_the_baseline_scored_and_two_held_out_metrics_for_3():
    shown = ("pred = model.predict(X_test)\nprint(f1_score(y_test, pred))\n"
             "print(roc_auc_score(y_test, model.predict_proba(X_test)[:, 1]))")
    unscored = judge(case(*SCORED, shown, task_type="classification"), "metrics_evaluation")
    assert unscored.score == 2 and "never scored" in unscored.rationale
    scored = judge(case(*SCORED, shown + "\nprint(f1_score(y_test, baseline.predict(X_test)))",
                        task_type="classification"), "metrics_evaluation")
    assert scored.score == 3 and scored.metadata["facts"]["baseline_compared"]
    single = judge(case(*SCORED, "print(f1_score(y_test, model.predict(X_test)))\n"
                        "print(f1_score(y_test, baseline.predict(X_test)))",
                        task_type="classification"), "metrics_evaluation")
    assert single.score == 2 and "a single metric for the held-out rows" in single.rationale

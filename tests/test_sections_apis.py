"""Tests for memalign_nb.sections.apis: classes recognised by name."""

from __future__ import annotations

import pytest

from memalign_nb.sections.apis import METRICS, classify_class


@pytest.mark.parametrize(("cls", "path", "expected"), [
    ("SimpleImputer", "sklearn.impute.SimpleImputer", ("transformer", "imputer")),
    ("TargetEncoder", "category_encoders.TargetEncoder", ("transformer", "encoder")),
    ("MyCustomScaler", "MyCustomScaler", ("transformer", "scaler")),
    ("LogisticRegression", "LogisticRegression", ("model", "classifier")),
    ("LinearRegression", "LinearRegression", ("model", "regressor")),
    ("XGBClassifier", "xgboost.XGBClassifier", ("model", "classifier")),
    ("LGBMRegressor", "lightgbm.LGBMRegressor", ("model", "regressor")),
    ("SARIMAX", "statsmodels.api.tsa.SARIMAX", ("model", "forecaster")),
    ("KMeans", "sklearn.cluster.KMeans", ("model", "clusterer")),
    ("Model", "tensorflow.keras.Model", ("model", "neural_net")),
    ("Model", "mymodels.Model", None),
    ("make_pipeline", "make_pipeline", ("pipeline", "")),
    ("GridSearchCV", "GridSearchCV", ("search", "")),
    ("TimeSeriesSplit", "TimeSeriesSplit", ("splitter", "")),
    ("read_csv", "pandas.read_csv", None),
    ("ols", "statsmodels.formula.api.ols", ("model", "regressor")),
    ("get_tools", "get_tools", None),
])
def test_classify_class(cls, path, expected):
    assert classify_class(cls, path) == expected


def test_metric_families():
    assert METRICS["roc_auc_score"] == "classification"
    assert METRICS["mean_absolute_error"] == "regression"
    assert METRICS["mean_absolute_percentage_error"] == "forecasting"

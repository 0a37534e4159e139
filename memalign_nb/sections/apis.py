"""What the fact scanner knows about ML APIs: class families, method and function names.

Plain tables, kept apart from the walking code in :mod:`memalign_nb.sections.analysis`
so they can be read and extended in one place. Classes are recognised by their own name
(``StandardScaler`` whether written ``StandardScaler()`` or
``sklearn.preprocessing.StandardScaler()``), since notebooks import them in any cell.
"""

from __future__ import annotations

import re


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


TRANSFORMERS: dict[str, frozenset[str]] = {
    "imputer": _words("SimpleImputer KNNImputer IterativeImputer Imputer MissingIndicator"),
    "scaler": _words("StandardScaler MinMaxScaler RobustScaler MaxAbsScaler Normalizer"
                     " QuantileTransformer PowerTransformer"),
    "encoder": _words("OneHotEncoder LabelEncoder OrdinalEncoder TargetEncoder LabelBinarizer"
                      " MultiLabelBinarizer"),
    "vectoriser": _words("CountVectorizer TfidfVectorizer HashingVectorizer TfidfTransformer"
                         " DictVectorizer Tokenizer"),
    "decomposition": _words("PCA TruncatedSVD KernelPCA IncrementalPCA SparsePCA NMF FastICA"
                            " FactorAnalysis LatentDirichletAllocation TSNE UMAP Isomap"),
    "selector": _words("SelectKBest SelectPercentile RFE RFECV SelectFromModel"
                       " VarianceThreshold SequentialFeatureSelector GenericUnivariateSelect"),
    "resampler": _words("SMOTE ADASYN RandomOverSampler RandomUnderSampler SMOTETomek SMOTEENN"
                        " NearMiss BorderlineSMOTE SVMSMOTE SMOTENC TomekLinks"),
    "other": _words("PolynomialFeatures KBinsDiscretizer Binarizer FunctionTransformer"
                    " SplineTransformer"),
}
"""Transformer classes by family (the ``group`` of ``transform`` events)."""

_TRANSFORMER_SUFFIXES = (
    (re.compile(r"Imputer$"), "imputer"), (re.compile(r"Scaler$"), "scaler"),
    (re.compile(r"Encoder$"), "encoder"), (re.compile(r"Vectori[sz]er$"), "vectoriser"),
)

PIPELINES = _words("Pipeline make_pipeline ColumnTransformer make_column_transformer"
                   " FeatureUnion make_union TransformedTargetRegressor")
"""Classes that chain transformers and an estimator."""

SEARCHES = _words("GridSearchCV RandomizedSearchCV HalvingGridSearchCV HalvingRandomSearchCV"
                  " BayesSearchCV TuneSearchCV TuneGridSearchCV")
"""Hyper-parameter searches (their ``fit`` tunes on the data given)."""

SPLITTERS = _words("KFold StratifiedKFold GroupKFold RepeatedKFold RepeatedStratifiedKFold"
                   " TimeSeriesSplit ShuffleSplit StratifiedShuffleSplit LeaveOneOut LeavePOut"
                   " GroupShuffleSplit StratifiedGroupKFold PredefinedSplit LeaveOneGroupOut")
"""Cross-validation splitters."""

SHUFFLING_SPLITTERS = _words("ShuffleSplit StratifiedShuffleSplit GroupShuffleSplit")
"""Splitters that always shuffle rows."""

FORECASTERS = _words("ARIMA SARIMAX AutoReg ExponentialSmoothing Holt SimpleExpSmoothing"
                     " Prophet NeuralProphet VAR ThetaModel STLForecast auto_arima AutoARIMA"
                     " UnobservedComponents NBEATSModel ExponentialSmoothingForecaster")
"""Time-series forecasting models."""

CLUSTERERS = _words("KMeans MiniBatchKMeans DBSCAN HDBSCAN AgglomerativeClustering"
                    " GaussianMixture MeanShift SpectralClustering Birch OPTICS"
                    " AffinityPropagation")
"""Unsupervised clustering models."""

BASELINES = _words("DummyClassifier DummyRegressor NaiveForecaster")
"""Baseline models."""

NEURAL_NETS = _words("Sequential Model")
"""Keras model classes."""

_CLASSIFIER = re.compile(
    r"(Classifier|SVC|NB|LogisticRegression|LogisticRegressionCV|Perceptron|Logit|Probit"
    r"|LinearDiscriminantAnalysis|QuadraticDiscriminantAnalysis)$")
_REGRESSOR = re.compile(
    r"(Regressor|Regression|RegressionCV|Ridge|RidgeCV|Lasso|LassoCV|ElasticNet|ElasticNetCV"
    r"|SVR|Lars|LassoLars|BayesianRidge|OLS|GLM|WLS|KernelRidge)$|^(ols|glm|wls)$")


def classify_class(cls: str, path: str) -> tuple[str, str] | None:
    """``(kind, group)`` of a class or factory name, or None if it is not an ML object.

    Parameters
    ----------
    cls : str
        The called name's last part (``"StandardScaler"``).
    path : str
        The full dotted path after import aliases (``"sklearn.preprocessing.StandardScaler"``),
        used to tell Keras ``Model`` from other ``Model`` classes.

    Returns
    -------
    tuple of (str, str) or None
        ``kind`` is ``transformer``, ``model``, ``pipeline``, ``search``, ``splitter`` or
        ``client`` (an MLflow client); ``group`` is the transformer or model family.
    """
    for group, names in TRANSFORMERS.items():
        if cls in names:
            return "transformer", group
    for pattern, group in _TRANSFORMER_SUFFIXES:
        if pattern.search(cls):
            return "transformer", group
    if cls in PIPELINES:
        return "pipeline", ""
    if cls in SEARCHES:
        return "search", ""
    if cls in SPLITTERS:
        return "splitter", ""
    if cls == "MlflowClient":
        return "client", ""
    if cls in FORECASTERS:
        return "model", "forecaster"
    if cls in CLUSTERERS:
        return "model", "clusterer"
    if cls in NEURAL_NETS and (cls == "Sequential" or "keras" in path):
        return "model", "neural_net"
    if _CLASSIFIER.search(cls) or cls == "DummyClassifier":
        return "model", "classifier"
    if _REGRESSOR.search(cls) or cls == "DummyRegressor":
        return "model", "regressor"
    return None


FIT_METHODS = _words("fit fit_transform fit_resample partial_fit fit_predict fit_generator"
                     " fit_on_texts")
"""Methods that learn from the data they are given."""

CHAIN_METHODS = _words("fit set_params set_output")
"""Methods that return the estimator itself (``Model().fit(X, y)``)."""

PREDICT_METHODS = _words("predict predict_proba predict_log_proba decision_function"
                         " predict_classes predict_generator forecast get_forecast")
"""Methods that use a fitted model on data."""

METRICS: dict[str, str] = {
    **dict.fromkeys(_words(
        "accuracy_score balanced_accuracy_score f1_score precision_score recall_score"
        " roc_auc_score average_precision_score log_loss confusion_matrix classification_report"
        " matthews_corrcoef cohen_kappa_score roc_curve precision_recall_curve fbeta_score"
        " jaccard_score hamming_loss zero_one_loss brier_score_loss top_k_accuracy_score"
        " precision_recall_fscore_support accuracy f1 roc_auc precision recall"
        " ConfusionMatrixDisplay RocCurveDisplay PrecisionRecallDisplay plot_confusion_matrix"
        " plot_roc_curve"), "classification"),
    **dict.fromkeys(_words(
        "mean_absolute_error mean_squared_error root_mean_squared_error r2_score"
        " mean_squared_log_error median_absolute_error explained_variance_score max_error"
        " mean_pinball_loss mean_poisson_deviance mean_gamma_deviance mean_tweedie_deviance"
        " neg_mean_squared_error neg_root_mean_squared_error neg_mean_absolute_error r2"
        " rmse mae mse"), "regression"),
    **dict.fromkeys(_words(
        "mean_absolute_percentage_error neg_mean_absolute_percentage_error mape smape"
        " mean_absolute_scaled_error"), "forecasting"),
}
"""Metric functions (and ``scoring=`` names) by family."""

IMBALANCE_METRICS = _words("f1_score roc_auc_score average_precision_score fbeta_score"
                           " precision_recall_curve balanced_accuracy_score matthews_corrcoef"
                           " classification_report f1 roc_auc precision recall"
                           " precision_score recall_score")
"""Metrics that stay informative when classes are imbalanced."""

CV_FUNCTIONS = _words("cross_val_score cross_validate cross_val_predict learning_curve"
                      " validation_curve permutation_test_score")
"""Functions that cross-validate an estimator."""

SEED_FUNCTIONS = _words(
    "numpy.random.seed random.seed tensorflow.random.set_seed tensorflow.set_random_seed"
    " torch.manual_seed torch.cuda.manual_seed torch.cuda.manual_seed_all"
    " keras.utils.set_random_seed tensorflow.keras.utils.set_random_seed seed_everything"
    " set_seed seed_all numpy.random.RandomState numpy.random.default_rng")
"""Calls that fix a random seed (qualified, or bare names of common helpers)."""

MODEL_LOADERS = _words(
    "joblib.load pickle.load load_model load torch.load mlflow.pyfunc.load_model"
    " mlflow.sklearn.load_model keras.models.load_model tensorflow.keras.models.load_model")
"""Calls that load a saved model."""

DATA_SOURCES = _words("read_csv read_excel read_json read_parquet read_table read_sql"
                      " read_feather read_pickle read_hdf load_dataset loadtxt genfromtxt"
                      " load_data load_iris load_digits load_wine load_breast_cancer"
                      " load_diabetes fetch_openml fetch_california_housing make_classification"
                      " make_regression make_blobs DataFrame")
"""Calls that produce a dataset (their result is ``full`` data unless named otherwise)."""

SOURCE_PREFIXES = ("pandas.read_", "sklearn.datasets.", "seaborn.load_dataset")
"""Qualified-name prefixes of data sources."""

FRAME_METHODS = _words(
    "copy drop dropna fillna merge join reset_index set_index sort_values query assign"
    " rename astype head tail sample replace drop_duplicates reindex select_dtypes"
    " interpolate apply transform")
"""pandas methods that return another pandas object."""

NON_FRAME_ATTRIBUTES = _words("values shape columns index dtypes size ndim")
"""Attributes of a pandas object that are not pandas objects."""

MISSING_CHECKS = _words("isnull isna notnull notna isnan")
"""Methods that measure missingness."""

MISSING_HANDLERS = _words("fillna dropna interpolate ffill bfill backfill pad")
"""Methods that handle missing values."""

STATISTICS = _words("mean median mode std var min max quantile agg sum")
"""Statistics that a fill value may be learned from."""

BINNINGS = _words("cut qcut")
"""pandas binnings, learned from the data when their edges are (``pd.cut(x, 5)``)."""

COLUMN_STATISTICS = _words("mean median std var quantile") | BINNINGS
"""Statistics a column is standardised or binned with by hand (``(x - x.mean()) /
x.std()``): a transform learned from the rows it is computed on."""

CATEGORY_ENCODERS = _words("LabelEncoder OneHotEncoder OrdinalEncoder LabelBinarizer"
                           " MultiLabelBinarizer get_dummies")
"""Encoders that learn only the list of categories, no statistic of the rows: fitted on
all rows they leak nothing (fitted apart on new data, they assign other codes)."""

ORDER_SENSITIVE = re.compile(
    r"^(?:KNeighbors|RadiusNeighbors|SVC|SVR|NuSVC|NuSVR|MLP|GaussianNB|Perceptron|SGD"
    r"|LogisticRegression|LinearRegression|Ridge|Lasso|ElasticNet|Lars|LinearSVC|LinearSVR"
    r"|OLS|Logit|LinearDiscriminant|BayesianRidge|HuberRegressor|KernelRidge)")
"""Models that read numbers as quantities (distances, weights): integer codes of
unordered categories invent an order for them; trees only split on them."""

ORDINAL_WORDS = re.compile(
    r"\b(?:low|lower|medium|mid|middle|high|higher|small|large|big|poor|fair|good|excellent"
    r"|bad|average|ex|gd|ta|fa|po|none|few|many|never|rarely|sometimes|often|always|first"
    r"|second|third|\d+(?:st|nd|rd|th)|child|teen|teenager|adult|senior|young|old|mild"
    r"|moderate|severe|basic|advanced|primary|secondary|tertiary|bachelor|master|doctorate"
    r"|phd|beginner|intermediate|expert|\d+)\b", re.I)
"""Category names that sit on a scale (sizes, grades, frequencies, levels): coding them
as ordered integers is meaningful."""

EDA_METHODS = _words("head tail info describe value_counts corr corrwith nunique unique skew kurt"
                     " groupby crosstab pivot_table profile_report")
"""Methods that inspect data."""

EDA_ATTRIBUTES = _words("shape dtypes")
"""Attributes that inspect data."""

PLOT_MODULES = _words("matplotlib seaborn plotly missingno bokeh altair")
"""Modules whose calls draw plots."""

PLOT_METHODS = _words("plot hist boxplot")
"""pandas methods that draw plots."""

TIME_METHODS = _words("resample rolling shift asfreq expanding ewm tz_localize")
"""Methods that only make sense on time-ordered data."""

WRITE_METHODS = _words("to_csv to_excel to_parquet to_json save save_model dump")
"""Methods that write results or models out."""

NON_DATA_KEYWORDS = _words("test_size train_size random_state shuffle stratify cv scoring"
                           " n_jobs verbose epochs batch_size callbacks")
"""Keyword arguments that never carry the data being fitted or scored."""

DATE_NAME = re.compile(r"date|time|year|month|week|day|timestamp|period|(?:^|_)dt(?:$|_)", re.I)
"""Names of columns that hold dates or times."""

TEST_NAME = re.compile(r"test|valid|holdout|hold_out|(?:^|_)(?:val|va|tst|dev|oof)(?:$|_|\d)")
"""Variable names of held-out data (lower-cased)."""

TRAIN_NAME = re.compile(r"train|(?:^|_)(?:trn|tr)(?:$|_|\d)")
"""Variable names of training data (lower-cased)."""

TARGET_NAME = re.compile(r"^(?:y|target|label|labels|y_(?:train|full|all|data)|target_col"
                         r"|target_column|label_col|ytrain|y_tr)$")
"""Variable names that hold the target (lower-cased)."""

FEATURES_NAME = re.compile(r"^(?:x|features|feats|x_(?:train|full|all|data)|xtrain|x_tr)$")
"""Variable names that hold the feature matrix (lower-cased)."""

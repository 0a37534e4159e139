"""The API knowledge :func:`~memalign_nb.sections.classify.classify_cell` reads code with.

A :class:`Vocabulary` is a handful of read-only tables mapping API names (modules,
functions, methods, attributes, magics) to the dimensions they bear on;
:data:`DEFAULT_VOCABULARY` covers scikit-learn, pandas, numpy, plotting libraries,
Keras/TensorFlow, PyTorch, gradient boosting libraries, statsmodels, imbalanced-learn,
model persistence and MLflow. ``Vocabulary.extend`` adds a team's own APIs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from memalign_nb.dimensions import DIMENSIONS, check_dimension
from memalign_nb.sections import apis

CELL_DIMENSIONS: tuple[str, ...] = DIMENSIONS[:8]
"""The dimensions a single cell can bear on (``cell_organization`` is notebook-wide)."""
LIB, EDA, IMP, FE, TRAIN, USE, METRICS, MLFLOW = CELL_DIMENSIONS
Dims = frozenset[str]


def _dims(dims: str | Iterable[str]) -> Dims:
    """Return ``dims`` as a frozenset of cell dimension ids, checking each one."""
    dims = frozenset([dims] if isinstance(dims, str) else dims)
    for dim in dims:
        check_dimension(dim, CELL_DIMENSIONS)
    return dims


def _frozen(table: Mapping[str, str | Iterable[str]]) -> Mapping[str, Dims]:
    """Return ``table`` as a read-only mapping to checked frozensets."""
    return MappingProxyType({name: _dims(dims) for name, dims in table.items()})


@dataclass(frozen=True, eq=False)
class Vocabulary:
    """API knowledge used by :func:`classify_cell`: names mapped to dimension ids.

    Every table maps a name to a frozenset of dimension ids; an empty set marks a known
    API that bears on no dimension (data loading), which also stops the weaker rules from
    guessing. Build a variant with :meth:`extend`; the default is
    :data:`DEFAULT_VOCABULARY`.

    Attributes
    ----------
    aliases : Mapping[str, str]
        Conventional import aliases assumed when a cell uses a name it does not import
        (``"plt" -> "matplotlib.pyplot"``); the cell's own imports take precedence.
    qualified : Mapping[str, frozenset of str]
        Fully qualified names or dotted prefixes (``"sklearn.impute"``,
        ``"sklearn.model_selection.train_test_split"``); the longest matching prefix wins.
    functions : Mapping[str, frozenset of str]
        Bare function or class names (``"SimpleImputer"``, ``"accuracy_score"``), for
        names whose import is in another cell.
    methods : Mapping[str, frozenset of str]
        Method names called on any object (``"fillna"``, ``"fit"``, ``"to_csv"``).
    attributes : Mapping[str, frozenset of str]
        Attribute names read anywhere (``"__version__"``, ``"best_params_"``).
    inspections : frozenset of str
        Method or attribute names that inspect data (``"head"``, ``"shape"``):
        ``exploratory_data_analysis`` when their result is shown, nothing when assigned.
    derivations : frozenset of str
        Functions or methods that compute new data from data (``"merge"``, ``"apply"``):
        ``feature_engineering`` unless the cell plots or shows a stronger signal, since
        reshaping data for a plot is part of the plot.
    display_functions : frozenset of str
        Functions that show their arguments (``"print"``, ``"display"``).
    predictions : frozenset of str
        Methods that predict (``"predict"``, ``"predict_proba"``): ``model_use`` as well
        when their input is not a split of the training data.
    split_names : str
        Regular expression matching variable names that by convention hold a split of the
        training data (``X_test``, ``val_x``, ``y_train``); predicting on them is
        evaluation, predicting on anything else (``test_df``) is using the model.
    patterns : tuple of (str, frozenset of str)
        Case-insensitive regular expressions tried, in order, on called names no table
        knows (``r"Classifier$"``, ``r"_score$"``) and on the variable a ``fit`` or
        ``transform`` is called on (``scaler.fit`` is ``feature_engineering``).
    magics : Mapping[str, frozenset of str]
        First word of an IPython magic or shell line (``%pip``, ``!ls``, ``%%sql``).
    transparent_magics : frozenset of str
        Magics whose argument is ordinary code analysed as such (``%time``, ``%%capture``).
    """

    aliases: Mapping[str, str] = field(default_factory=dict)
    qualified: Mapping[str, Dims] = field(default_factory=dict)
    functions: Mapping[str, Dims] = field(default_factory=dict)
    methods: Mapping[str, Dims] = field(default_factory=dict)
    attributes: Mapping[str, Dims] = field(default_factory=dict)
    inspections: frozenset[str] = frozenset()
    derivations: frozenset[str] = frozenset()
    display_functions: frozenset[str] = frozenset()
    predictions: frozenset[str] = frozenset()
    split_names: str = r"(?!)"
    patterns: tuple[tuple[str, Dims], ...] = ()
    magics: Mapping[str, Dims] = field(default_factory=dict)
    transparent_magics: frozenset[str] = frozenset()
    _compiled: tuple[tuple[re.Pattern[str], Dims], ...] = field(init=False, repr=False)
    _roots: frozenset[str] = field(init=False, repr=False)  # top-level modules in the tables

    def __post_init__(self) -> None:
        for name in ("qualified", "functions", "methods", "attributes", "magics"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))
        object.__setattr__(self, "aliases", MappingProxyType(dict(self.aliases)))
        patterns = tuple((pattern, _dims(dims)) for pattern, dims in self.patterns)
        object.__setattr__(self, "patterns", patterns)
        object.__setattr__(
            self, "_compiled", tuple((re.compile(p, re.IGNORECASE), d) for p, d in patterns)
        )
        object.__setattr__(self, "_roots", frozenset(k.split(".")[0] for k in self.qualified))

    def extend(self, **tables: Mapping[str, object] | Iterable[object]) -> Vocabulary:
        """Return a copy with more entries; mappings are merged, sets and tuples added to.

        Parameters
        ----------
        **tables
            Field name to new entries, e.g.
            ``methods={"fit_pipeline": ["model_training"]}``,
            ``inspections={"glimpse"}``. A name already present gets the given
            dimensions in addition to its own.

        Returns
        -------
        Vocabulary
            The extended vocabulary; ``self`` is unchanged.

        Raises
        ------
        memalign_nb.errors.UnknownNameError
            When a field name or a dimension id is unknown.
        """
        from memalign_nb.errors import UnknownNameError

        changes: dict[str, object] = {}
        for name, entries in tables.items():
            current = getattr(self, name, None)
            if current is None or name.startswith("_"):
                raise UnknownNameError("vocabulary table", name, _TABLE_FIELDS)
            if name == "aliases":
                changes[name] = {**current, **entries}
            elif isinstance(current, str):
                changes[name] = entries  # split_names: the new expression replaces the old
            elif isinstance(current, Mapping):
                merged = {key: set(dims) for key, dims in current.items()}
                for key, dims in _frozen(entries).items():
                    merged.setdefault(key, set()).update(dims)
                changes[name] = merged
            elif isinstance(current, tuple):
                changes[name] = (*tuple(entries), *current)  # new patterns are tried first
            else:
                changes[name] = current | frozenset(entries)
        return replace(self, **changes)


_TABLE_FIELDS = tuple(name for name in Vocabulary.__dataclass_fields__ if not name.startswith("_"))


def _table(*groups: tuple[tuple[str, ...], str | Iterable[str]]) -> dict[str, Dims]:
    """Build a table from ``(dims, "name name ...")`` groups; repeated names get the union."""
    table: dict[str, set[str]] = {}
    for dims, names in groups:
        for name in _words(names) if isinstance(names, str) else names:
            table.setdefault(name, set()).update(dims)
    return {name: frozenset(dims) for name, dims in table.items()}


def _words(names: str) -> frozenset[str]:
    """The whitespace-separated names of a table row."""
    return frozenset(names.split())


_MLFLOW_FLAVORS = "pyfunc sklearn xgboost lightgbm catboost keras tensorflow pytorch spark"

_ALIASES = {
    "np": "numpy",
    "pd": "pandas",
    "plt": "matplotlib.pyplot",
    "mpl": "matplotlib",
    "sns": "seaborn",
    "px": "plotly.express",
    "go": "plotly.graph_objects",
    "py": "plotly.offline",
    "msno": "missingno",
    "tf": "tensorflow",
    "nn": "torch.nn",
    "layers": "tensorflow.keras.layers",
    "optim": "torch.optim",
    "F": "torch.nn.functional",
    "xgb": "xgboost",
    "lgb": "lightgbm",
    "lgbm": "lightgbm",
    "cb": "catboost",
    "sm": "statsmodels.api",
    "smf": "statsmodels.formula.api",
    "stats": "scipy.stats",
    "metrics": "sklearn.metrics",
    "preprocessing": "sklearn.preprocessing",
    "model_selection": "sklearn.model_selection",
    "transforms": "torchvision.transforms",
}  # a root that is itself a module in the tables (mlflow, os, torch) needs no alias

_QUALIFIED = _table(
    (
        (),
        "pandas.read_csv pandas.read_excel pandas.read_json pandas.read_parquet pandas.read_sql"
        " pandas.read_table pandas.read_feather pandas.read_pickle pandas.read_hdf numpy.loadtxt"
        " numpy.genfromtxt numpy.load sklearn.datasets tensorflow.keras.datasets keras.datasets"
        " glob os.path pathlib json csv",
    ),
    ((LIB,), "os.environ"),
    (
        (),
        "keras.backend tensorflow.keras.backend gc time seaborn.set seaborn.set_style"
        " seaborn.set_theme seaborn.set_context seaborn.set_palette matplotlib.style"
        " matplotlib.pyplot.style matplotlib.rc matplotlib.rcParams matplotlib.pyplot.rcParams"
        " matplotlib.pyplot.rc",
    ),
    ((LIB,), {name for name in apis.SEED_FUNCTIONS if "." in name}),
    ((USE,), {name for name in apis.MODEL_LOADERS if "." in name}),
    ((EDA,), apis.PLOT_MODULES),
    (
        (LIB,),
        "warnings.filterwarnings warnings.simplefilter pandas.set_option"
        " pandas.options sklearn.set_config nltk.download sys.version platform"
        " pkg_resources importlib.metadata.version tensorflow.config torch.device"
        " torch.cuda.is_available",
    ),
    (
        (EDA,),
        "wordcloud folium mpl_toolkits"
        " pandas.plotting pandas.crosstab IPython.display pandas_profiling ydata_profiling"
        " sweetviz scipy.stats os.listdir os.walk",
    ),
    (
        (IMP,),
        "sklearn.impute fancyimpute missingpy numpy.nan numpy.NaN numpy.isnan pandas.NA"
        " pandas.isnull pandas.isna math.nan",
    ),
    (
        (FE,),
        "sklearn.preprocessing sklearn.feature_extraction sklearn.feature_selection"
        " sklearn.decomposition sklearn.manifold sklearn.compose sklearn.random_projection"
        " sklearn.metrics.pairwise sklearn.model_selection.train_test_split"
        " sklearn.cross_validation.train_test_split sklearn.utils.shuffle"
        " sklearn.utils.resample imblearn.over_sampling imblearn.under_sampling"
        " imblearn.combine category_encoders pandas.get_dummies pandas.cut pandas.qcut"
        " scipy.stats.boxcox scipy.special.boxcox1p"
        " tensorflow.keras.preprocessing keras.preprocessing tensorflow.keras.utils"
        " keras.utils torchvision.transforms torch.utils.data nltk.tokenize nltk.stem"
        " nltk.corpus gensim statsmodels.api.add_constant",
    ),
    (
        (TRAIN,),
        "sklearn.linear_model sklearn.ensemble sklearn.tree sklearn.svm sklearn.neighbors"
        " sklearn.naive_bayes sklearn.neural_network sklearn.cluster"
        " sklearn.discriminant_analysis sklearn.gaussian_process sklearn.kernel_ridge"
        " sklearn.mixture sklearn.multiclass sklearn.multioutput sklearn.calibration"
        " sklearn.dummy sklearn.pipeline sklearn.model_selection sklearn.cross_validation"
        " sklearn.grid_search imblearn.pipeline xgboost lightgbm catboost statsmodels"
        " pmdarima prophet fbprophet tensorflow.keras keras torch.nn torch.optim"
        " torchvision.models fastai transformers optuna hyperopt skopt",
    ),
    (
        (METRICS,),
        "sklearn.metrics tensorflow.keras.metrics keras.metrics torchmetrics scikitplot"
        " yellowbrick torch.no_grad sklearn.model_selection.learning_curve"
        " sklearn.model_selection.validation_curve",
    ),
    (
        (TRAIN, METRICS),
        "sklearn.model_selection.cross_val_score"
        " sklearn.model_selection.cross_validate"
        " sklearn.model_selection.cross_val_predict",
    ),
    (
        (USE,),
        "joblib.dump pickle.dump pickle.dumps pickle.loads torch.save tensorflow.saved_model"
        " skops.io",
    ),
    ((MLFLOW,), "mlflow"),
    (
        (MLFLOW, USE),
        " ".join(f"mlflow.{f}.load_model mlflow.{f}.spark_udf" for f in _MLFLOW_FLAVORS.split()),
    ),
)

_TRANSFORMER_CLASSES = frozenset().union(*apis.TRANSFORMERS.values())
_FUNCTIONS = _table(
    ((), apis.DATA_SOURCES - {"DataFrame"}),
    ((), "Path copy"),
    ((LIB,), {name for name in apis.SEED_FUNCTIONS if "." not in name}),
    ((LIB,), "filterwarnings simplefilter manual_seed"),
    ((EDA,), "crosstab heatmap pairplot countplot distplot histplot boxplot scatterplot HTML"),
    (
        (EDA, METRICS),
        "plot_confusion_matrix plot_roc_curve plot_precision_recall_curve"
        " plot_learning_curve plot_importance plot_tree",
    ),
    ((IMP,), apis.TRANSFORMERS["imputer"]),
    ((FE,), _TRANSFORMER_CLASSES - apis.TRANSFORMERS["imputer"]),
    (
        (FE,),
        "train_test_split get_dummies chi2 f_classif f_regression mutual_info_classif"
        " mutual_info_regression ColumnTransformer make_column_transformer FeatureUnion"
        " to_categorical pad_sequences ImageDataGenerator DataLoader TensorDataset"
        " random_split TransformerMixin",
    ),
    ((TRAIN,), apis.SEARCHES | apis.SPLITTERS | apis.FORECASTERS | apis.CLUSTERERS),
    ((TRAIN,), apis.BASELINES | apis.NEURAL_NETS),
    (
        (TRAIN,),
        "Dense Conv1D Conv2D MaxPooling2D LSTM GRU Dropout Flatten Embedding"
        " BatchNormalization Pipeline make_pipeline EarlyStopping ModelCheckpoint"
        " ReduceLROnPlateau SVC SVR NuSVC LinearSVC LinearSVR Lasso Ridge ElasticNet"
        " OLS ClassifierMixin RegressorMixin BaseEstimator Adam SGD RMSprop"
        " tabular_learner cnn_learner vision_learner text_classifier_learner"
        " unet_learner create_cnn",
    ),
    ((METRICS,), apis.METRICS),
    ((METRICS,), "auc"),
    ((TRAIN, METRICS), apis.CV_FUNCTIONS - {"learning_curve", "validation_curve"}),
    ((METRICS,), "learning_curve validation_curve"),
    ((USE,), {name for name in apis.MODEL_LOADERS if "." not in name} - {"load"}),
    ((USE,), "save_model"),
)

_METHODS = _table(
    ((EDA,), "plot hist boxplot scatter bar barh pie kde imshow show savefig"),
    ((IMP,), apis.MISSING_HANDLERS),
    (
        (FE,),
        "drop get_dummies cut qcut fit_transform transform fit_resample factorize drop_duplicates",
    ),
    (
        (TRAIN,),
        "fit fit_generator partial_fit compile train train_on_batch backward zero_grad"
        " fit_one_cycle lr_find unfreeze freeze parameters named_parameters get_layer",
    ),
    (
        (METRICS,),
        "score evaluate evaluate_generator predict predict_proba predict_classes"
        " predict_generator predict_log_proba decision_function get_preds eval",
    ),
    (
        (USE,),
        "to_csv to_excel to_parquet to_pickle save save_model save_weights load_model"
        " load_weights load_state_dict",
    ),
)

_ATTRIBUTES = _table(
    ((LIB,), "__version__"),
    ((TRAIN,), "best_params_ best_estimator_ requires_grad"),
    ((METRICS,), "best_score_ cv_results_ oob_score_"),
)

_DERIVATIONS = _words(
    "map apply applymap astype replace rename merge join concat pivot pivot_table melt stack"
    " unstack explode clip shift rolling diff pct_change to_datetime to_numeric log log1p"
    " where reshape DataFrame Series"
)

_INSPECTIONS = (
    _words(
        "head tail info describe value_counts unique nunique isnull isna notnull notna corr cov"
        " sample count duplicated memory_usage skew kurt kurtosis nlargest nsmallest idxmax idxmin"
        " dtype columns ndim size summary"
    )
    | apis.EDA_METHODS
    | apis.EDA_ATTRIBUTES
    | apis.MISSING_CHECKS
)

_PATTERNS = (
    (r"Imputer$", (IMP,)),
    (r"(Scaler|Encoder|Vectori[sz]er|Binarizer|Discretizer|Sampler|PCA|SVD|Selector)$", (FE,)),
    (r"(Classifier|Regressor|Regression|Classification|Clustering|CV|NB)$", (TRAIN,)),
    (r"(_score|_error|_loss|_curve)$", (METRICS,)),
    (r"(^|_)(plot|draw|show|visuali[sz]e)", (EDA,)),
    (r"(^|_)(impute|fill_?na|fill_missing)", (IMP,)),
    (r"(^|_)(train|fit)(_|$)|(^|_)(build|create|make|get|define)_model", (TRAIN,)),
    (r"(^|_)(evaluat|score|accuracy|metric)|^test(_model)?$", (METRICS,)),
)

_MAGICS = _table(
    (
        (LIB,),
        "pip pip3 conda mamba apt apt-get matplotlib load_ext reload_ext autoreload"
        " config env nvidia-smi",
    ),
    ((EDA,), "ls head cat wc tree du sql who whos"),
)


DEFAULT_VOCABULARY = Vocabulary(
    aliases=_ALIASES,
    qualified=_QUALIFIED,
    functions=_FUNCTIONS,
    methods=_METHODS,
    attributes=_ATTRIBUTES,
    inspections=_INSPECTIONS,
    derivations=_DERIVATIONS,
    display_functions=frozenset({"print", "display", "pprint"}),
    predictions=apis.PREDICT_METHODS | {"get_preds"},
    split_names=r"^[xy]_?\w*(train|test|val|valid|validation|dev|holdout)|^(train|test|val|valid)"
    r"\w*_[xy]$|train|^x\d*$",
    patterns=_PATTERNS,
    magics=_MAGICS,
    transparent_magics=frozenset({"time", "timeit", "capture", "prun"}),
)
"""The built-in vocabulary: scikit-learn, pandas, numpy, matplotlib, seaborn, plotly,
Keras/TensorFlow, PyTorch, XGBoost, LightGBM, CatBoost, statsmodels, imbalanced-learn,
joblib/pickle and MLflow."""

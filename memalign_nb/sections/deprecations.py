"""The table of deprecated and removed APIs that notebooks still call.

Old notebooks (Kaggle kernels especially) use APIs that no longer exist: code that ran in
2018 fails on today's scikit-learn, pandas and NumPy. :data:`DEPRECATED_APIS` lists them
with the release that removed (or deprecated) each and what replaces it; the fact extractor
(:mod:`memalign_nb.sections.analysis`) matches them statically, and the
``library_installation`` dimension scores them ("no deprecated or removed APIs").

How an entry matches, by :attr:`DeprecatedAPI.kind`:

``module``
    An import of the module or anything under it (``from sklearn.cross_validation import``).
``name``
    A fully qualified name, imported or used through an import alias
    (``from sklearn.preprocessing import Imputer``, ``np.float``).
``attribute``
    An attribute of anything (``df.ix[...]``, ``model.fit_generator(...)``): names
    distinctive enough to need no receiver type.
``frame_method``
    A method called on a variable known to hold a pandas object (``df.append(row)``;
    ``list.append`` is not matched).
``keyword``
    A keyword argument of a call (``OneHotEncoder(sparse=False)``); ``callee`` ``"*"``
    matches any call, and ``value`` (when set) restricts it to that constant. A callee is
    a name (``OneHotEncoder``), a qualified name (``lightgbm.train``) or a method of a class
    (``LGBMRegressor.fit``: ``fit`` called on an object built as ``LGBMRegressor(...)``).
``positional``
    More positional arguments than ``value`` allows, to a pandas method (``df.drop('x',
    1)``) or a qualified function or class (``pd.concat([a, b], 1)``): arguments made
    keyword-only.
``class``
    A name brought by a star import (``from fastai.tabular import *``) and used
    (``TabularList.from_df(...)``).

An entry with ``requires`` matches only in notebooks importing that library
(``model.vocab`` is gensim's only where gensim is imported).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass


@dataclass(frozen=True)
class DeprecatedAPI:
    """One deprecated or removed API.

    Attributes
    ----------
    api : str
        The API as people write it (``"sklearn.preprocessing.Imputer"``, ``"DataFrame.ix"``).
    kind : str
        How it is matched: ``module``, ``name``, ``attribute``, ``frame_method`` or
        ``keyword`` (see the module docstring).
    match : str
        What is matched: a module prefix, a qualified name, an attribute or method name, or
        for ``keyword`` the keyword's name.
    status : str
        ``"removed"`` (the call fails on current releases) or ``"deprecated"`` (warns).
    version : str
        The release that removed (or deprecated) it, e.g. ``"scikit-learn 0.22"``.
    replacement : str
        What to use instead.
    callee : str
        For ``keyword`` entries: the called names, space-separated (``"OneHotEncoder"``),
        or ``"*"`` for any call.
    value : str or None
        For ``keyword`` entries: the constant the keyword must have to match, if any; for
        ``positional`` entries: how many positional arguments are allowed.
    requires : str or None
        The top-level module a notebook must import for the entry to match.
    """

    api: str
    kind: str
    match: str
    status: str
    version: str
    replacement: str
    callee: str = "*"
    value: str | None = None
    requires: str | None = None


@dataclass(frozen=True)
class DeprecatedUse:
    """Where a notebook uses a deprecated or removed API.

    Attributes
    ----------
    api : DeprecatedAPI
        The table entry matched.
    cell : int
        Index of the cell.
    line : int
        Line number within the cell, from 1.
    """

    api: DeprecatedAPI
    cell: int
    line: int


def _entries(kind: str, status: str, version: str, rows: str,
             requires: str | None = None) -> list[DeprecatedAPI]:
    """Entries from ``"match -> replacement"`` lines sharing a kind, status and version."""
    prefix = {"attribute": ".", "frame_method": "DataFrame."}.get(kind, "")
    out = []
    for row in rows.strip().splitlines():
        match, replacement = (part.strip() for part in row.split("->"))
        out.append(DeprecatedAPI(prefix + match, kind, match, status, version, replacement,
                                 requires=requires))
    return out


def _keyword(callee: str, keyword: str, version: str, replacement: str,
             value: str | None = None, status: str = "removed",
             shown_as: str | None = None) -> DeprecatedAPI:
    shown = f"{keyword}={value!r}" if value is not None else f"{keyword}="
    api = f"{shown_as or callee.split()[0]}({shown})" if callee != "*" else shown
    return DeprecatedAPI(api, "keyword", keyword, status, version, replacement, callee, value)


def _positional(match: str, allowed: int, version: str, replacement: str) -> DeprecatedAPI:
    shown = match if "." in match else f"DataFrame.{match}"
    return DeprecatedAPI(f"{shown} with positional arguments", "positional", match,
                         "removed", version, replacement, value=str(allowed))


_LGBM_FIT = "LGBMClassifier.fit LGBMRegressor.fit LGBMRanker.fit lightgbm.train lightgbm.cv"

DEPRECATED_APIS: tuple[DeprecatedAPI, ...] = (
    *_entries("module", "removed", "scikit-learn 0.20", """
        sklearn.cross_validation -> sklearn.model_selection
        sklearn.grid_search -> sklearn.model_selection
        sklearn.learning_curve -> sklearn.model_selection
    """),
    *_entries("module", "removed", "scikit-learn 0.23", """
        sklearn.externals.joblib -> import joblib
        sklearn.externals.six -> six, or Python 3 built-ins
    """),
    *_entries("module", "removed", "TensorFlow 2.0", """
        tensorflow.contrib -> TensorFlow 2 APIs or TF Addons
    """),
    *_entries("module", "removed", "pandas 0.25", """
        pandas.tools -> pandas.plotting and pandas.merge/concat
    """),
    *_entries("module", "removed", "pandas 2.0", """
        pandas.util.testing -> pandas.testing
    """),
    *_entries("module", "removed", "Keras 2.12 / TensorFlow 2.12", """
        keras.wrappers.scikit_learn -> scikeras.wrappers (KerasClassifier, KerasRegressor)
        tensorflow.keras.wrappers.scikit_learn -> scikeras.wrappers
    """),
    *_entries("module", "removed", "Keras 3 / TensorFlow 2.16", """
        keras.utils.np_utils -> keras.utils (to_categorical)
        tensorflow.keras.utils.np_utils -> tensorflow.keras.utils
    """),
    *_entries("name", "removed", "scikit-learn 0.20", """
        sklearn.mixture.GMM -> sklearn.mixture.GaussianMixture
    """),
    *_entries("name", "removed", "scikit-learn 0.22", """
        sklearn.preprocessing.Imputer -> sklearn.impute.SimpleImputer
    """),
    *_entries("name", "removed", "scikit-learn 1.2", """
        sklearn.datasets.load_boston -> sklearn.datasets.fetch_california_housing
        sklearn.metrics.plot_confusion_matrix -> ConfusionMatrixDisplay.from_estimator
        sklearn.metrics.plot_roc_curve -> RocCurveDisplay.from_estimator
        sklearn.metrics.plot_precision_recall_curve -> PrecisionRecallDisplay.from_estimator
    """),
    *_entries("name", "removed", "NumPy 1.24", """
        numpy.float -> float or numpy.float64
        numpy.int -> int or numpy.int64
        numpy.bool -> bool or numpy.bool_
        numpy.object -> object
        numpy.str -> str
        numpy.long -> int
        numpy.complex -> complex
    """),
    *_entries("name", "removed", "NumPy 1.23", """
        numpy.asscalar -> ndarray.item()
    """),
    *_entries("name", "removed", "NumPy 2.0", """
        numpy.NaN -> numpy.nan
        numpy.NAN -> numpy.nan
        numpy.Inf -> numpy.inf
        numpy.infty -> numpy.inf
        numpy.float_ -> numpy.float64
        numpy.product -> numpy.prod
        numpy.cumproduct -> numpy.cumprod
        numpy.alltrue -> numpy.all
        numpy.sometrue -> numpy.any
        numpy.round_ -> numpy.round
        numpy.asfarray -> numpy.asarray(x, dtype=float)
    """),
    *_entries("name", "removed", "pandas 1.0", """
        pandas.Panel -> a DataFrame with a MultiIndex
        pandas.scatter_matrix -> pandas.plotting.scatter_matrix
        pandas.TimeGrouper -> pandas.Grouper
    """),
    *_entries("name", "removed", "pandas 0.23", """
        pandas.rolling_mean -> Series.rolling(...).mean()
        pandas.rolling_std -> Series.rolling(...).std()
    """),
    *_entries("name", "removed", "pandas 2.0", """
        pandas.datetime -> import datetime
        pandas.np -> import numpy
    """),
    *_entries("name", "removed", "TensorFlow 2.0", """
        tensorflow.Session -> eager execution or tf.compat.v1.Session
        tensorflow.placeholder -> tf.function arguments or tf.compat.v1.placeholder
    """),
    *_entries("name", "removed", "seaborn 0.10", """
        seaborn.tsplot -> seaborn.lineplot
    """),
    *_entries("name", "removed", "seaborn 0.12", """
        seaborn.factorplot -> seaborn.catplot
    """),
    *_entries("name", "deprecated", "seaborn 0.11", """
        seaborn.distplot -> seaborn.histplot or seaborn.displot
    """),
    *_entries("attribute", "removed", "pandas 1.0", """
        ix -> .loc or .iloc
        as_matrix -> .to_numpy()
        get_value -> .at or .iat
        set_value -> .at or .iat
    """),
    *_entries("attribute", "removed", "pandas 2.0", """
        iteritems -> .items()
    """),
    *_entries("attribute", "removed", "Keras 3 / TensorFlow 2.16", """
        fit_generator -> Model.fit
        predict_generator -> Model.predict
        evaluate_generator -> Model.evaluate
    """),
    *_entries("attribute", "removed", "TensorFlow 2.6", """
        predict_classes -> argmax of Model.predict
    """),
    *_entries("attribute", "removed", "scikit-learn 1.2", """
        get_feature_names -> get_feature_names_out
    """),
    *_entries("attribute", "removed", "gensim 4.0", """
        vocab -> model.wv.key_to_index
        syn0 -> model.wv.vectors
        index2word -> model.wv.index_to_key
    """, requires="gensim"),
    *_entries("attribute", "removed", "fastai 2.0", """
        databunch -> DataLoaders (fastai v2 DataBlock API)
    """, requires="fastai"),
    *_entries("class", "removed", "fastai 2.0", """
        TabularList -> TabularPandas / TabularDataLoaders
        ImageDataBunch -> ImageDataLoaders
        ImageList -> DataBlock(blocks=(ImageBlock, ...))
        ImageItemList -> DataBlock(blocks=(ImageBlock, ...))
        TextLMDataBunch -> TextDataLoaders
        TextClasDataBunch -> TextDataLoaders
        TabularDataBunch -> TabularDataLoaders
        DataBunch -> DataLoaders
    """, requires="fastai"),
    *_entries("frame_method", "removed", "pandas 2.0", """
        append -> pandas.concat
        mad -> (x - x.mean()).abs().mean()
        lookup -> .melt/.loc or numpy indexing
    """),
    *_entries("frame_method", "removed", "pandas 0.20", """
        sort -> .sort_values()
    """),
    _keyword("OneHotEncoder", "sparse", "scikit-learn 1.4", "sparse_output="),
    _keyword("OneHotEncoder", "categorical_features", "scikit-learn 0.22", "ColumnTransformer"),
    _keyword("mean_squared_error", "squared", "scikit-learn 1.6", "root_mean_squared_error"),
    _keyword("LinearRegression Ridge RidgeClassifier Lasso ElasticNet Lars LassoLars"
             " OrthogonalMatchingPursuit", "normalize", "scikit-learn 1.2",
             "a StandardScaler in a Pipeline"),
    _keyword("*", "criterion", "scikit-learn 1.2", "criterion='squared_error'", "mse"),
    _keyword("*", "criterion", "scikit-learn 1.2", "criterion='absolute_error'", "mae"),
    _keyword("*", "max_features", "scikit-learn 1.3", "max_features='sqrt' or 1.0", "auto"),
    _keyword("*", "base_estimator", "scikit-learn 1.4", "estimator="),
    _keyword("GridSearchCV", "iid", "scikit-learn 0.24", "nothing (always iid=False now)"),
    _keyword("*", "error_bad_lines", "pandas 2.0", "on_bad_lines='error'"),
    _keyword("*", "warn_bad_lines", "pandas 2.0", "on_bad_lines='warn'"),
    _keyword("read_csv", "squeeze", "pandas 2.0", ".squeeze('columns')"),
    _keyword("*", "use_label_encoder", "XGBoost 2.0", "nothing (labels must be 0..n-1)"),
    _keyword("SGDClassifier", "loss", "scikit-learn 1.3", "loss='log_loss'", "log"),
    _keyword("GradientBoostingClassifier", "loss", "scikit-learn 1.3", "loss='log_loss'",
             "deviance"),
    _keyword("Word2Vec FastText Doc2Vec", "size", "gensim 4.0", "vector_size="),
    _keyword("Word2Vec FastText Doc2Vec", "iter", "gensim 4.0", "epochs="),
    _keyword(_LGBM_FIT, "early_stopping_rounds", "LightGBM 4.0",
             "callbacks=[lightgbm.early_stopping(n)]", shown_as="lightgbm fit/train"),
    _keyword(_LGBM_FIT, "verbose_eval", "LightGBM 4.0", "callbacks=[lightgbm.log_evaluation(n)]",
             shown_as="lightgbm fit/train"),
    _keyword(_LGBM_FIT.replace(" lightgbm.train lightgbm.cv", ""), "verbose", "LightGBM 4.0",
             "callbacks=[lightgbm.log_evaluation(n)]", shown_as="lightgbm fit"),
    _keyword("FacetGrid PairGrid pairplot jointplot lmplot catplot", "size", "seaborn 0.12",
             "height="),
    _positional("drop", 1, "pandas 2.0", "drop(columns=...) or axis= as a keyword"),
    _positional("pandas.concat", 1, "pandas 2.0", "concat(objs, axis=1)"),
    _positional("sklearn.metrics.ConfusionMatrixDisplay", 1, "scikit-learn 1.0",
                "ConfusionMatrixDisplay(cm, display_labels=...)"),
)
"""Every deprecated or removed API matched; see the module docstring for the kinds."""

MODULES = {e.match: e for e in DEPRECATED_APIS if e.kind == "module"}
"""``module`` entries by module prefix."""
NAMES = {e.match: e for e in DEPRECATED_APIS if e.kind == "name"}
"""``name`` entries by fully qualified name."""
ATTRIBUTES = {e.match: e for e in DEPRECATED_APIS if e.kind == "attribute"}
"""``attribute`` entries by attribute name."""
FRAME_METHODS = {e.match: e for e in DEPRECATED_APIS if e.kind == "frame_method"}
"""``frame_method`` entries by method name."""
KEYWORDS = tuple(e for e in DEPRECATED_APIS if e.kind == "keyword")
"""``keyword`` entries."""
POSITIONALS = {e.match: e for e in DEPRECATED_APIS if e.kind == "positional"}
"""``positional`` entries by method name or qualified function."""
CLASSES = {e.match: e for e in DEPRECATED_APIS if e.kind == "class"}
"""``class`` entries by name."""


def match_module(module: str) -> DeprecatedAPI | None:
    """The ``module`` or ``name`` entry an imported dotted path falls under, if any."""
    if module in NAMES:
        return NAMES[module]
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        entry = MODULES.get(".".join(parts[:end]))
        if entry is not None:
            return entry
    return None


def match_keyword(callee: str, keyword: str, value: object, *,
                  also: Collection[str] = ()) -> DeprecatedAPI | None:
    """The ``keyword`` entry a call's keyword argument matches, if any.

    Parameters
    ----------
    callee : str
        The called name's last part (``"OneHotEncoder"`` for
        ``sklearn.preprocessing.OneHotEncoder``).
    keyword : str
        The keyword's name.
    value : object
        The keyword's value when it is a constant, else None.
    also : collection of str
        Other names of the callee: its qualified name (``lightgbm.train``), its class and
        method (``LGBMRegressor.fit``).
    """
    names = {callee, *also}
    for entry in KEYWORDS:
        if entry.match != keyword or (entry.callee != "*" and not names & set(
                entry.callee.split())):
            continue
        if entry.value is None or entry.value == value:
            return entry
    return None

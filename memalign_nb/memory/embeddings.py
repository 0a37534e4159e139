"""Embedders for episodic memory and guideline merging.

:class:`HashingEmbeddings` is the embedded default: a code-aware bag of n-grams hashed into a
fixed number of signed features, so it needs no vocabulary, no fitting and no download, and
gives the same vector for the same text in every process. :func:`make_embeddings` turns a
name or a LangChain :class:`~langchain_core.embeddings.Embeddings` into an embedder.

Tokenisation
------------
The text (notebook code, markdown or a guideline sentence) is read left to right:

* a comment (``# ...``) is tokenised like the rest, so its words count;
* a string literal becomes ``<str>``; when its content is one short identifier-like word
  (a column, metric or strategy name such as ``'median'``), that word is kept as well;
* a number becomes itself when it is an integer from 0 to 10 (scores, axes, small counts)
  and a magnitude bucket otherwise (``<frac>``, ``<int:1e2>``, ``<float:1e1>``);
* a name is lowercased and kept whole, dotted chains included (``pd.read_csv``).

Word n-grams (``ngram_range``) are formed over that stream. Each dotted name also adds its
parts (``pd``, ``read_csv``) and every name adds its snake_case and camelCase pieces
(``read``, ``csv``, ``simple``, ``imputer``) as single features, so ``SimpleImputer`` and
``sklearn.impute.SimpleImputer`` share most of their weight.
"""

from __future__ import annotations

import logging
import math
import re
from typing import TYPE_CHECKING

from langchain_core.embeddings import Embeddings

from memalign_nb.errors import MissingDependencyError, UnknownNameError
from memalign_nb.registry import Registry

if TYPE_CHECKING:
    from sklearn.feature_extraction.text import HashingVectorizer

logger = logging.getLogger(__name__)

_TOKEN = re.compile(
    r"(?P<comment>\#[^\n]*)"
    r"|(?<!\w)(?P<string>[rRbBfFuU]{0,2}"
    r"(?:'''[\s\S]*?'''|\"\"\"[\s\S]*?\"\"\"|'(?:\\.|[^'\\\n])*'|\"(?:\\.|[^\"\\\n])*\"))"
    r"|(?P<number>(?<![\w.])(?:\d[\d_]*\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?))"
    r"|(?P<name>[^\W\d]\w*(?:\.[^\W\d]\w*)*)"
)
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
_WORD = re.compile(r"[^\W\d]\w{0,23}")
_EMPTY = "<empty>"


def _number_token(text: str) -> str:
    """A number as itself (integers 0-10) or as a magnitude bucket."""
    try:
        value = float(text.replace("_", ""))
    except ValueError:
        return "<num>"
    is_int = value.is_integer() and not any(c in text for c in ".eE")
    if is_int and value <= 10:
        return str(int(value))
    if 0 < value < 1:
        return "<frac>"
    if not math.isfinite(value):
        return "<num>"
    magnitude = int(math.log10(value)) if value >= 1 else 0
    return f"<{'int' if is_int else 'float'}:1e{magnitude}>"


def _pieces(name: str) -> list[str]:
    """snake_case and camelCase pieces of one identifier, lowercased, 2+ characters."""
    pieces = [p.lower() for part in name.split("_") for p in _CAMEL.findall(part)]
    return [p for p in pieces if len(p) > 1] if len(pieces) > 1 else []


def tokenize_code(text: str, keep_string_words: bool = True) -> tuple[list[str], list[str]]:
    """Split code or prose into the stream n-grams are built from, and extra unigrams.

    Parameters
    ----------
    text : str
        Source code, markdown or a sentence.
    keep_string_words : bool
        Keep a string literal's content as an extra when it is one short word.

    Returns
    -------
    stream : list of str
        Lowercased names (dotted chains whole), string and number buckets, in text order.
    extras : list of str
        Dotted-name parts and identifier pieces, each counted once as a unigram.
    """
    stream: list[str] = []
    extras: list[str] = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        token = match.group(kind)
        if kind == "comment":
            sub_stream, sub_extras = tokenize_code(token[1:], keep_string_words)
            stream += sub_stream
            extras += sub_extras
        elif kind == "string":
            stream.append("<str>")
            content = token.lstrip("rRbBfFuU").strip("'\"")
            if keep_string_words and _WORD.fullmatch(content):
                extras.append(content.lower())
        elif kind == "number":
            stream.append(_number_token(token))
        else:
            stream.append(token.lower())
            parts = token.split(".")
            if len(parts) > 1:
                extras += [p.lower() for p in parts]
            for part in parts:
                extras += _pieces(part)
    return stream, extras


class HashingEmbeddings(Embeddings):
    """A local, code-aware hashing embedder (a LangChain ``Embeddings``).

    Token n-grams of the text are hashed (MurmurHash3, as in scikit-learn's
    :class:`~sklearn.feature_extraction.text.HashingVectorizer`) into ``n_features`` signed
    features; counts are damped to ``1 + log(count)`` and each vector is L2-normalised, so
    the dot product of two vectors is their cosine similarity. Deterministic across
    processes and machines; nothing is fitted or downloaded.

    Parameters
    ----------
    n_features : int
        Length of every vector. More features mean fewer hash collisions.
    ngram_range : tuple of (int, int)
        Smallest and largest n of the word n-grams over the token stream.
    keep_string_words : bool
        Keep the content of string literals that are one short word (``'median'``,
        ``'Age'``); when False every string literal is only ``<str>``.

    Examples
    --------
    >>> emb = HashingEmbeddings(n_features=256)
    >>> len(emb.embed_query("imputer.fit(X_train)"))
    256
    """

    def __init__(
        self,
        n_features: int = 1024,
        ngram_range: tuple[int, int] = (1, 3),
        *,
        keep_string_words: bool = True,
    ) -> None:
        self.n_features = n_features
        self.ngram_range = ngram_range
        self.keep_string_words = keep_string_words

    def __repr__(self) -> str:
        return (
            f"HashingEmbeddings(n_features={self.n_features}, ngram_range={self.ngram_range}, "
            f"keep_string_words={self.keep_string_words})"
        )

    def analyze(self, text: str) -> list[str]:
        """The features of ``text`` before hashing: n-grams of the stream, then extras."""
        low, high = self.ngram_range
        stream, extras = tokenize_code(text, self.keep_string_words)
        features = [
            " ".join(stream[i : i + n])
            for n in range(low, high + 1)
            for i in range(len(stream) - n + 1)
        ]
        return features + extras or [_EMPTY]

    def _vectorizer(self) -> HashingVectorizer:
        from sklearn.feature_extraction.text import HashingVectorizer

        low, high = self.ngram_range
        if not (isinstance(self.n_features, int) and self.n_features > 0):
            raise ValueError(f"n_features must be a positive int, got {self.n_features!r}")
        if not (1 <= low <= high):
            raise ValueError(f"ngram_range must satisfy 1 <= min <= max, got {self.ngram_range}")
        return HashingVectorizer(
            analyzer=self.analyze, n_features=self.n_features, norm=None, alternate_sign=True
        )

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed several texts; one L2-normalised vector of ``n_features`` floats each."""
        import numpy as np
        from sklearn.preprocessing import normalize

        if not texts:
            return []
        matrix = self._vectorizer().transform(list(texts)).astype(np.float64)
        matrix.eliminate_zeros()  # colliding features whose signs cancelled
        matrix.data = np.sign(matrix.data) * (1.0 + np.log(np.abs(matrix.data)))
        return normalize(matrix, norm="l2").toarray().tolist()

    def embed_query(self, text: str) -> list[float]:
        """Embed one text (the same vector :meth:`embed_documents` gives it)."""
        return self.embed_documents([text])[0]


EMBEDDERS: Registry[Embeddings] = Registry("embedder", group="memalign_nb.embedders")
"""Embedders by name; ``hashing`` is built in, others come from entry points."""
EMBEDDERS.register("hashing", HashingEmbeddings)


def make_embeddings(spec: str | Embeddings | None = None) -> Embeddings:
    """The embedder named or given by ``spec``.

    Parameters
    ----------
    spec : str, Embeddings or None
        None or ``"hashing"``: a default :class:`HashingEmbeddings`. Another registered name
        (see :data:`EMBEDDERS`): that factory called with no arguments. Any other string is
        handed to LangChain's ``init_embeddings``, e.g. ``"openai:text-embedding-3-small"``
        or ``"ollama:nomic-embed-text"``. An ``Embeddings`` object is returned as is.

    Raises
    ------
    MissingDependencyError
        The provider's integration package (``langchain-openai`` ...) is not installed.
    UnknownNameError
        The string is neither a registered embedder nor a ``provider:model`` LangChain knows.
    """
    if spec is None:
        return HashingEmbeddings()
    if not isinstance(spec, str):
        if isinstance(spec, Embeddings) or _looks_like_embeddings(spec):
            return spec
        raise TypeError(f"expected an embedder name or Embeddings, got {type(spec).__name__}")
    if spec in EMBEDDERS.names():
        return EMBEDDERS.get(spec)()
    return _init_langchain_embeddings(spec)


def _looks_like_embeddings(obj: object) -> bool:
    """Whether ``obj`` has the two methods of the Embeddings interface (duck typing)."""
    return all(callable(getattr(obj, m, None)) for m in ("embed_documents", "embed_query"))


def _init_langchain_embeddings(spec: str) -> Embeddings:
    """``init_embeddings(spec)`` with our errors for an unknown or uninstalled provider."""
    from langchain.embeddings import base, init_embeddings

    providers = getattr(base, "_BUILTIN_PROVIDERS", None)  # private: used only to check
    provider, _, model = (part.strip() for part in spec.partition(":"))
    if not model or (providers is not None and provider.lower() not in providers):
        choices = sorted(providers or ()) or ["<provider>"]
        known = (*EMBEDDERS.names(), *(f"{p}:<model>" for p in choices))
        raise UnknownNameError("embedder", spec, known)
    try:
        return init_embeddings(spec)
    except ImportError as exc:
        from memalign_nb.judges.chat import PROVIDER_EXTRAS

        if provider.lower() in PROVIDER_EXTRAS:
            raise MissingDependencyError(*PROVIDER_EXTRAS[provider.lower()]) from exc
        # No memalign-nb extra installs it: name the package itself.
        module = getattr(exc.__cause__, "name", None) or exc.name or f"langchain_{provider}"
        error = MissingDependencyError(module, provider)
        package = module.split(".")[0].replace("_", "-")
        error.msg = f"{module} is required for {provider} embeddings: pip install {package}"
        error.args = (error.msg,)
        raise error from exc

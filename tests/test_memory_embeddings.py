"""Tests of memalign_nb.memory.embeddings: the hashing embedder and make_embeddings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from langchain_core.embeddings import Embeddings

from memalign_nb.errors import MissingDependencyError, UnknownNameError
from memalign_nb.memory.embeddings import (
    EMBEDDERS,
    HashingEmbeddings,
    make_embeddings,
    tokenize_code,
)

LEAKY_IMPUTE = """
from sklearn.impute import SimpleImputer
imputer = SimpleImputer(strategy='median')
X = imputer.fit_transform(X)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)
"""
SAFE_IMPUTE = """
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)
imp = SimpleImputer(strategy="mean")
X_train = imp.fit_transform(X_train)
X_test = imp.transform(X_test)
"""
PLOTTING = """
import matplotlib.pyplot as plt
fig, ax = plt.subplots(figsize=(10, 6))
ax.hist(df['Age'], bins=30)
plt.title('Age distribution')
plt.show()
"""


def cosine(a: list[float], b: list[float]) -> float:
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_is_a_langchain_embeddings_with_unit_vectors_of_n_features():
    emb = HashingEmbeddings(n_features=256)
    vectors = emb.embed_documents([LEAKY_IMPUTE, PLOTTING, "x"])
    assert isinstance(emb, Embeddings)
    assert [len(v) for v in vectors] == [256, 256, 256]
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0)
    assert emb.embed_query(PLOTTING) == vectors[1]
    assert len(HashingEmbeddings().embed_query(PLOTTING)) == 1024


def test_similar_code_is_closer_than_unrelated_code():
    emb = HashingEmbeddings()
    leaky, safe, plot = emb.embed_documents([LEAKY_IMPUTE, SAFE_IMPUTE, PLOTTING])
    assert cosine(leaky, safe) > cosine(leaky, plot) + 0.2
    assert cosine(safe, safe) == pytest.approx(1.0)


def test_word_order_matters_through_ngrams():
    emb = HashingEmbeddings()
    base = "imputer.fit(X)\ntrain_test_split(X)"
    reordered = "train_test_split(X)\nimputer.fit(X)"
    assert cosine(*emb.embed_documents([base, reordered])) < 0.99
    unigrams = HashingEmbeddings(ngram_range=(1, 1))
    assert cosine(*unigrams.embed_documents([base, reordered])) == pytest.approx(1.0)


def test_deterministic_across_processes_with_different_hash_seeds():
    code = (
        "import json, sys; from memalign_nb.memory.embeddings import HashingEmbeddings; "
        "print(json.dumps(HashingEmbeddings(n_features=64).embed_query(sys.argv[1])))"
    )
    outputs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", code, LEAKY_IMPUTE],
            capture_output=True, text=True, env=env, check=True,
        )
        outputs.append(json.loads(done.stdout))
    assert outputs[0] == outputs[1]
    assert outputs[0] == HashingEmbeddings(n_features=64).embed_query(LEAKY_IMPUTE)


def test_tokenizer_splits_identifiers_and_keeps_dotted_names_whole_and_split():
    stream, extras = tokenize_code("est = sklearn.ensemble.RandomForestClassifier(n_jobs=-1)")
    assert "sklearn.ensemble.randomforestclassifier" in stream
    assert {"sklearn", "ensemble", "randomforestclassifier"} <= set(extras)
    assert {"random", "forest", "classifier", "jobs"} <= set(extras)
    _, extras = tokenize_code("X_trainScaled = x")
    assert {"train", "scaled"} <= set(extras)


def test_tokenizer_buckets_numbers_and_strings():
    stream, extras = tokenize_code(
        "split(test_size=0.2, random_state=42, n=3, big=12345, lr=3.5)\n"
        "pd.read_csv('/data/some file.csv'); SimpleImputer(strategy='median')"
    )
    assert {"<frac>", "<int:1e1>", "3", "<int:1e4>", "<float:1e0>"} <= set(stream)
    assert "42" not in stream and "12345" not in stream
    assert stream.count("<str>") == 2
    assert "median" in extras  # a one-word string is kept as a word
    assert not any("file" in token for token in stream + extras)  # a path is not
    _, extras = tokenize_code("SimpleImputer(strategy='median')", keep_string_words=False)
    assert "median" not in extras


def test_apostrophes_in_comments_and_prose_do_not_swallow_code():
    stream, _ = tokenize_code("# it's the split\nimputer.fit(X_train)\nLet's see how it's done")
    assert "imputer.fit" in stream
    assert {"split", "let", "see", "done"} <= set(stream)


def test_empty_text_gives_a_unit_vector():
    vectors = HashingEmbeddings(n_features=32).embed_documents(["", "   "])
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0)
    assert vectors[0] == vectors[1]


@pytest.mark.parametrize("params", [{"n_features": 0}, {"ngram_range": (2, 1)}])
def test_invalid_parameters_raise_on_use(params):
    emb = HashingEmbeddings(**params)  # __init__ only stores them
    with pytest.raises(ValueError):
        emb.embed_query("x")


def test_nearest_neighbour_on_real_labelled_cells_shares_the_activity(corpus_dir: Path):
    """On hand-labelled Kaggle cells, a cell's nearest neighbour does what it does."""
    rows = [
        json.loads(line)
        for line in (corpus_dir / "cells" / "jupylabel_train_cells.jsonl").open()
    ]
    rows = [r for r in rows if r["tags"] and r["tags"] != ["None"] and r["source"].strip()]
    rows = rows[:1000]
    tags = [set(r["tags"]) for r in rows]
    matrix = np.array(HashingEmbeddings().embed_documents([r["source"] for r in rows]))
    similarity = matrix @ matrix.T
    np.fill_diagonal(similarity, -np.inf)
    nearest = similarity.argmax(axis=1)
    hit_rate = np.mean([bool(tags[i] & tags[j]) for i, j in enumerate(nearest)])
    chance = np.mean([bool(tags[i] & tags[j]) for i in range(0, 1000, 7) for j in range(1000)])
    assert hit_rate > 0.85
    assert hit_rate > chance + 0.4


def test_make_embeddings_defaults_names_and_objects():
    assert isinstance(make_embeddings(None), HashingEmbeddings)
    assert isinstance(make_embeddings("hashing"), HashingEmbeddings)
    mine = HashingEmbeddings(n_features=8)
    assert make_embeddings(mine) is mine
    with pytest.raises(TypeError):
        make_embeddings(42)


def test_make_embeddings_uses_registered_factories():
    EMBEDDERS.register("tiny-test", lambda: HashingEmbeddings(n_features=16))
    try:
        assert len(make_embeddings("tiny-test").embed_query("a")) == 16
    finally:
        EMBEDDERS._factories.pop("tiny-test")


@pytest.mark.parametrize("spec", ["no-such-embedder", "nosuchprovider:model", "openai:"])
def test_make_embeddings_unknown_names_list_the_valid_ones(spec):
    with pytest.raises(UnknownNameError) as info:
        make_embeddings(spec)
    assert "hashing" in info.value.known
    assert "openai:<model>" in info.value.known


def test_make_embeddings_missing_provider_package(monkeypatch):
    monkeypatch.setitem(sys.modules, "langchain_ollama", None)  # import fails
    with pytest.raises(MissingDependencyError) as info:
        make_embeddings("ollama:nomic-embed-text")
    assert info.value.extra == "ollama"
    assert "memalign-nb[ollama]" in str(info.value)
    monkeypatch.setitem(sys.modules, "langchain_cohere", None)
    with pytest.raises(MissingDependencyError, match="pip install langchain-cohere"):
        make_embeddings("cohere:embed-english-v3.0")


def test_make_embeddings_builds_a_langchain_provider_model_offline(monkeypatch):
    pytest.importorskip("langchain_openai")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-used")
    emb = make_embeddings("openai:text-embedding-3-small")
    assert type(emb).__name__ == "OpenAIEmbeddings"
    assert emb.model == "text-embedding-3-small"

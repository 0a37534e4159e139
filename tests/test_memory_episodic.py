"""Tests of memalign_nb.memory.episodic: Example records and the Chroma-backed memory."""

from __future__ import annotations

import gc
import json
import socket
from pathlib import Path

import numpy as np
import pytest

from memalign_nb.errors import InvalidScoreError, MemoryDataError
from memalign_nb.feedback.model import Grade
from memalign_nb.judges.base import Judgment
from memalign_nb.memory.embeddings import HashingEmbeddings
from memalign_nb.memory.episodic import EpisodicMemory
from memalign_nb.memory.examples import Example, Neighbour, excerpt
from memalign_nb.memory.profile import Profile
from memalign_nb.sections.model import Section

IMPUTE = "imputer = SimpleImputer(strategy='mean')\nX = imputer.fit_transform(X)"
IMPUTE_LIKE = "imp = SimpleImputer(strategy='median')\nX = imp.fit_transform(X)"
SPLIT_FIRST = "X_train, X_test = train_test_split(X)\nimp.fit(X_train)\nimp.transform(X_test)"
PLOT = "plt.hist(df['Age'])\nplt.title('Age')\nplt.show()"


@pytest.fixture(autouse=True)
def no_download_no_network(monkeypatch):
    """Chroma's default (downloading) embedder and any non-loopback connection fail."""
    from chromadb.api.types import DefaultEmbeddingFunction
    from chromadb.utils.embedding_functions.onnx_mini_lm_l6_v2 import ONNXMiniLM_L6_V2

    def refuse(self, input):  # Chroma checks an embedding function's signature
        raise AssertionError("Chroma's default embedding function must never run")

    def refuse_download(self):
        raise AssertionError("no model may be downloaded")

    monkeypatch.setattr(DefaultEmbeddingFunction, "__call__", refuse)
    monkeypatch.setattr(ONNXMiniLM_L6_V2, "__call__", refuse)
    monkeypatch.setattr(ONNXMiniLM_L6_V2, "_download_model_if_not_exists", refuse_download)
    real_connect = socket.socket.connect

    def loopback_only(sock, address):
        host = address[0] if isinstance(address, tuple) else address
        remote = isinstance(host, str) and host not in ("127.0.0.1", "::1", "localhost")
        if remote and sock.family in (socket.AF_INET, socket.AF_INET6):
            raise AssertionError(f"network access to {address}")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", loopback_only)


def ex(case_id: str, text: str, score: int = 2, dimension: str = "data_imputation", **kw):
    return Example(case_id, dimension, text, score, f"because {case_id}", **kw)


def test_search_returns_most_similar_first_with_full_examples():
    memory = EpisodicMemory()
    memory.add([
        ex("a", IMPUTE, 1, judge_score=3, judge_rationale="fine", facts={"leak": True}),
        ex("b", SPLIT_FIRST, 3),
        ex("c", PLOT, 2),
    ])
    found = memory.search("data_imputation", IMPUTE_LIKE, k=2)
    assert [n.example.case_id for n in found] == ["a", "b"]
    assert all(isinstance(n, Neighbour) for n in found)
    assert found[0].similarity > found[1].similarity
    first = found[0].example
    assert (first.expert_score, first.rationale, first.judge_score) == (1, "because a", 3)
    assert first.judge_rationale == "fine" and dict(first.facts) == {"leak": True}
    assert first.text == IMPUTE
    # A text alone says nothing of what the code does: the same text scores 1 against an
    # example without facts and 1/sqrt(2) against one with facts (the readings half).
    assert memory.search("data_imputation", PLOT, k=1)[0].similarity == pytest.approx(1.0)
    same = memory.search("data_imputation", Profile(IMPUTE, {"leak": True}), k=1)[0]
    assert same.example.case_id == "a" and same.similarity == pytest.approx(1.0)
    assert memory.search("data_imputation", IMPUTE, k=1)[0].similarity == pytest.approx(
        2 ** -0.5)


def test_what_the_code_does_outranks_shared_boilerplate():
    """Two notebooks of one dataset share their text; a third does the same thing (a leak)
    in other words: its readings make it the nearest."""
    memory = EpisodicMemory()
    leak = {"imputer_fit_before_split": True, "imputation_methods": ["SimpleImputer"]}
    memory.add([
        ex("same-data", IMPUTE_LIKE, 2, facts={"imputer_fit_before_split": False}),
        ex("same-leak", PLOT, 1, facts=leak, finding="data_imputation.leakage"),
    ])
    query = Profile(IMPUTE, leak, "data_imputation.leakage")
    ranked = [n.example.case_id for n in memory.search("data_imputation", query, k=2)]
    assert ranked == ["same-leak", "same-data"]
    text_only = EpisodicMemory(digest_weight=0.0)
    text_only.add(memory.examples())
    assert [n.example.case_id for n in text_only.search("data_imputation", query, k=2)] == [
        "same-data", "same-leak"]


def test_case_being_scored_is_never_its_own_neighbour():
    memory = EpisodicMemory()
    memory.add([ex("a", IMPUTE), ex("b", PLOT)])
    found = memory.search("data_imputation", IMPUTE, k=5, exclude_case_id="a")
    assert [n.example.case_id for n in found] == ["b"]


def test_search_is_filtered_by_dimension():
    memory = EpisodicMemory()
    memory.add([ex("a", IMPUTE, dimension="data_imputation"),
                ex("a", IMPUTE, dimension="feature_engineering"),
                ex("b", PLOT, dimension="exploratory_data_analysis")])
    found = memory.search("exploratory_data_analysis", IMPUTE, k=5)
    assert [(n.example.case_id, n.example.dimension) for n in found] == [
        ("b", "exploratory_data_analysis")
    ]
    assert memory.search("model_use", IMPUTE) == []


def test_k_larger_than_collection_and_empty_collection():
    memory = EpisodicMemory()
    assert memory.search("data_imputation", IMPUTE, k=5) == []
    assert len(memory) == 0 and memory.case_ids() == [] and memory.examples() == []
    memory.add([ex("a", IMPUTE), ex("b", PLOT)])
    assert len(memory.search("data_imputation", IMPUTE, k=50)) == 2
    assert memory.search("data_imputation", IMPUTE, k=0) == []


def test_persistence_across_instances(tmp_path: Path):
    store = tmp_path / "episodic"
    first = EpisodicMemory(path=store)
    first.add([ex("a", IMPUTE, 1, facts={"n": 3}), ex("b", PLOT, 3, judge_score=None)])
    del first
    gc.collect()
    again = EpisodicMemory(path=store)
    assert len(again) == 2
    assert again.case_ids() == ["a", "b"]
    assert again.examples()[0] == ex("a", IMPUTE, 1, facts={"n": 3})
    assert again.search("data_imputation", IMPUTE_LIKE, k=1)[0].example.case_id == "a"


def test_reopening_with_another_embedder_is_refused(tmp_path: Path):
    EpisodicMemory(path=tmp_path).add([ex("a", IMPUTE)])
    with pytest.raises(MemoryDataError, match="embedder"):
        EpisodicMemory(embeddings=HashingEmbeddings(n_features=64), path=tmp_path)


def test_two_in_memory_instances_are_isolated():
    one, two = EpisodicMemory(), EpisodicMemory()
    one.add([ex("a", IMPUTE)])
    two.add([ex("b", PLOT), ex("c", SPLIT_FIRST)])
    assert one.case_ids() == ["a"] and two.case_ids() == ["b", "c"]
    assert [n.example.case_id for n in one.search("data_imputation", PLOT)] == ["a"]
    one.remove(["b", "c"])
    assert len(two) == 2


def test_in_memory_collections_are_freed_with_their_memory():
    memory = EpisodicMemory()
    memory.add([ex("a", IMPUTE), ex("b", PLOT, dimension="model_use")])
    memory.add([ex("c", PLOT, dimension="feature_engineering")])  # created after the first
    client, names = memory._client, {c.name for c in memory._collections.values()}
    assert len(names) == 3 and names <= {c.name for c in client.list_collections()}
    del memory
    gc.collect()
    assert not names & {c.name for c in client.list_collections()}


def test_add_upserts_one_entry_per_case_and_dimension():
    memory = EpisodicMemory()
    memory.add([ex("a", IMPUTE, 1)])
    memory.add([ex("a", IMPUTE, 3), ex("a", IMPUTE, 2, dimension="feature_engineering")])
    assert len(memory) == 2
    scores = {(e.dimension, e.expert_score) for e in memory.examples()}
    assert scores == {("data_imputation", 3), ("feature_engineering", 2)}
    memory.add([])
    assert len(memory) == 2


def test_remove_deletes_every_dimension_of_the_cases_and_counts_them():
    memory = EpisodicMemory()
    memory.add([ex("a", IMPUTE), ex("a", IMPUTE, dimension="model_use"), ex("b", PLOT)])
    assert memory.remove(["a", "missing"]) == 2
    assert memory.case_ids() == ["b"]
    assert memory.remove([]) == 0 and memory.remove(["a"]) == 0
    assert memory.remove("b") == 1 and len(memory) == 0  # one id, not its letters
    with pytest.raises(MemoryDataError, match="expected an Example"):
        memory.add([("a", "data_imputation", IMPUTE, 2)])


def test_listing_by_dimension():
    memory = EpisodicMemory()
    memory.add([ex("b", PLOT), ex("a", IMPUTE), ex("c", PLOT, dimension="model_use")])
    assert memory.case_ids("data_imputation") == ["a", "b"]
    assert [e.case_id for e in memory.examples("model_use")] == ["c"]
    assert [e.id for e in memory.examples()] == [
        "data_imputation::a", "data_imputation::b", "model_use::c",
    ]


def test_stored_vectors_are_the_ones_search_compares_with():
    memory = EpisodicMemory(HashingEmbeddings(n_features=256))
    memory.add([ex("b", PLOT), ex("a", IMPUTE, facts={"leak": True}),
                ex("c", PLOT, dimension="model_use")])
    vectors = memory.vectors("data_imputation")
    assert sorted(vectors) == ["data_imputation::a", "data_imputation::b"]
    expected = memory.encoder.encode_one(Profile(IMPUTE, {"leak": True}))
    assert len(expected) == 256 + 2048 and np.allclose(vectors["data_imputation::a"], expected,
                                                       atol=1e-6)
    query = np.array(memory.encoder.encode_one(Profile(IMPUTE_LIKE)))
    for neighbour in memory.search("data_imputation", IMPUTE_LIKE, k=2):
        stored = np.array(vectors[neighbour.example.id])
        assert neighbour.similarity == pytest.approx(float(query @ stored), abs=1e-5)
    assert len(memory.vectors()) == 3


def test_excluding_the_case_still_returns_k_neighbours():
    memory = EpisodicMemory()
    memory.add([ex("a", IMPUTE), ex("b", IMPUTE_LIKE), ex("c", SPLIT_FIRST), ex("d", PLOT)])
    ranked = [n.example.case_id for n in memory.search("data_imputation", IMPUTE, k=4)]
    assert ranked[0] == "a" and sorted(ranked) == ["a", "b", "c", "d"]
    found = memory.search("data_imputation", IMPUTE, k=3, exclude_case_id="a")
    assert [n.example.case_id for n in found] == ranked[1:]
    last = ranked[-1]
    kept = memory.search("data_imputation", IMPUTE, k=3, exclude_case_id=last)
    assert [n.example.case_id for n in kept] == ranked[:3]
    assert len(memory.search("data_imputation", IMPUTE, k=4, exclude_case_id="a")) == 3
    assert len(memory.search("data_imputation", IMPUTE, k=3, exclude_case_id="zz")) == 3


def test_ties_are_ordered_by_id_and_other_dimensions_never_leak():
    memory = EpisodicMemory()
    memory.add([ex(c, PLOT, dimension="model_use") for c in "abcdefgh"])
    memory.add([ex("z", PLOT), ex("y", PLOT), ex("x", SPLIT_FIRST)])
    found = memory.search("data_imputation", PLOT, k=10)
    assert [n.example.case_id for n in found] == ["y", "z", "x"]
    assert {n.example.dimension for n in found} == {"data_imputation"}
    assert [n.example.case_id for n in memory.search("data_imputation", PLOT, k=2,
                                                     exclude_case_id="y")] == ["z", "x"]
    assert {n.example.dimension for n in memory.search("model_use", SPLIT_FIRST, k=8)} == {
        "model_use"}


def test_search_queries_only_its_dimension_without_a_filter():
    memory = EpisodicMemory()
    memory.add([ex("a", IMPUTE), ex("b", PLOT), ex("c", PLOT, dimension="model_use")])
    collection = memory._collections["data_imputation"]
    calls = []
    real_query = collection.query

    def spy(**kwargs):
        calls.append(kwargs)
        return real_query(**kwargs)

    collection.query = spy
    memory.search("data_imputation", IMPUTE, k=1, exclude_case_id="a")
    memory.search("data_imputation", IMPUTE, k=5)
    assert [(c.get("where"), c["n_results"]) for c in calls] == [(None, 2), (None, 2)]


def test_collections_are_named_by_dimension_or_by_a_stable_hash(tmp_path: Path):
    odd = "Data imputation / leakage?"
    memory = EpisodicMemory(path=tmp_path, collection_name="judge1")
    memory.add([ex("a", IMPUTE), ex("b", PLOT, dimension=odd), ex("c", PLOT, dimension="x")])
    names = {d: c.name for d, c in memory._collections.items()}
    assert names["data_imputation"] == "judge1.data_imputation"
    assert names["x"] == "judge1.x"
    assert names[odd].startswith("judge1-") and len(names[odd]) == len("judge1-") + 16
    assert memory._collections[odd].metadata["dimension"] == odd
    del memory
    gc.collect()
    again = EpisodicMemory(path=tmp_path, collection_name="judge1")
    assert {d: c.name for d, c in again._collections.items()} == names
    assert [n.example.case_id for n in again.search(odd, PLOT)] == ["b"]
    assert EpisodicMemory(path=tmp_path, collection_name="other").examples() == []
    with pytest.raises(MemoryDataError, match="not a valid Chroma name"):
        EpisodicMemory(path=tmp_path, collection_name="x_")


def test_reopened_store_finds_every_dimension_and_removes_across_them(tmp_path: Path):
    first = EpisodicMemory(path=tmp_path)
    first.add([ex("a", IMPUTE), ex("a", PLOT, dimension="model_use"),
               ex("b", SPLIT_FIRST), ex("b", PLOT, dimension="feature_engineering")])
    del first
    gc.collect()
    again = EpisodicMemory(path=tmp_path)
    assert len(again) == 4 and again.case_ids() == ["a", "b"]
    assert again.case_ids("model_use") == ["a"]
    assert [n.example.case_id for n in again.search("model_use", PLOT)] == ["a"]
    assert again.remove(["a"]) == 2
    assert again.search("model_use", PLOT) == [] and again.case_ids() == ["b"]
    assert [e.id for e in again.examples()] == ["data_imputation::b", "feature_engineering::b"]


def test_a_dimension_added_through_another_handle_is_seen(tmp_path: Path):
    reader, writer = EpisodicMemory(path=tmp_path), EpisodicMemory(path=tmp_path)
    assert reader.search("model_use", PLOT) == []
    writer.add([ex("a", PLOT, dimension="model_use")])
    assert [n.example.case_id for n in reader.search("model_use", PLOT)] == ["a"]
    assert len(reader) == 1


def _legacy_store(path: Path, examples: list[Example], vectors: list[list[float]],
                  embedder: str) -> None:
    """A store as the one-collection episodic memory wrote it, built with chromadb alone."""
    import chromadb
    from chromadb.config import Settings

    client = chromadb.PersistentClient(path=str(path),
                                       settings=Settings(anonymized_telemetry=False))
    collection = client.get_or_create_collection(
        "episodic", configuration={"hnsw": {"space": "cosine"}},
        metadata={"embedder": embedder}, embedding_function=None)
    collection.add(ids=[e.id for e in examples], embeddings=vectors,
                   documents=[e.text for e in examples],
                   metadatas=[e.to_metadata() for e in examples])


def test_a_one_collection_store_of_an_earlier_version_is_refused(tmp_path: Path):
    embedder = HashingEmbeddings()
    _legacy_store(tmp_path, [ex("a", IMPUTE)], [embedder.embed_query(IMPUTE)], repr(embedder))
    with pytest.raises(MemoryDataError, match="earlier memalign-nb .*build the memory again"):
        EpisodicMemory(path=tmp_path)


def test_stored_metadata_is_flat_with_sentinel_for_unknown_judge_score():
    meta = ex("a", IMPUTE, judge_score=None, facts={"x": [1, 2]}).to_metadata()
    assert meta["judge_score"] == -1
    assert json.loads(meta["facts"]) == {"x": [1, 2]}
    assert all(isinstance(v, str | int) for v in meta.values())


def test_example_validation():
    with pytest.raises(InvalidScoreError):
        ex("a", IMPUTE, 5)
    with pytest.raises(InvalidScoreError):
        ex("a", IMPUTE, judge_score=-1)
    with pytest.raises(MemoryDataError, match="JSON"):
        ex("a", IMPUTE, facts={"when": object()})
    with pytest.raises(MemoryDataError, match="case_id"):
        ex("", IMPUTE)
    assert ex("a", IMPUTE, 3.0).expert_score == 3
    with pytest.raises(InvalidScoreError, match="it is text"):
        ex("a", IMPUTE, "3")


def test_example_from_feedback():
    section = Section("data_imputation", "nb.ipynb", (1, 2), "x" * 10_000, 2500, {"leak": True})
    grade = Grade("nb", "data_imputation", 1, "leak")
    judged = Judgment("nb", "data_imputation", 3, "good")
    example = Example.from_feedback(section, grade, judged, max_chars=900)
    assert (example.case_id, example.expert_score, example.judge_score) == ("nb", 1, 3)
    assert example.judge_rationale == "good" and dict(example.facts) == {"leak": True}
    assert len(example.text) < 1000 and "characters omitted" in example.text
    failed = Judgment("nb", "data_imputation", None, error="timeout")
    assert Example.from_feedback(section, grade, failed).judge_score is None
    with pytest.raises(MemoryDataError, match="judgment"):
        Example.from_feedback(section, grade, Judgment("other", "data_imputation", 2))
    with pytest.raises(MemoryDataError, match="section"):
        Example.from_feedback(section, Grade("nb", "model_use", 2))


def test_excerpt_keeps_head_and_tail():
    text = "HEAD" + "m" * 5000 + "TAIL"
    cut = excerpt(text, 300)
    assert cut.startswith("HEAD") and cut.endswith("TAIL") and len(cut) < 400
    assert excerpt("short", 300) == "short"


def test_search_matches_exact_nearest_neighbours_on_real_cells(corpus_dir: Path):
    """Chroma's approximate index finds the true top-5 on real notebook code."""
    lines = (corpus_dir / "cells" / "jupylabel_train_cells.jsonl").open()
    cells = [json.loads(line)["source"] for line in lines][:600]
    cells = [c for c in cells if c.strip()]
    stored, queries = cells[:500], cells[500:540]
    memory = EpisodicMemory()
    memory.add([ex(f"c{i}", text) for i, text in enumerate(stored)])
    emb = HashingEmbeddings()
    matrix = np.array(emb.embed_documents(stored))
    recall = []
    for query in queries:
        exact = np.argsort(-(matrix @ np.array(emb.embed_query(query))), kind="stable")[:5]
        found = memory.search("data_imputation", query, k=5)
        assert len(found) == 5
        recall.append(len({f"c{i}" for i in exact} & {n.example.case_id for n in found}) / 5)
    assert np.mean(recall) >= 0.95


@pytest.mark.filterwarnings("ignore:legacy embedding function config:DeprecationWarning")
def test_the_no_download_guard_is_live():
    """Our collection has no embedding function at all, and Chroma's default one (reached
    through a plain handle on the same collection) would trip the autouse guard."""
    memory = EpisodicMemory()
    memory.add([ex("a", IMPUTE)])
    collection = memory._collections["data_imputation"]
    with pytest.raises(ValueError, match="embedding function"):
        collection.query(query_texts=[IMPUTE], n_results=1)
    plain = memory._client.get_collection(collection.name)
    with pytest.raises(AssertionError, match="never run"):
        plain.query(query_texts=[IMPUTE], n_results=1)
    with pytest.raises(AssertionError, match="network"):
        socket.create_connection(("192.0.2.1", 80), timeout=0.1)

"""Tests of memalign_nb.align.persistence: save, load, round trips and broken directories."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest

from memalign_nb.align import FORMAT_VERSION, AlignedJudge, MemAlign, load_judge
from memalign_nb.datasets import Dataset, generate_dataset, load_dataset
from memalign_nb.errors import JudgeDirError
from memalign_nb.judges.heuristic import HeuristicJudge
from memalign_nb.judges.llm import LLMJudge
from memalign_nb.judges.scripted import ScriptedJudge
from memalign_nb.judges.spec import judge_spec
from memalign_nb.memory.embeddings import HashingEmbeddings

DIMS = ("data_imputation", "model_training")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Dataset:
    data = load_dataset(generate_dataset(tmp_path_factory.mktemp("ds") / "ds", 10, seed=21))
    return dataclasses.replace(data, feedback=tuple(g for g in data.feedback
                                                    if g.dimension in DIMS))


@pytest.fixture(scope="module")
def split(dataset) -> tuple[Dataset, list]:
    ids = [c.case_id for c in dataset.cases]
    return dataset.subset(ids[:7]), list(dataset.subset(ids[7:]).cases)


@pytest.fixture(scope="module")
def aligned(split) -> AlignedJudge:
    return MemAlign(k=3, min_support=2).fit(HeuristicJudge(), split[0])


def rows(judgments) -> list[tuple]:
    return [(j.case_id, j.dimension, j.score, j.rationale, j.retrieved_ids,
             j.metadata.get("vote_totals")) for j in judgments]


def test_round_trip_scores_identically(aligned, split, tmp_path):
    held_out = split[1]
    before = aligned.score_many(held_out, concurrency=1, progress=False)
    aligned.save(tmp_path / "judge")
    loaded = load_judge(tmp_path / "judge")
    assert isinstance(loaded, AlignedJudge) and loaded.path == tmp_path / "judge"
    assert rows(loaded.score_many(held_out, concurrency=1, progress=False)) == rows(before)
    assert [g.to_dict() for g in loaded.guidelines] == [g.to_dict() for g in aligned.guidelines]
    assert loaded.items_ == aligned.items_ and loaded.grades_ == aligned.grades_
    assert loaded.episodic.examples() == aligned.episodic.examples()
    assert loaded.params.get_params() == {**aligned.params.get_params(), "persist_dir": None}


def test_the_calibrated_blends_are_saved_and_loaded(aligned, split, tmp_path):
    root = aligned.save(tmp_path / "judge")
    saved = json.loads((root / "config.json").read_text())["calibration"]
    assert set(saved) == set(DIMS) and saved == {
        d: c.to_dict() for d, c in aligned.calibration_.items()}
    loaded = load_judge(root)
    assert loaded.params.calibrate and loaded.calibration_ == aligned.calibration_
    assert loaded.summary() == aligned.summary()
    judgments = loaded.score_many(split[1], DIMS, concurrency=1, progress=False)
    assert len(judgments) == len(split[1]) * len(DIMS)
    assert all(j.metadata["blend"] == aligned.calibration_[j.dimension].choice
               for j in judgments)


def test_a_judge_of_the_previous_format_is_refused_with_a_reason(aligned, tmp_path):
    root = aligned.save(tmp_path / "judge")
    config = json.loads((root / "config.json").read_text())
    (root / "config.json").write_text(json.dumps({**config, "format_version": 1}))
    with pytest.raises(JudgeDirError, match="format version 1 .*align the judge again"):
        load_judge(root)


def test_directory_layout_is_documented_and_readable(aligned, tmp_path):
    root = aligned.save(tmp_path / "judge")
    config = json.loads((root / "config.json").read_text())
    assert config["format_version"] == FORMAT_VERSION
    assert set(config["versions"]) >= {"memalign-nb", "chromadb", "langchain-core", "langchain"}
    assert config["engine"] == "heuristic" and config["dimensions"] == list(DIMS)
    assert config["params"]["k"] == 3 and config["params"]["min_support"] == 2
    assert config["base_judge"]["rebuildable"] and config["base_judge"]["model"] == "heuristic"
    lines = (root / "examples.jsonl").read_text().splitlines()
    assert len(lines) == len(aligned.items_) and all(json.loads(x)["episodic"] for x in lines)
    assert len((root / "feedback.jsonl").read_text().splitlines()) == len(aligned.grades_)
    markdown = (root / "guidelines.md").read_text()
    assert markdown.startswith("# Guidelines of memalign:heuristic")
    assert all(g.text in markdown for g in aligned.guidelines)
    store = root / config["episodic"]["store"]
    assert store.parent.name == "chroma" and store.is_dir()


def test_credentials_are_never_saved():
    judge = LLMJudge("openai:judge-model", cache_dir=None, base_url="http://127.0.0.1:9",
                     model_kwargs={"api_key": "sk-very-secret", "max_tokens": 50})
    spec = judge_spec(judge)
    assert spec["rebuildable"] and spec["model"] == "openai:judge-model"
    assert spec["options"]["model_kwargs"] == {"max_tokens": 50}
    assert spec["options"]["base_url"] == "http://127.0.0.1:9"
    assert "sk-very-secret" not in json.dumps(spec)


def test_credentials_at_any_depth_are_never_saved():
    key = "k-9f8e7d6c5b4a"
    judge = LLMJudge("openai:judge-model", cache_dir=None, model_kwargs={
        "default_headers": {"api-key": key, "X-Team": "ml"},
        "default_query": {"key": key, "api-version": "2024-06-01"},
        "extra_body": {"options": [{"auth": {"password": key}}], "max_tokens": 50},
    })
    spec = judge_spec(judge)
    assert key not in json.dumps(spec)
    assert spec["rebuildable"]
    kwargs = spec["options"]["model_kwargs"]
    assert kwargs["default_query"] == {"api-version": "2024-06-01"}
    assert kwargs["extra_body"] == {"options": [{}], "max_tokens": 50}
    assert "default_headers" not in kwargs  # header values may be credentials by any name


def test_a_judge_that_cannot_be_rebuilt_must_be_passed_back(split, tmp_path):
    scripted = ScriptedJudge({}, default=2)
    aligned = MemAlign(dimensions=DIMS[:1]).fit(scripted, split[0])
    root = aligned.save(tmp_path / "judge")
    spec = json.loads((root / "config.json").read_text())["base_judge"]
    assert spec["rebuildable"] is False and spec["class"].endswith("ScriptedJudge")
    with pytest.raises(JudgeDirError, match=r"config.json: the base judge 'scripted' cannot"):
        load_judge(root)
    loaded = load_judge(root, judge=scripted)
    case = split[1][0]
    assert loaded.score(case, DIMS[0]).score == aligned.score(case, DIMS[0]).score


def test_an_embedder_object_must_be_passed_back(split, tmp_path):
    embedder = HashingEmbeddings(n_features=256)
    aligned = MemAlign(dimensions=DIMS[:1], embeddings=embedder).fit(HeuristicJudge(), split[0])
    root = aligned.save(tmp_path / "judge")
    with pytest.raises(JudgeDirError, match="embedder object"):
        load_judge(root)
    with pytest.raises(JudgeDirError, match="built with embedder"):
        load_judge(root, embeddings=HashingEmbeddings(n_features=512))
    loaded = load_judge(root, embeddings=embedder)
    assert len(loaded.episodic) == len(aligned.episodic)


def test_saving_refuses_to_clobber_and_overwrite_replaces(aligned, split, tmp_path):
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    with pytest.raises(JudgeDirError, match="holds no saved judge"):
        aligned.save(foreign, overwrite=True)
    root = aligned.save(tmp_path / "judge")
    assert len(load_judge(root).episodic) == len(aligned.episodic)  # opened in this process
    with pytest.raises(JudgeDirError, match="already holds a saved judge"):
        aligned.save(root)
    (root / "keep.txt").write_text("user file")
    smaller = MemAlign(dimensions=DIMS[:1]).fit(HeuristicJudge(), split[0])
    smaller.save(root, overwrite=True)
    reloaded = load_judge(root)
    assert len(reloaded.episodic) == len(smaller.episodic) < len(aligned.episodic)
    assert (root / "keep.txt").read_text() == "user file"
    assert len(list((root / "chroma").iterdir())) == 1


def test_a_loaded_judge_keeps_its_directory_up_to_date(dataset, split, tmp_path):
    train, _ = split
    ids = [c.case_id for c in train.cases]
    root = MemAlign(dimensions=DIMS[:1]).fit(HeuristicJudge(), train.subset(ids[:4])).save(
        tmp_path / "judge")
    loaded = load_judge(root)
    loaded.add_feedback(train)
    assert len(load_judge(root).items_) == len(ids)
    loaded.forget(ids[0])
    again = load_judge(root)
    assert ids[0] not in {key[0] for key in again.items_}
    assert ids[0] not in again.episodic.case_ids()


def test_persist_dir_holds_the_judge_from_the_start(split, tmp_path):
    root = tmp_path / "live"
    aligned = MemAlign(dimensions=DIMS[:1], persist_dir=root).fit(HeuristicJudge(), split[0])
    assert aligned.path == root and (root / "config.json").is_file()
    assert load_judge(root).items_ == aligned.items_
    with pytest.raises(JudgeDirError, match="already holds a saved judge"):
        MemAlign(persist_dir=root).fit(HeuristicJudge(), split[0])


def _break_config(root: Path) -> None:
    config = json.loads((root / "config.json").read_text())
    config["format_version"] = 99
    config["versions"]["memalign-nb"] = "9.0"
    (root / "config.json").write_text(json.dumps(config))


def _drop_example_line(root: Path) -> None:
    lines = (root / "examples.jsonl").read_text().splitlines()
    (root / "examples.jsonl").write_text("\n".join(lines[1:]) + "\n")


def _delete_store(root: Path) -> None:
    shutil.rmtree(root / "chroma")


def _misfile_calibration(root: Path) -> None:
    config = json.loads((root / "config.json").read_text())
    config["calibration"]["model_use"] = config["calibration"].pop(DIMS[0])
    (root / "config.json").write_text(json.dumps(config))


@pytest.mark.parametrize(
    ("damage", "where", "message"),
    [
        (lambda r: (r / "config.json").unlink(), "config.json", "missing"),
        (lambda r: (r / "config.json").write_text("{not json"), "config.json", "unreadable"),
        (_break_config, "config.json", r"format version 99 \(written by memalign-nb 9.0\)"),
        (lambda r: (r / "guidelines.json").write_text("[]"), "guidelines.json", "guidelines"),
        (lambda r: (r / "examples.jsonl").write_text('{"case_id": 1}\n'), "examples.jsonl:1",
         "not a graded example"),
        (lambda r: (r / "feedback.jsonl").unlink(), "feedback.jsonl", "missing"),
        (_drop_example_line, "chroma", "1 examples unexpected|does not match"),
        (_delete_store, "chroma", "episodic store"),
        (_misfile_calibration, "config.json", "'calibration': .*not aligned"),
    ],
)
def test_broken_directories_give_a_clear_error(aligned, tmp_path, damage, where, message):
    root = aligned.save(tmp_path / "judge")
    damage(root)
    with pytest.raises(JudgeDirError, match=message) as raised:
        load_judge(root)
    assert where in raised.value.path


def test_a_missing_directory_is_named(tmp_path):
    with pytest.raises(JudgeDirError, match="no such judge directory"):
        load_judge(tmp_path / "nowhere")


def test_a_base_judge_of_the_other_engine_is_refused(aligned, tmp_path):
    root = aligned.save(tmp_path / "judge")
    llm = LLMJudge("openai:judge-model", cache_dir=None)
    with pytest.raises(JudgeDirError, match="aligned with the heuristic engine"):
        load_judge(root, judge=llm)

"""Tests of memalign_nb.align.aligned_judge: both engines, retrieval, prompts, forgetting."""

from __future__ import annotations

import dataclasses
import json
import re

import pytest

from memalign_nb.align import AlignedJudge, MemAlign
from memalign_nb.align.engines import make_engine
from memalign_nb.datasets import Dataset, generate_dataset, load_dataset
from memalign_nb.errors import MemAlignError
from memalign_nb.judges.llm import LLMJudge
from memalign_nb.judges.prompts import DATA_RULE
from memalign_nb.judges.scripted import ScriptedChatModel, ScriptedJudge
from memalign_nb.sections.tokens import count_tokens

DIM = "data_imputation"
CALIBRATION = "Calibration from expert feedback on earlier notebooks"


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Dataset:
    data = load_dataset(generate_dataset(tmp_path_factory.mktemp("ds") / "ds", 10, seed=11))
    grades = tuple(g for g in data.feedback if g.dimension in (DIM, "model_use"))
    return dataclasses.replace(data, feedback=grades)


def memory_of(system: str) -> str:
    """The expert-memory part of a system message."""
    return system.split(CALIBRATION, 1)[1].split(DATA_RULE, 1)[0]


def halves(dataset: Dataset) -> tuple[Dataset, list]:
    ids = [c.case_id for c in dataset.cases]
    return dataset.subset(ids[:6]), list(dataset.subset(ids[6:]).cases)


class Reflector:
    """Replies like a judge to judge prompts and like a reflection model to reflection ones:
    one guideline per case of the batch, citing that case."""

    def __init__(self) -> None:
        self.reflected: list[list[str]] = []

    def __call__(self, messages) -> dict:
        system, human = messages[0].text, messages[-1].text
        if "You calibrate an automated grader" not in system:
            return {"rationale": "judge reply", "score": 3}
        ids = re.search(r"Case ids in this batch: (.*)\.$", human).group(1).split(", ")
        self.reflected.append(ids)
        return {"guidelines": [
            {"text": f"Guideline number {len(self.reflected)}.{n}: check how gaps are filled.",
             "source_case_ids": [case_id]} for n, case_id in enumerate(ids)
        ]}


def llm_judge(reflector: Reflector) -> tuple[LLMJudge, ScriptedChatModel]:
    model = ScriptedChatModel(default_reply=reflector)
    return LLMJudge(model, cache_dir=None), model


def test_heuristic_engine_carries_expert_corrections_to_similar_cases(dataset):
    train, held_out = halves(dataset)
    strict = tuple(dataclasses.replace(g, score=1) for g in train.feedback if g.dimension == DIM)
    aligned = MemAlign(dimensions=[DIM], semantic=False, k=3).fit(
        ScriptedJudge({}, default=3), dataclasses.replace(train, feedback=strict))
    judgment = aligned.score(held_out[0], DIM)
    assert judgment.score == 1 and judgment.metadata["base_score"] == 3
    assert judgment.judge_id == "memalign:scripted" and judgment.metadata["aligned"]
    assert len(judgment.retrieved_ids) == 3
    assert set(judgment.retrieved_ids) <= {c.case_id for c in train.cases}
    assert "the unaligned judge scored 3" in judgment.rationale


def test_a_case_is_never_its_own_neighbour(dataset):
    train, _ = halves(dataset)
    aligned = MemAlign(dimensions=[DIM], k=10).fit(ScriptedJudge({}, default=2), train)
    for case in train.cases:
        recall = aligned.recall(case, DIM)
        ids = [n.example.case_id for n in recall.neighbours]
        assert case.case_id not in ids and len(ids) == len(train.cases) - 1
        assert case.case_id not in aligned.score(case, DIM).retrieved_ids


def test_unaligned_dimensions_and_base_failures_pass_through(dataset):
    train, held_out = halves(dataset)
    fitted = MemAlign(dimensions=[DIM]).fit(ScriptedJudge({}, default=2), train)
    base = ScriptedJudge({(held_out[1].case_id, DIM): 2}, default=None)
    aligned = AlignedJudge(base, fitted.params, state=fitted.state,
                           engine=make_engine("heuristic", base, fitted.params))
    other = aligned.score(held_out[1], "model_use")
    assert not other.ok and other.metadata["aligned"] is False  # scripted judge had no score
    failed = aligned.score(held_out[0], DIM)
    assert not failed.ok and failed.score is None and "no scripted score" in failed.error
    assert aligned.score(held_out[1], DIM).ok


def test_concurrent_scoring_gives_the_sequential_results(dataset):
    train, held_out = halves(dataset)
    aligned = MemAlign(dimensions=[DIM, "model_use"]).fit(ScriptedJudge({}, default=2), train)
    one = aligned.score_many(held_out, concurrency=1, progress=False)
    many = aligned.score_many(held_out, concurrency=4, progress=False)
    assert [(j.case_id, j.dimension, j.score, j.retrieved_ids) for j in one] == [
        (j.case_id, j.dimension, j.score, j.retrieved_ids) for j in many]
    assert aligned.summary()[DIM] == {"items": 6, "examples": 6,
                                      "guidelines": len(aligned.guidelines.for_dimension(DIM)),
                                      "blend": aligned.calibration_[DIM].choice}
    with pytest.raises(MemAlignError, match="heuristic engine"):
        aligned.build_prompt(held_out[0], DIM)


def test_llm_engine_distils_guidelines_with_provenance(dataset):
    train, _ = halves(dataset)
    reflector = Reflector()
    judge, model = llm_judge(reflector)
    aligned = MemAlign(dimensions=[DIM], distill_batch_size=4).fit(judge, train)
    assert aligned.engine.name == "llm"
    assert reflector.reflected == [[c.case_id for c in train.cases][:4],
                                   [c.case_id for c in train.cases][4:]]
    guidelines = aligned.guidelines.for_dimension(DIM)
    assert len(guidelines) == 6 and all(g.engine == "llm" for g in guidelines)
    assert sorted(g.source_case_ids[0] for g in guidelines) == sorted(
        c.case_id for c in train.cases)
    # the reflection saw the judge's verdicts and the experts' reasons
    reflections = [t for t in model.prompt_texts if "You calibrate" in t]
    assert "The judge scored 3: judge reply" in reflections[0]
    assert "The expert scored" in reflections[0]


def test_llm_prompt_carries_guidelines_and_fenced_examples_within_budget(dataset):
    train, held_out = halves(dataset)
    judge, model = llm_judge(Reflector())
    aligned = MemAlign(dimensions=[DIM], k=3, memory_tokens=900).fit(judge, train)
    prompt = aligned.build_prompt(held_out[0], DIM)
    memory = memory_of(prompt.system)
    assert "Guidelines learned from expert feedback" in memory
    assert "Guideline number" in memory
    assert memory.count("<<<BEGIN UNTRUSTED EXAMPLE") >= 1
    assert re.search(r"Example 1, graded \d by an expert because: \S", memory)
    assert count_tokens(memory) <= 900 * 1.1
    assert "<<<BEGIN UNTRUSTED NOTEBOOK SECTION" in prompt.human  # the case stays fenced

    judgment = aligned.score(held_out[0], DIM)
    assert judgment.ok and judgment.judge_id.startswith("memalign:")
    assert judgment.metadata["guideline_ids"] and judgment.retrieved_ids
    sent = model.prompts[-1][0].text
    assert CALIBRATION in sent and "Guideline number" in sent
    shown = re.findall(r"<<<BEGIN UNTRUSTED EXAMPLE", sent)
    assert len(shown) == len(judgment.retrieved_ids)


def test_tight_budget_keeps_guidelines_first_and_cuts_examples(dataset):
    train, held_out = halves(dataset)
    judge, _ = llm_judge(Reflector())
    aligned = MemAlign(dimensions=[DIM], k=5, memory_tokens=200).fit(judge, train)
    memory = memory_of(aligned.build_prompt(held_out[0], DIM).system)
    assert "Guideline number" in memory
    assert count_tokens(memory) <= 200 * 1.1 + 40
    roomy = MemAlign(dimensions=[DIM], k=5, memory_tokens=6000).fit(judge, train)
    full = memory_of(roomy.build_prompt(held_out[0], DIM).system)
    assert full.count("<<<BEGIN UNTRUSTED EXAMPLE") > memory.count("<<<BEGIN UNTRUSTED EXAMPLE")


def test_llm_add_feedback_reflects_only_on_new_items_and_forget_drops_sources(dataset):
    train, _ = halves(dataset)
    ids = [c.case_id for c in train.cases]
    reflector = Reflector()
    judge, _ = llm_judge(reflector)
    aligned = MemAlign(dimensions=[DIM]).fit(judge, train.subset(ids[:4]))
    assert reflector.reflected == [ids[:4]]
    assert aligned.add_feedback(train.subset(ids[:4])).reflected_items == 0
    update = aligned.add_feedback(train)
    assert update.reflected_items == 2 and reflector.reflected[-1] == ids[4:]
    assert len(reflector.reflected) == 2

    shared = aligned.guidelines.add([dataclasses.replace(
        aligned.guidelines.for_dimension(DIM)[0], text="A shared rule.", id="",
        source_case_ids=(ids[0], ids[5]))])[0]
    result = aligned.forget([ids[0], ids[1]])
    dropped = {g.source_case_ids for g in result.guidelines_dropped}
    assert dropped == {(ids[0],), (ids[1],)}
    kept = {g.id: g for g in aligned.guidelines}
    assert kept[shared.id].source_case_ids == (ids[5],)
    assert len(kept) == 5  # 6 distilled + 1 shared - 2 dropped
    assert result.examples_removed == 2 and result.grades_removed == 4  # two raters each
    assert aligned.episodic.case_ids() == sorted(ids[2:])  # nothing else removed
    assert {key[0] for key in aligned.items_} == set(ids[2:])
    assert {key[0] for key in aligned.grades_} == set(ids[2:])
    assert json.dumps(aligned.summary())  # plain data

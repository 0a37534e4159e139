import argparse
import logging
import sys
from contextlib import ExitStack

import pytest

from memalign_nb.cli.options import (
    add_model_server_arguments,
    dimension_list,
    judge_from_args,
    open_output,
    positive_int,
    text_table,
)
from memalign_nb.errors import FileProblemError
from memalign_nb.judges.batch import DEFAULT_CONCURRENCY


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="heuristic")
    add_model_server_arguments(parser)
    return parser.parse_args(argv)


def test_an_llm_judge_gets_the_flags_that_were_given():
    args = parse("--model", "openai:gpt-4o-mini", "--rps", "2", "--base-url", "http://127.0.0.1:9",
                 "--timeout", "5")
    judge = judge_from_args(args, include_facts=True)
    assert (judge.requests_per_second, judge.base_url, judge.timeout) == (2.0, "http://127.0.0.1:9",
                                                                          5.0)
    assert judge.include_facts is True
    assert judge.cache_dir == ".memalign-cache" and judge.max_retries == 3  # not given: defaults
    assert judge_from_args(parse("--model", "openai:x", "--no-cache")).cache_dir is None
    assert judge_from_args(parse("--model", "openai:x", "--max-retries", "1")).max_retries == 1


def test_a_saved_judge_keeps_its_settings_unless_a_flag_is_given(tmp_path):
    from memalign_nb.integrations.judge_folders import save_judge_dir
    from memalign_nb.judges.llm import LLMJudge

    folder = save_judge_dir(LLMJudge("openai:gpt-4o-mini", base_url="http://vllm:8000/v1",
                                     timeout=120.0), tmp_path / "j")
    judge = judge_from_args(parse("--model", str(folder)), timeout=None)
    assert (judge.base_url, judge.timeout) == ("http://vllm:8000/v1", 120.0)
    assert judge_from_args(parse("--model", str(folder), "--rps", "3")).requests_per_second == 3


def test_flags_a_judge_does_not_take_are_named_in_a_warning(caplog):
    args = parse("--rps", "2")
    with caplog.at_level(logging.WARNING, logger="memalign_nb.cli.options"):
        judge = judge_from_args(args, timeout=None, include_facts=True, rubrics={})
    assert judge.rubrics == {}  # the heuristic judge takes rubrics
    assert "--include-facts, --rps ignored: heuristic does not take them" in caplog.text
    assert "timeout" not in caplog.text


def test_argument_types_and_table():
    assert positive_int("3") == 3
    for bad in ("0", "x"):
        with pytest.raises(argparse.ArgumentTypeError):
            positive_int(bad)
    assert dimension_list(["a,b", "a", " c "]) == ("a", "b", "c")
    assert text_table(["dim", "n"], [["x", 10], ["long", 2]]).splitlines() == [
        "dim    n",
        "x     10",
        "long   2",
    ]


SHARED_FLAGS = ("--model", "--dimensions", "--concurrency", "--no-progress")
MEMORY_FLAGS = ("--k", "--embeddings", "--reflection-model")


def _options(command: str) -> dict[str, argparse.Action]:
    from memalign_nb.cli import build_parser

    (commands,) = [a for a in build_parser()._actions if a.dest == "command"]
    return {flag: a for a in commands.choices[command]._actions for flag in a.option_strings}


@pytest.mark.parametrize("command", ["judge", "align", "study"])
def test_commands_taking_a_judge_share_one_declaration_of_their_flags(command):
    options, reference = _options(command), _options("judge")
    flags = SHARED_FLAGS + (MEMORY_FLAGS if command != "judge" else ())
    for flag in flags:
        assert flag in options, f"{command} lacks {flag}"
    for flag in SHARED_FLAGS:
        mine, theirs = options[flag], reference[flag]
        assert (mine.default, mine.type, mine.nargs) == (theirs.default, theirs.type,
                                                         theirs.nargs), flag
    assert options["--concurrency"].default == DEFAULT_CONCURRENCY


def test_open_output_writes_a_file_or_standard_output_and_names_an_unwritable_path(tmp_path):
    with ExitStack() as stack:
        open_output(stack, str(tmp_path / "j.jsonl")).write("x\n")
        assert open_output(stack, "-") is sys.stdout
    assert (tmp_path / "j.jsonl").read_text() == "x\n"
    missing = tmp_path / "no" / "j.jsonl"
    with ExitStack() as stack, pytest.raises(FileProblemError, match="cannot write") as info:
        open_output(stack, str(missing))
    assert info.value.path == str(missing)

import argparse
import logging

import pytest

from memalign_nb.cli.options import (
    add_model_server_arguments,
    dimension_list,
    model_server_options,
    positive_int,
    text_table,
)


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="heuristic")
    add_model_server_arguments(parser)
    return parser.parse_args(argv)


def test_llm_model_gets_the_server_options():
    args = parse("--model", "openai:gpt-4o-mini", "--rps", "2", "--base-url", "http://127.0.0.1:9",
                 "--timeout", "5", "--max-retries", "1")
    assert model_server_options(args, include_facts=True) == {
        "requests_per_second": 2.0,
        "base_url": "http://127.0.0.1:9",
        "cache_dir": ".memalign-cache",
        "timeout": 5.0,
        "max_retries": 1,
        "include_facts": True,
    }
    assert model_server_options(parse("--model", "openai:x", "--no-cache"))["cache_dir"] is None


def test_offline_judge_gets_nothing_and_names_the_ignored_flags(caplog):
    args = parse("--rps", "2")
    with caplog.at_level(logging.WARNING, logger="memalign_nb.cli.options"):
        assert model_server_options(args, timeout=60.0, include_facts=True) == {}
    assert "--rps, --include-facts ignored" in caplog.text
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

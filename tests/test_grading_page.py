"""The grading page's settings: one codec for ``memalign-nb grade`` and the page."""

from __future__ import annotations

import pytest

from memalign_nb.errors import ParameterError
from memalign_nb.grading_page import (
    ENV_DATASET,
    ENV_JUDGE,
    ENV_MODE,
    ENV_RATER,
    ENV_STORE,
    PageSettings,
)


def test_settings_travel_through_the_environment_unchanged():
    settings = PageSettings("/data/ds", "ana", "/data/ds/grades.sqlite", "openai:gpt-4o-mini")
    environ = settings.to_environment()
    assert environ == {ENV_DATASET: "/data/ds", ENV_RATER: "ana",
                       ENV_STORE: "/data/ds/grades.sqlite", ENV_JUDGE: "openai:gpt-4o-mini"}
    assert PageSettings.from_environment({"PATH": "/bin", **environ}) == settings


def test_unset_optional_settings_are_left_out_and_read_back_as_none():
    environ = PageSettings("/data/ds", "ana").to_environment()
    assert set(environ) == {ENV_DATASET, ENV_RATER}
    assert PageSettings.from_environment({**environ, ENV_JUDGE: ""}).judge is None


@pytest.mark.parametrize("missing", [ENV_DATASET, ENV_RATER])
def test_a_page_not_started_by_the_command_says_how_to_start_it(missing):
    environ = {ENV_DATASET: "/data/ds", ENV_RATER: "ana", missing: "  "}
    with pytest.raises(ParameterError, match="memalign-nb grade DATASET --rater NAME") as info:
        PageSettings.from_environment(environ)
    assert info.value.name == missing


def test_the_adjudicate_mode_travels_and_an_unknown_mode_is_refused():
    settings = PageSettings("/data/ds", "ana", mode="adjudicate")
    environ = settings.to_environment()
    assert environ[ENV_MODE] == "adjudicate"
    assert PageSettings.from_environment(environ) == settings
    with pytest.raises(ParameterError, match="'judge' is not a mode; use one of grade, adj"):
        PageSettings.from_environment({**environ, ENV_MODE: "judge"})

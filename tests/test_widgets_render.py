"""HTML fragments: notebook text is escaped everywhere, code is highlighted."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from memalign_nb_widgets import render

from memalign_nb.feedback.model import Grade
from memalign_nb.judges.base import Judgment
from memalign_nb.notebooks.model import Cell, Notebook
from memalign_nb.rubrics.model import Rubric
from memalign_nb.sections.model import Section

SCRIPT = "<script>alert('xss')</script>"
IMG = '<img src=x onerror="alert(1)">'
HOSTILE = f"x = 1  # {SCRIPT}\nprint('{IMG}')"


class _Tags(HTMLParser):
    """Collects every start tag and attribute name a browser would build."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += [name for name, _ in attrs]

    def handle_data(self, data):
        self.text.append(data)


def parse(fragment: str) -> _Tags:
    parser = _Tags()
    parser.feed(fragment)
    parser.close()
    return parser


def assert_inert(fragment: str) -> None:
    parsed = parse(fragment)
    assert "script" not in parsed.tags and "img" not in parsed.tags
    assert not [a for a in parsed.attrs if a.startswith("on")]


def hostile_notebook() -> Notebook:
    cells = (
        Cell(0, "markdown", f"# Title {IMG}"),
        Cell(1, "code", HOSTILE, output_text=f"out {SCRIPT}"),
        Cell(2, "raw", SCRIPT),
    )
    return Notebook("evil.ipynb", cells)


def test_highlight_escapes_and_colours_python():
    html = render.highlight(HOSTILE)
    assert_inert(html)
    text = "".join(parse(html).text)
    assert SCRIPT in text and IMG in text  # shown as text, exactly
    assert re.search(r'<span style="color: #[0-9a-f]{6}[^"]*">print</span>', html)


def test_highlight_falls_back_to_plain_text_for_unknown_languages():
    html = render.highlight("a <b> c", "no-such-language")
    assert_inert(html)
    assert "a &lt;b&gt; c" in html


def test_render_cells_escapes_sources_outputs_and_markdown():
    html = render.render_cells(hostile_notebook())
    assert_inert(html)
    text = "".join(parse(html).text)
    assert text.count(SCRIPT) == 3 and text.count(IMG) == 2
    assert "[1] code" in text and "[0] markdown" in text


def test_render_section_shows_only_its_cells_and_notes_trimming():
    nb = hostile_notebook()
    section = Section("model_training", nb.path, (1,), "text", 10, trimmed=("cell 9 <b>",))
    html = render.render_section(section, nb)
    assert_inert(html)
    assert "[1] code" in html and "[0] markdown" not in html
    assert "Trimmed: cell 9 &lt;b&gt;" in html
    empty = Section("model_training", nb.path, (), "", 0)
    assert "No cell of this notebook bears" in render.render_section(empty, nb)


def test_prompt_rubric_judgment_and_saved_grade_are_escaped():
    rubric = Rubric("model_training", f"Training {IMG}", f"desc {SCRIPT}",
                    ((3, "good <b>"), (2, "ok"), (1, "bad")), not_applicable="never <i>")
    fragments = [
        render.render_prompt(f"Predict {SCRIPT}", "case<1>"),
        render.render_rubric(rubric),
        render.render_judgment(Judgment("c", "model_training", 2, f"why {IMG}", judge_id=SCRIPT)),
        render.render_judgment(Judgment("c", "model_training", None, error=SCRIPT)),
        render.render_saved(Grade("c", "model_training", 2, "r", "ana", f"{SCRIPT}")),
        render.render_status(f"failed {IMG}", "error"),
        render.render_progress({f"dim {SCRIPT}": (1, 2)}),
    ]
    for fragment in fragments:
        assert_inert(fragment)
    rubric_text = "".join(parse(fragments[1]).text)
    assert "0 \u2014 not applicable: never <i>" in rubric_text
    assert "3 \u2014 good <b>" in rubric_text


@pytest.mark.parametrize(("graded", "total", "width"), [(0, 4, "0%"), (3, 4, "75%"), (0, 0, "0%")])
def test_progress_bar_width_follows_the_share_graded(graded, total, width):
    html = render.render_progress({"model_use": (graded, total)})
    assert f"width:{width}" in html and f"{graded}/{total}" in html


def test_saved_and_status_say_what_happened():
    assert "Not graded yet" in render.render_saved(None)
    saved = render.render_saved(Grade("c", "model_use", 3, "", "ana", "2024-05-01T10:00:00Z"))
    assert "score <b>3</b> at 2024-05-01T10:00:00Z" in saved
    assert "memalign-status-error" in render.render_status("boom", "error")
    assert "no verdict" in render.render_judgment(None)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::memalign_nb.errors.MemAlignWarning")
def test_every_real_corpus_notebook_renders_inert_with_its_text_intact(real_notebook_paths):
    from memalign_nb.notebooks import read_notebook

    paths = real_notebook_paths
    assert len(paths) >= 50
    for path in paths:
        notebook = read_notebook(path)
        html = render.render_cells(notebook)
        assert_inert(html)
        shown = "".join(parse(html).text)
        for cell in notebook.cells:
            assert cell.source.strip() in shown, f"{path.name} cell {cell.index} lost text"

"""StudyView: pick a dimension, see its table and plots; defensive about the folder."""

from __future__ import annotations

import json
import struct
import zlib

import pytest
from memalign_nb_widgets.study_view import StudyFolderError, StudyView, read_study, render_table


def png_bytes(width: int = 2, height: int = 1) -> bytes:
    """A valid, tiny RGB PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw))
            + chunk(b"IEND", b""))


RESULTS = {
    "params": {"judge": "heuristic", "folds": 4},
    "dimensions": {
        "data_imputation": {
            "baseline": {"n": 40, "mae": 0.474, "ci_low": 0.31, "ci_high": 0.64,
                         "exact_agreement": 0.55, "kappa": 0.4},
            "full": {"n": 40, "mae": 0.053, "ci_low": 0.0, "ci_high": 0.12,
                     "improvement": {"estimate": 0.421, "low": 0.25, "high": 0.6},
                     "significant": True},
            "noise_floor": {"mae": 0.2, "n_pairs": 12, "n_raters": 2},
        },
        "model_training": {"baseline": {"n": 38}},  # most keys missing
        "all": {"baseline": {"n": 78, "mae": 0.5, "ci_low": 0.4, "ci_high": 0.6}},
    },
}


@pytest.fixture
def study_dir(tmp_path):
    folder = tmp_path / "study"
    (folder / "plots").mkdir(parents=True)
    (folder / "results.json").write_text(json.dumps(RESULTS))
    for name in ("mae_data_imputation.png", "plots/confusion_data_imputation.png",
                 "overview.png", "mae_model_training.png"):
        (folder / name).write_bytes(png_bytes())
    return folder


def test_read_study_finds_results_dimensions_and_plots(study_dir):
    study = read_study(study_dir)
    assert study.dimensions == ("data_imputation", "model_training", "all")
    own, shared = study.plots_for("data_imputation")
    assert [p.name for p in own] == ["mae_data_imputation.png", "confusion_data_imputation.png"]
    assert [p.name for p in shared] == ["overview.png"]
    assert [p.name for p in study.plots_for("all")[0]] == ["overview.png"]
    assert set(study.rows("data_imputation")) == {"baseline", "full"}
    assert study.rows("no_such_dimension") == {}


def test_table_shows_numbers_intervals_significance_and_dashes():
    study_rows = {"full": RESULTS["dimensions"]["data_imputation"]["full"],
                  "baseline": RESULTS["dimensions"]["model_training"]["baseline"]}
    html = render_table(study_rows)
    assert "0.053" in html and "[0.000, 0.120]" in html and "0.421 *" in html
    assert "<td style='padding:2px 10px'>38</td>" in html
    assert html.count("\u2014") >= 5  # the model_training row is mostly missing
    assert "No results" in render_table({})


def test_view_switches_dimension_table_and_plots(study_dir):
    view = StudyView(study_dir)
    assert view.dimension.value == "data_imputation"
    assert "0.474" in view.table_html.value and "noise floor: MAE 0.200" in view.table_html.value
    images = [c.children[1] for c in view.plots_box.children if hasattr(c, "children")]
    assert len(images) == 3 and all(img.value == png_bytes() for img in images)
    view.dimension.value = "model_training"
    assert "0.474" not in view.table_html.value and ">38<" in view.table_html.value
    names = [c.children[0].value for c in view.plots_box.children if hasattr(c, "children")]
    assert names == ["<small>mae_model_training.png</small>", "<small>overview.png</small>"]


def test_folder_with_plots_only_still_shows_them(tmp_path):
    (tmp_path / "overview.png").write_bytes(png_bytes())
    view = StudyView(tmp_path)
    assert view.dimension.options == ("all",)
    assert "No results" in view.table_html.value
    assert len(view.plots_box.children) == 2  # heading + one plot


def test_bad_folders_raise_a_clear_error(tmp_path):
    with pytest.raises(StudyFolderError, match="no such study folder"):
        StudyView(tmp_path / "missing")
    (tmp_path / "results.json").write_text('{"dimensions": {\n  "x": ,}')
    with pytest.raises(StudyFolderError, match=r"results.json: not valid JSON \(line 2"):
        read_study(tmp_path)
    (tmp_path / "results.json").write_text("[1, 2]")
    with pytest.raises(StudyFolderError, match="JSON object"):
        read_study(tmp_path)
    (tmp_path / "results.json").write_text('{"dimensions": [1, 2]}')
    assert read_study(tmp_path).dimensions == ()

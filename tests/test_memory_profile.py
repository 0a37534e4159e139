"""Tests of memalign_nb.memory.profile: sections compared by code and by what it does."""

from __future__ import annotations

import numpy as np
import pytest

from memalign_nb.memory.examples import Example
from memalign_nb.memory.profile import DIGEST_FEATURES, Profile, ProfileEncoder
from memalign_nb.sections.model import Section

CODE = "imputer = SimpleImputer()\nX = imputer.fit_transform(X)\nX_tr, X_te = split(X)"
OTHER = "sns.histplot(df['price'])\nplt.show()"
LEAK = {"imputer_fit_before_split": True, "imputation_methods": ["SimpleImputer"]}


def cosine(a, b) -> float:
    return float(np.dot(a, b))


def test_vectors_have_unit_length_and_the_readings_weigh_as_told():
    encoder = ProfileEncoder()
    vectors = encoder.encode([Profile(CODE, LEAK, "data_imputation.leakage"), Profile(OTHER)])
    assert [len(v) for v in vectors] == [1024 + DIGEST_FEATURES] * 2
    assert all(np.linalg.norm(v) == pytest.approx(1.0) for v in vectors)
    same_code = encoder.encode_one(Profile(CODE))
    same_readings = encoder.encode_one(Profile(OTHER, LEAK, "data_imputation.leakage"))
    # Each half has length 1 before weighing: against code alone, 1/sqrt(2); sharing the
    # readings, half of (1 + the codes' cosine).
    assert cosine(vectors[0], same_code) == pytest.approx(2 ** -0.5)
    assert cosine(vectors[0], same_readings) == pytest.approx((1 + cosine(
        encoder.embedder.embed_query(CODE), encoder.embedder.embed_query(OTHER))) / 2)
    heavy = ProfileEncoder(digest_weight=3.0)
    assert cosine(heavy.encode_one(Profile(CODE, LEAK)), heavy.encode_one(Profile(OTHER, LEAK))
                  ) > cosine(encoder.encode_one(Profile(CODE, LEAK)),
                             encoder.encode_one(Profile(OTHER, LEAK)))
    blind = ProfileEncoder(digest_weight=0.0)
    assert cosine(blind.encode_one(Profile(CODE, LEAK)), blind.encode_one(Profile(CODE))
                  ) == pytest.approx(1.0)
    assert encoder.encode([]) == []


def test_each_reading_is_one_exact_feature():
    encoder = ProfileEncoder()
    a = encoder.encode_one(Profile(CODE, {"leak": True}))
    b = encoder.encode_one(Profile(CODE, {"leak": False}))
    assert cosine(a, b) == pytest.approx(0.5)  # the code half only
    assert Profile(CODE, {"leak": True}, "x.y").tokens() == [
        "leak equals True", "finding equals 'x.y'"]
    assert Profile(CODE, LEAK, "x.y").digest().splitlines() == [
        "static finding: x.y", "imputer fit before split is true",
        "imputation methods is non-empty", "imputation methods includes 'SimpleImputer'"]


def test_profiles_of_examples_and_sections_agree():
    section = Section("data_imputation", "a.ipynb", (0,), CODE, 20, facts=LEAK)
    example = Example("a", "data_imputation", CODE, 1, facts=LEAK, finding="x.y")
    assert Profile.of_example(example) == Profile.of_section(section, "x.y")
    assert Profile.of_section(section, text="short").code == "short"


def test_a_bad_weight_is_refused():
    with pytest.raises(ValueError, match="digest_weight"):
        ProfileEncoder(digest_weight=-1)

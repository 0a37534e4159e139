"""Tests for memalign_nb.sections.findings and the EDA facts built on it: targeted checks,
findings quoted in markdown, and markdown claims contradicted by saved outputs."""

from __future__ import annotations

from memalign_nb.notebooks.model import Cell, Notebook
from memalign_nb.sections.facts import extract_facts
from memalign_nb.sections.findings import class_shares, missing_shares

LOAD = 'import pandas as pd\nTARGET = "Survived"\ndf = pd.read_csv("train.csv")'
ISNA = ("df.isnull().sum()", "Age    177\nCabin    687\nFare    0\ndtype: int64")
INFO = ("df.info()", "RangeIndex: 891 entries, 0 to 890\n 0   Age   714 non-null  float64")
BALANCE = ("df[TARGET].value_counts(normalize=True)", "0    0.9\n1    0.1\nName: proportion")
FIT = ('y = (df["Survived"] == 1).astype(int)\nfrom sklearn.tree import DecisionTreeClassifier\n'
       "DecisionTreeClassifier().fit(df, y)")


def facts(*cells):
    built = []
    for i, cell in enumerate(cells):
        if isinstance(cell, tuple):
            built.append(Cell(i, "code", cell[0], output_text=cell[1]))
        elif cell.startswith("md:"):
            built.append(Cell(i, "markdown", cell[3:]))
        else:
            built.append(Cell(i, "code", cell))
    return extract_facts(Notebook("hand.ipynb", tuple(built)))


def eda(*cells):
    return facts(*cells).for_dimension("exploratory_data_analysis")


def test_target_named_by_a_constant_and_by_a_comparison_is_recognised():
    f = facts(LOAD, BALANCE, FIT)
    assert f.target == "Survived"
    assert eda(LOAD, BALANCE, FIT)["target_distribution_checked"]


def test_groupby_of_the_target_by_a_column_is_a_relationship_not_its_distribution():
    d = eda(LOAD, 'df.groupby("Sex")[TARGET].mean()', FIT)
    assert d["target_relationship_checked"] and not d["target_distribution_checked"]
    assert not eda(LOAD, 'df.groupby("Sex")["Fare"].mean()', FIT)["target_relationship_checked"]


def test_grouped_lags_are_features_not_an_inspection():
    d = eda(LOAD, 'df["lag"] = df.groupby("store")["Survived"].shift(7)', FIT)
    assert "groupby" not in d["eda_methods"] and not d["target_relationship_checked"]


def test_markdown_quoting_numbers_after_exploration_counts_as_findings():
    assert eda(LOAD, BALANCE, "md:Only 10% survived; women 74% vs men 19%.", FIT)[
        "finding_cells"] == 1
    # before any exploration, or a heading with a number: not a finding
    assert eda(LOAD, "md:## 2. Data (3.5 GB)", "md:We load 12.5% of rows", FIT)[
        "finding_cells"] == 0


def test_missing_shares_from_counts_over_rows_and_from_info():
    f = facts(LOAD, INFO, ISNA, FIT)
    shares = {(cell, col): round(s, 2) for cell, col, s in missing_shares(f)}
    assert shares[(2, "Cabin")] == 0.77 and shares[(1, "Age")] == 0.2
    assert class_shares(facts(LOAD, BALANCE, FIT)) == [(1, 0.1)]


def test_claim_that_missing_values_are_negligible_is_contradicted():
    d = eda(LOAD, INFO, ISNA, "md:Missing values are negligible and can be ignored.", FIT)
    assert len(d["claims_contradicted"]) == 1 and "Cabin missing in 77%" in d[
        "claims_contradicted"][0]


def test_claims_are_left_alone_when_true_negated_or_unparsable():
    small = ("df.isna().mean()", "Age    0.02\nFare    0.0\ndtype: float64")
    assert not eda(LOAD, small, "md:Missing values are negligible.", FIT)["claims_contradicted"]
    assert not eda(LOAD, INFO, ISNA, "md:Missing values are not negligible.", FIT)[
        "claims_contradicted"]
    # counts without any known number of rows: no share, no verdict
    assert not eda(LOAD, ISNA, "md:Missing values are negligible.", FIT)["claims_contradicted"]
    # the claim comes before the output it would contradict
    assert not eda(LOAD, "md:Missing values are negligible.", INFO, ISNA, FIT)[
        "claims_contradicted"]


def test_claim_of_balanced_classes_against_a_rare_class():
    d = eda(LOAD, BALANCE, "md:The classes are balanced enough to use plain accuracy.", FIT)
    assert "smallest class at 10.0%" in d["claims_contradicted"][0]
    even = ("df[TARGET].value_counts()", "0    500\n1    450\nName: count")
    assert not eda(LOAD, even, "md:The classes are balanced.", FIT)["claims_contradicted"]
    assert not eda(LOAD, BALANCE, "md:The classes are not balanced.", FIT)["claims_contradicted"]

"""drift: does every variant carry its plant, and does the notebook state what the key uses?

What every exercise shares (the key's types, determinism, each wrong approach losing
exactly its questions, the personas' bounds, the rubric, the notebook's structure, no
key value in the bundle, the solution matching the key) is checked for it by the
contract suite, test_every_exercise.py; this file checks what drift plants and states.
Its modules are imported by path, the way evalround loads them.
"""

import json
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd
import pytest

from contract import EXERCISES, SEEDS, cells_by_id, persona_totals
from contract import keyed as contract_keyed
from helpers import load_module

ROOT = Path(__file__).resolve().parents[2]
SLUG = "drift"
FOLDER = ROOT / "exercises" / SLUG


def _load(name: str, module_name: str) -> ModuleType:
    return load_module(FOLDER / f"{name}.py", module_name)


generator = _load("generator", "drift_generator")
answers = _load("answers", "drift_answers")
MANIFEST = EXERCISES[SLUG].manifest
FIELDS: dict[str, dict[str, Any]] = {
    name: spec for q in EXERCISES[SLUG].raw_manifest()["questions"]
    for name, spec in q.get("answers", {}).items()
}


def keyed(seed: int) -> tuple[dict[str, Any], dict[str, pd.DataFrame], dict[str, Any]]:
    return contract_keyed(SLUG, seed)


def _week_index(frames: dict[str, pd.DataFrame], week: str) -> int:
    weeks = sorted(answers.with_weeks(frames["production_logs.csv"])["week"].unique())
    return weeks.index(week) + 1


# ---------------------------------------------------------------------------------------


def test_parameters_and_alarm_causes_agree() -> None:
    """Are the public parameters min_week_n and the on-call note, and do the generator and
    the key name the same alarm causes and notes?"""
    params, _, _ = keyed(0)
    assert set(params["public"]) == {"min_week_n", "oncall_note"}
    assert answers.ONCALL_NOTES == generator.ONCALL_NOTES
    assert tuple(answers.ONCALL_NOTES) == answers.ALARM_CAUSES == generator.ALARM_CAUSES


@pytest.mark.parametrize("seed", SEEDS)
def test_planted_phenomena(seed: int) -> None:
    """Is every plant visible in the data the candidate gets?"""
    params, frames, key = keyed(seed)
    hidden, min_n = params["hidden"], params["public"]["min_week_n"]
    logs, eval_set = frames["production_logs.csv"], frames["eval_set.csv"]
    table = answers.weekly_psi(logs, eval_set)
    planted = "intent" if hidden["kind"] == "product" else "language"
    alarm = _week_index(frames, key["q1_drift_week"])

    # The first alarm comes where its cause puts it, in the planted feature.
    assert key["q1_drift_feature"] == planted
    if hidden["cause"] == "new_traffic":
        assert alarm >= hidden["alarm_week"] and table[planted].iloc[-1] >= 0.25
    elif hidden["cause"] == "logging_outage":
        assert alarm == hidden["alarm_week"]
        others = table[(table["n"] >= min_n) & (table.index != alarm - 1)]
        assert others["language"].max() <= 0.16
    else:
        # Without the minor language's term, the alarm week is quiet.
        week = with_week(logs, key["q1_drift_week"])
        minor = hidden["minor_language"]
        assert minor not in set(eval_set["language"])
        rest = answers.psi(week["language"][week["language"] != minor], eval_set["language"])
        assert rest <= 0.1

    # Exactly one small week, before the alarm, whose PSI crosses the alarm: a log that
    # holds only a Monday morning.
    small = table[table["n"] < min_n]
    assert len(small) == 1 and small["n"].iloc[0] < min_n / 2
    assert key["q1_small_week_psi"] >= 0.2
    assert _week_index(frames, str(small["week"].iloc[0])) < alarm
    stamps = pd.to_datetime(with_week(logs, str(small["week"].iloc[0]))["timestamp"], utc=True)
    assert stamps.dt.date.nunique() == 1 and stamps.dt.hour.max() < 11
    naive = answers.WRONG_APPROACHES["ignore_min_week_n"].fn(frames, params["public"])
    assert naive["q1_drift_week"] == small["week"].iloc[0] != key["q1_drift_week"]

    # The uncovered slice: languages or intents the eval set lacks, and a real share.
    last = answers.last_week(logs)
    new = (~last["language"].isin(eval_set["language"])) | (
        ~last["intent"].isin(eval_set["intent"]))
    assert new.mean() >= 0.006
    assert key["q3_uncovered_share"] >= new.mean() - 1e-12

    # Reweighting moves the number, and labelled production is worse still.
    assert abs(key["q3_reweighted_accuracy"] - key["q3_eval_accuracy"]) > 0.005
    assert key["q3_labelled_accuracy"] < key["q3_reweighted_accuracy"] - 0.02

    # The input the monitor misses: shorter queries, or the web client.
    client_psi = answers.psi(last["client"], eval_set["client"])
    if hidden["missed"] == "query_tokens":
        assert last["query_tokens"].median() < eval_set["query_tokens"].median()
        assert key["q2_ks_stat"] > 0.2 and client_psi < 0.05
    else:
        assert key["q2_ks_stat"] < 0.2 and client_psi >= 0.3
    assert key["q2_intent_shift"] == ("yes" if hidden["kind"] == "product" else "no")

    # The audit: the planted group is hurt; the lowest v4 group is another one.
    rates = answers.group_rates(frames["audit_results.csv"])
    assert key["q4_most_hurt_group"] == hidden["audit"]["hurt_group"]
    assert rates["v4"].idxmin() != key["q4_most_hurt_group"]
    assert min(key["q4_pass_to_fail"], key["q4_fail_to_pass"]) >= 100


def with_week(logs: pd.DataFrame, week: str) -> pd.DataFrame:
    weeks = answers.with_weeks(logs)
    return weeks[weeks["week"] == week]


@pytest.mark.parametrize("seed", SEEDS)
def test_judgement_truths_are_planted_and_found(seed: int) -> None:
    """Does the reference find the planted cause of the alarm and the missed input, with
    the literal reading wrong on both, and a clear margin on the missed input?"""
    params, frames, key = keyed(seed)
    hidden, public = params["hidden"], params["public"]
    assert key["q5_alarm_cause"] == hidden["cause"]
    assert key["q6_missed_input"] == hidden["missed"]
    literal = {}
    for name in answers.PERSONAS["literal"]:
        literal.update(answers.WRONG_APPROACHES[name].fn(frames, public))
    assert literal["q5_alarm_cause"] != key["q5_alarm_cause"]
    assert literal["q6_missed_input"] != key["q6_missed_input"]
    explained = sorted(answers.rise_explained(frames["production_logs.csv"],
                                              public["min_week_n"]).values())
    assert explained[-1] >= 2 * max(explained[-2], 0.0) and explained[-1] > 0.007


def test_judgement_truths_vary() -> None:
    """Does every cause of the alarm, and each missed input, occur over the seeds?"""
    keys = [keyed(seed)[2] for seed in SEEDS]
    assert {k["q5_alarm_cause"] for k in keys} == set(answers.ALARM_CAUSES)
    assert {k["q6_missed_input"] for k in keys} == {"client", "query_tokens"}


@pytest.mark.parametrize("seed", [0, 11, 23])
def test_data_looks_like_production(seed: int) -> None:
    """Ids, ISO time stamps over eight Monday-to-Sunday weeks, a weekday pattern, a real
    product's logged volume, several languages and scripts, few exact repeats, a skewed
    length distribution, rare complaints."""
    params, frames, _ = keyed(seed)
    logs, eval_set = frames["production_logs.csv"], frames["eval_set.csv"]
    assert list(logs.columns) == ["request_id", "timestamp", "client", "language", "intent",
                                  "query", "query_tokens", "thumbs_down", "escalated"]
    assert list(eval_set.columns) == ["item_id", "added_on", "client", "language", "intent",
                                      "query", "query_tokens", "correct"]
    assert logs["request_id"].is_unique and eval_set["item_id"].is_unique
    assert logs["timestamp"].str.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ").all()
    stamps = pd.to_datetime(logs["timestamp"], utc=True)
    assert stamps.min().day_of_week == 0 and (stamps.max() - stamps.min()).days == 55
    daily = stamps.dt.date.value_counts()
    assert daily.median() >= 200
    weeks = answers.with_weeks(logs)["week"]
    regular = logs[weeks.map(weeks.value_counts()) >= params["public"]["min_week_n"]]
    weekend = pd.to_datetime(regular["timestamp"], utc=True).dt.day_of_week >= 5
    assert weekend.mean() < 2 / 7
    assert len(set(logs["language"])) >= 5 and set(eval_set["language"]) == set(
        generator.BASE_LANGUAGES)
    assert logs["query"].str.contains(r"[äöüéèàçñãõąęłśżığş]").any()
    assert logs["query"].duplicated().mean() < 0.05
    assert eval_set["query"].isin(logs["query"]).mean() < 0.05
    tokens = logs["query_tokens"]
    assert tokens.quantile(0.99) > 2.5 * tokens.median() and tokens.max() > 5 * tokens.median()
    assert 0.02 < logs["thumbs_down"].mean() < 0.2 and 0.01 < logs["escalated"].mean() < 0.15
    labelled = frames["labelled_sample.csv"]
    assert labelled["request_id"].isin(logs["request_id"]).all()
    audit = frames["audit_results.csv"]
    assert set(audit["group"]) == set(generator.AUDIT_GROUPS)
    assert (audit.groupby("item_id")["model"].nunique() == 2).all()


def test_every_band_occurs_across_variants() -> None:
    """Beyond every key being its own (the contract): does the last week fall in each
    band in some variant?"""
    keys = [keyed(seed)[2] for seed in SEEDS]
    assert {k["q1_last_band"] for k in keys} == {"none", "moderate", "significant"}


def test_personas_rank_as_intended() -> None:
    """Beyond the contract's bounds: does misses_calibration lose a tenth to a third, the
    naive one well over half and yet not everything, with two judgement questions or more
    and every wrong approach described in 90 characters at most?"""
    auto = sum(q.points for q in MANIFEST.auto_questions)
    assert len(MANIFEST.judgement_questions) >= 2
    for seed in range(10):
        totals = persona_totals(SLUG, seed)
        assert 0.1 * auto <= auto - totals["misses_calibration"] <= 0.34 * auto
        assert auto - totals["aggregate_only"] > 0.55 * auto
        assert totals["aggregate_only"] > 0.0
    assert set(answers.PERSONAS) == {"strong", "literal", "misses_calibration",
                                     "aggregate_only"}
    for wrong in answers.WRONG_APPROACHES.values():
        assert wrong.description and len(wrong.description) <= 90


def test_rubric_quotes_the_small_weeks_psi() -> None:
    """Does the rubric fill in the small week's PSI, the false alarm a strong answer names?"""
    assert "{q1_small_week_psi" in json.dumps(EXERCISES[SLUG].rubric)


# ---------------------------------------------------------------------------------------
# The notebook
# ---------------------------------------------------------------------------------------


def _public_text() -> str:
    cells = EXERCISES[SLUG].notebook().cells
    return "\n".join(c.source for c in cells if "BEGIN SOLUTION" not in c.source)


def test_oncall_note_is_written_as_json_text() -> None:
    """Is the default on-call note in the parameters cell written the way papermill injects
    a string (JSON-quoted), so the cell reads the same before and after injection?"""
    params = cells_by_id(SLUG)["parameters"].source
    note = json.dumps(EXERCISES[SLUG].sample_parameters(
        np.random.default_rng(20261123))["public"]["oncall_note"])
    assert f"oncall_note = {note}" in params


def test_notebook_definitions_match_the_key() -> None:
    """The stated epsilon, alarm, bands, alpha, choices and tolerances are the key's."""
    text = _public_text()
    assert answers.PSI_EPSILON == 1e-4 and "ε = 0.0001" in text
    assert answers.PSI_ALARM == 0.2 and "PSI ≥ 0.2" in text and "natural logarithm" in text
    assert answers.BANDS == ((0.1, "none"), (0.2, "moderate"))
    assert '`"none"` below 0.1, `"moderate"` from 0.1 up to' in text
    assert answers.CHI2_ALPHA == 0.05 and "below 0.05" in text
    assert "**covered** cells" in text
    for name, spec in FIELDS.items():
        for choice in spec.get("choices", []):
            assert f'"{choice}"' in text, (name, choice)
        if spec["type"] == "float":
            assert f"±{spec['tolerance']:g}" in text, name
    # Monday-named weeks, union of categories, counts for chi-square, item_id pairing.
    for phrase in ("Monday", "union", "**counts**", "by `item_id`"):
        assert phrase in text, phrase


def test_notebook_text_holds_no_key_value() -> None:
    """Beyond the bundle leak check (the contract): nothing it would match on any variant,
    so no 3-digit whole number, no 3-decimal number, no quoted group name?"""
    text = _public_text()
    whole = re.findall(r"(?<![\d.])\d{3,}(?![\d.])", text.replace("0.0001", ""))
    assert {int(x) for x in whole} <= {*generator.MIN_WEEK_N_CHOICES, 8601}, whole
    # Tolerances (0.001 ...) are fine: the leak check never matches values below 0.01 so.
    three = re.findall(r"(?<![\d.])\d\.\d{3}(?!\d)", text.replace("0.0001", ""))
    assert all(float(x) < 0.01 for x in three), three
    for group in generator.AUDIT_GROUPS:
        assert f'"{group}"' not in text and f"'{group}'" not in text

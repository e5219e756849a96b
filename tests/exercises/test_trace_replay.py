"""trace-replay: does every variant carry its plants, and does the notebook state them?

What every exercise shares (the key's types, determinism, each wrong approach losing
exactly its questions, the personas' bounds, the rubric, the notebook's structure, no
key value in the bundle, the solution matching the key) is checked for it by the
contract suite, test_every_exercise.py; this file checks what trace-replay plants and
states. Its modules are imported by path, the way evalround loads them.
"""

import re
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd
import pytest

from evalround.variant import frames_to_files

from contract import EXERCISES, SEEDS, keyed_public, notebook, persona_totals, public_text
from contract import variant as contract_variant
from helpers import load_module

ROOT = Path(__file__).resolve().parents[2]
SLUG = "trace-replay"
FOLDER = ROOT / "exercises" / SLUG
STAGES = ("tool", "retrieval", "grounding", "instruction")


def _load(name: str, module_name: str) -> ModuleType:
    return load_module(FOLDER / f"{name}.py", module_name)


generator = _load("generator", "trace_replay_generator")
answers = _load("answers", "trace_replay_answers")
MANIFEST = EXERCISES[SLUG].manifest
MANIFEST_RAW = EXERCISES[SLUG].raw_manifest()
FIELDS: dict[str, dict[str, Any]] = {
    name: spec | {"question": q["id"]}
    for q in MANIFEST_RAW["questions"]
    for name, spec in q.get("answers", {}).items()
}


@cache
def planted(seed: int) -> tuple[dict[str, Any], dict[str, bytes], dict[str, dict[str, Any]]]:
    """Parameters, the bytes a candidate receives (as evalround writes them), and what the
    generator planted in each trace."""
    rng = np.random.default_rng(seed)
    params = generator.sample_parameters(rng)
    frames, truth = generator.generate_with_truth(rng, params)
    return params, frames_to_files(frames), truth


def variant(seed: int) -> tuple[dict[str, Any], dict[str, bytes]]:
    return contract_variant(SLUG, seed)


def keyed(seed: int) -> tuple[dict[str, Any], dict[str, pd.DataFrame], dict[str, Any]]:
    return keyed_public(SLUG, seed)


def _hidden(seed: int) -> dict[str, Any]:
    hidden: dict[str, Any] = variant(seed)[0]["hidden"]
    return hidden


def _records(frames: dict[str, pd.DataFrame]) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = frames["traces.jsonl"].to_dict(orient="records")
    return records


# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 7])
def test_the_truth_comes_with_the_same_data(seed: int) -> None:
    """Does generate_with_truth (what the plant tests read) give the same parameters and
    bytes as generate (what a candidate gets)?"""
    params, files, _ = planted(seed)
    assert (params, files) == variant(seed)


@pytest.mark.parametrize("seed", SEEDS)
def test_planted_phenomena(seed: int) -> None:
    """Is every plant visible in the data the candidate gets?"""
    public, frames, key = keyed(seed)
    hidden = _hidden(seed)
    truth = planted(seed)[2]
    k, bar = public["k"], public["score_bar"]
    records = _records(frames)
    by_id = {t["trace_id"]: t for t in records}
    allowed = answers.allowed_tools(frames["tools.csv"])

    # The dominant first failing stage, and a different one the rubric lets through.
    assert key["q1_dominant_stage"] == hidden["dominant_stage"]
    assert key["q4_let_through"] == hidden["rubric_blind_stage"] != key["q1_dominant_stage"]
    labels = answers.stages(frames, k)
    assert all(labels[t] == v["first"] for t, v in truth.items())
    shares = [key[f"q1_share_{s}"] for s in (*STAGES, "ok")]
    assert abs(sum(shares) - 1.0) < 1e-9
    assert 0.6 < key["q1_share_ok"] < 0.85
    assert key[f"q1_share_{key['q1_dominant_stage']}"] > 0.07

    # The contradictions the reference finds are exactly the planted ones; none of them
    # cites an archived article, and some write the wrong number as a word.
    contradicting = set(key["q3_contradicting"])
    assert contradicting == {t for t, v in truth.items() if v["contradicts"]}
    assert len(contradicting) >= 12
    archived = set(frames["help_center.jsonl"].query("status == 'archived'")["doc_id"])
    stale = {t["trace_id"] for t in records if set(t["citations"]) & archived}
    assert len(stale) >= 4 and not stale & contradicting
    for name in ("digits_only", "compared_with_gold", "tool_amounts_as_contradictions"):
        wrong = set(answers.WRONG_APPROACHES[name].fn(frames, public)["q3_contradicting"])
        assert wrong != contradicting, name

    # The rubric is mostly green, but a pass often means an unhappy customer.
    assert 0.8 <= key["q5_pass_rate"] <= 0.95
    assert abs(key["q5_precision"] - key["q5_pass_rate"]) > 0.01
    assert key["q5_precision"] < 0.9
    passed_unhappy = [t for t in records if t["rubric_score"] >= bar
                      and t["reaction"] in answers.UNHAPPY]
    assert sum(t["reaction"] == "escalated" for t in passed_unhappy) >= 4
    assert sum(t["rubric_score"] == bar for t in passed_unhappy) >= 2

    # Escalations rise after the release; the agent's own hand-offs are not escalations.
    release = pd.Timestamp(hidden["week_start"]) + pd.Timedelta(hours=hidden["release_hour"])
    stamps = pd.to_datetime(frames["traces.jsonl"]["started_at"]).dt.tz_localize(None)
    escalated = frames["traces.jsonl"]["reaction"] == "escalated"
    assert escalated[stamps >= release].mean() >= 1.3 * escalated[stamps < release].mean()
    handoffs = [(t, c) for t in records for c in t["tool_calls"]
                if c["name"] == "handoff_to_human"]
    agent_own = [t for t, c in handoffs if c["arguments"]["reason"] != "customer_request"]
    assert sum(t["reaction"] in ("up", "none") for t in agent_own) >= 6

    # Write tools act on the id the read call before them returned.
    reads = {"update_shipping_address": "shipment_id", "cancel_membership": "membership_id",
             "create_warranty_claim": "warranty_id"}
    checked = 0
    for t in records:
        for before, call in zip(t["tool_calls"], t["tool_calls"][1:], strict=False):
            if call["name"] in reads and before["status"] == "ok":
                field = reads[call["name"]]
                assert call["arguments"][field] == before["output"][field]
                checked += 1
    assert checked >= 10

    # Sessions of several messages, sharing the customer's order.
    turns = frames["traces.jsonl"].groupby("session_id")["turn"].max()
    assert 0.15 < (turns > 1).mean() < 0.5 and turns.max() >= 3

    # A tool that succeeds but is the wrong one for the intent: one pair, every time.
    intent, right, wrong = hidden["wrong_tool_pair"]
    misfits = [(t["intent"], c["name"]) for t in records for c in t["tool_calls"]
               if c["status"] == "ok" and c["name"] not in allowed[t["intent"]]]
    assert len(misfits) >= 6 and set(misfits) == {(intent, wrong)}
    assert right in allowed[intent] and wrong not in allowed[intent]

    # Retrieval misses are near-misses: the gold article in another language or its
    # archived version sits in the top k instead; gold below k is retrieved, never seen.
    misses = [t for t in records if not set(t["gold_doc_ids"]) & answers.top_k_ids(t, k)]
    near = [t for t in misses if any(
        d.split("-")[1] == g.split("-")[1] or d in archived
        for d in answers.top_k_ids(t, k) for g in t["gold_doc_ids"])]
    assert len(near) >= 0.8 * len(misses)
    late = [t for t in misses
            if set(t["gold_doc_ids"]) & answers.top_k_ids(t, k, anywhere=True)]
    assert len(late) >= 5
    assert answers.recall_at_k(frames, k, anywhere=True) > key["q2_recall_at_k"] + 0.004
    assert answers.recall_at_k(frames, k, hit=True) > key["q2_recall_at_k"] + 0.004

    # W2: one trace per diagnosis, all passed by the rubric with an unhappy customer.
    roles = hidden["w2_roles"]
    stage_of = {"context": "retrieval", "model": "grounding", "tool": "tool"}
    for name in ("trace_a", "trace_b", "trace_c"):
        tid = public[name]
        assert key[f"q1_stage_{name}"] == stage_of[roles[tid]]
        assert by_id[tid]["rubric_score"] >= bar and by_id[tid]["reaction"] in answers.UNHAPPY
    context = by_id[next(t for t, r in roles.items() if r == "context")]
    gold_rank = {d["doc_id"]: d["rank"] for d in context["retrieved"]}
    assert gold_rank[context["gold_doc_ids"][0]] == k + 1
    assert set(context["citations"]) <= archived and context["citations"]
    model = by_id[next(t for t, r in roles.items() if r == "model")]
    assert set(model["gold_doc_ids"]) & answers.top_k_ids(model, k)
    assert model["trace_id"] in contradicting


@pytest.mark.parametrize("seed", [0, 11, 23])
def test_data_looks_like_production(seed: int) -> None:
    """Three languages, skewed intents, ISO timestamps, a heavy latency tail, realistic
    reactions, consistent ids, and floats short enough never to collide with a key."""
    public, frames, _ = keyed(seed)
    traces = frames["traces.jsonl"]
    docs = frames["help_center.jsonl"]
    assert list(traces.columns) == [
        "trace_id", "started_at", "session_id", "turn", "agent_version", "model", "channel",
        "locale", "intent", "query", "retrieved", "gold_doc_ids", "tool_calls", "answer",
        "citations", "instruction_violations", "rubric_score", "rubric_comment",
        "reaction", "latency_ms", "usage",
    ]
    assert traces["trace_id"].is_unique and docs["doc_id"].is_unique
    assert 700 <= len(traces) <= 1150
    # Answers are written, not stitched: no answer repeats an article sentence verbatim,
    # and few answers repeat exactly.
    sentences = {x.strip() for body in docs["body"] for x in re.split(r"(?<=\.) ", body)}
    assert not any(x in a for a in traces["answer"] for x in sentences if len(x) > 40)
    assert traces["answer"].nunique() > 0.9 * len(traces)
    language = traces["locale"].str[:2]
    assert set(language) == {"en", "es", "de"} and language.value_counts().idxmax() == "en"
    assert traces["query"].str.contains("ñ|¿|á|é").any()
    assert traces["query"].str.contains("ä|ö|ü|ß").any()
    stamps = pd.to_datetime(traces["started_at"], format="%Y-%m-%dT%H:%M:%S.%fZ")
    assert stamps.is_monotonic_increasing and (stamps.max() - stamps.min()).days <= 7
    latency = traces["latency_ms"]
    assert latency.quantile(0.99) > 2.0 * latency.median()
    reactions = traces["reaction"].value_counts(normalize=True)
    assert reactions.idxmax() == "none" and set(reactions.index) == {
        "up", "none", "down", "escalated"}
    intents = traces["intent"].value_counts(normalize=True)
    assert intents.max() > 2.5 * intents.min()
    known_docs, known_tools = set(docs["doc_id"]), set(frames["tools.csv"]["tool"])
    assert (docs["status"] == "archived").sum() >= 3
    for t in _records(frames):
        ranks = [d["rank"] for d in t["retrieved"]]
        scores = [d["score"] for d in t["retrieved"]]
        assert ranks == list(range(1, 9)) and scores == sorted(scores, reverse=True)
        assert {d["doc_id"] for d in t["retrieved"]} <= known_docs
        assert set(t["gold_doc_ids"]) <= known_docs and 1 <= len(t["gold_doc_ids"]) <= 2
        assert {c["name"] for c in t["tool_calls"]} <= known_tools
        assert set(t["citations"]) <= {d["doc_id"] for d in t["retrieved"][: public["k"]]}
        assert t["rubric_score"] * 4 == int(t["rubric_score"] * 4)
    # Apart from time stamps and versions, no number has more than two decimals.
    text = "".join(data.decode() for data in variant(seed)[1].values())
    text = re.sub(r"T\d\d:\d\d:\d\d\.\d{3}Z|assist-\d+\.\d+\.\d+", "", text)
    assert not re.search(r"\d\.\d{3,}", text)


def test_choices_vary_across_variants() -> None:
    """Beyond every key being its own (the contract): does each answer with stated choices
    take three values or more, and the stage the rubric lets through each but instruction?"""
    keys = [keyed(seed)[2] for seed in SEEDS]
    for name, spec in FIELDS.items():
        if "choices" in spec and name != "q4_let_through":
            assert len({k[name] for k in keys}) >= 3, name
    assert {k["q4_let_through"] for k in keys} == {"tool", "retrieval", "grounding"}


def test_personas_rank_as_intended() -> None:
    """strong > misses_calibration > literal > aggregate_only > blank, on autograded
    points, in every variant (the contract checks the bounds)?"""
    assert set(answers.PERSONAS) == {"strong", "literal", "misses_calibration",
                                     "aggregate_only"}
    for seed in SEEDS:
        t = persona_totals(SLUG, seed)
        assert t["strong"] > t["misses_calibration"] > t["literal"], seed
        assert t["literal"] > t["aggregate_only"] > t["blank"] == 0.0, seed


# ---------------------------------------------------------------------------------------
# The notebook
# ---------------------------------------------------------------------------------------


def _notebook() -> Any:
    return notebook(SLUG)


# Decimals the notebook may show: none can be a key value (bounds, weights, a bar).
SAFE_DECIMALS = {"0.5", "0.001", "0.002"}


def test_notebook_shows_only_safe_decimals() -> None:
    """Does the notebook show no decimal below 1 that could be some variant's key value?"""
    shown = set(re.findall(r"(?<![\d.])0\.\d+", public_text(SLUG)))
    assert shown <= SAFE_DECIMALS, shown - SAFE_DECIMALS


def test_notebook_states_the_manifest_definitions() -> None:
    """Are the stage order, k, the bar, the unhappy reactions, what counts as a
    contradiction and the F1 scoring stated in the notebook the way answers.py computes
    them?"""
    by_id = {c.metadata["nbgrader"]["grade_id"]: c.source for c in _notebook().cells}
    q1 = by_id["q1_doc"]
    positions = [q1.index(f'`"{stage}"`') for stage in STAGES]
    assert positions == sorted(positions) and '`"ok"`' in q1
    assert "**first**" in q1 and "tools.csv" in q1 and "rank <= k" in q1
    assert "ties go to the earlier stage" in q1.lower() and "contradict" in q1
    assert "rank <= k" in by_id["q2_doc"] and "**all** traces" in by_id["q2_doc"]
    for qid in ("q4_doc", "q5_doc"):
        assert "rubric_score >= score_bar" in by_id[qid]
    assert '`"down"` or `"escalated"`' in by_id["q5_doc"]
    assert '`"up"` or\n`"none"`' in by_id["q5_doc"] or '`"up"` or `"none"`' in by_id["q5_doc"]
    assert "F1" in by_id["q3_doc"] and "first failing stage" in by_id["q4_doc"]
    contradiction = by_id["data_doc"]
    for needed in ("citations", "different number", "as a word", "both ends",
                   "tool call returned", "no citations contradicts nothing",
                   "faithfully repeats"):
        assert needed in contradiction, needed
    assert "handoff_to_human" in contradiction and "not a reaction" in contradiction
    for name in MANIFEST.parameters:
        assert f"`{name}`" in by_id["scenario"] + by_id["q1_doc"], name
    for q in MANIFEST_RAW["questions"]:
        for name, spec in q.get("answers", {}).items():
            for choice in spec.get("choices", []):
                assert choice in by_id[f"{q['id']}_doc"], (name, choice)
    assert answers.STAGES == STAGES and answers.UNHAPPY == ("down", "escalated")


def test_notebook_markdown_and_explorer_read_as_meant() -> None:
    """Does no markdown line outside a list start like a list item by accident, is the
    explorer's helper source hidden with a visible line saying how to show it?"""
    cells = {c.metadata["nbgrader"]["grade_id"]: c for c in _notebook().cells}
    for gid, cell in cells.items():
        if cell.cell_type != "markdown":
            continue
        previous = ""
        for line in cell.source.splitlines():
            if re.match(r"\s*[-+*] ", line) and not re.match(r"\s*- ", line):
                raise AssertionError(f"{gid}: {line!r} renders as a list")
            if re.match(r"\s*- ", line):
                assert previous == "" or re.match(r"\s*(- |  )", previous), (gid, line)
            previous = line
    assert cells["explore"].metadata["jupyter"]["source_hidden"] is True
    assert "hidden" in cells["explore_doc"].source and "show it" in cells["explore_doc"].source

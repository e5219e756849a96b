"""trace-replay: does every variant carry its plant, and does the key catch the mistakes?

The exercise folder has a dash in its name, so its modules are imported by path, the
way evalround loads them (without registering them in sys.modules).
"""

import json
import re
import time
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import nbformat
import numpy as np
import pandas as pd
import pytest
import yaml

from evalround.exercise import parse_manifest
from evalround.scoring import score_answers
from evalround.variant import frames_to_files, read_data_file

from helpers import load_module

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / "exercises" / "trace-replay"
DEFAULT_DATA = ROOT / "data" / "trace-replay"
DEFAULT_SEED = 20261123
SEEDS = range(30)
STAGES = ("tool", "retrieval", "grounding", "instruction")


def _load(name: str, module_name: str) -> ModuleType:
    return load_module(FOLDER / f"{name}.py", module_name)


generator = _load("generator", "trace_replay_generator")
answers = _load("answers", "trace_replay_answers")
MANIFEST_RAW = yaml.safe_load((FOLDER / "exercise.yaml").read_text(encoding="utf-8"))
MANIFEST = parse_manifest(MANIFEST_RAW)
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
    params, files, _ = planted(seed)
    return params, files


@cache
def keyed(seed: int) -> tuple[dict[str, Any], dict[str, pd.DataFrame], dict[str, Any]]:
    params, files = variant(seed)
    frames = {name: read_data_file(name, data) for name, data in files.items()}
    return params["public"], frames, answers.reference(frames, params["public"])


def _hidden(seed: int) -> dict[str, Any]:
    hidden: dict[str, Any] = variant(seed)[0]["hidden"]
    return hidden


def _records(frames: dict[str, pd.DataFrame]) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = frames["traces.jsonl"].to_dict(orient="records")
    return records


def _points(key: dict[str, Any], given: dict[str, Any]) -> dict[str, float]:
    return {q: s.points for q, s in score_answers(MANIFEST, key, given).items()}


# ---------------------------------------------------------------------------------------


def test_manifest_lists_exactly_the_reference_answers() -> None:
    """Does reference() return every manifest variable, as plain Python values?"""
    public, _, key = keyed(0)
    assert set(key) == set(FIELDS)
    python_type = {"float": float, "str": str, "list[str]": list}
    for name, value in key.items():
        spec = FIELDS[name]
        assert type(value) is python_type[spec["type"]], name
        if "min" in spec:
            assert value >= spec["min"], name
        if "max" in spec:
            assert value <= spec["max"], name
        if "choices" in spec:
            assert value in spec["choices"], name
    assert all(type(v) is str for v in key["q3_contradicting"])
    assert set(public) == set(MANIFEST_RAW["parameters"])


@pytest.mark.parametrize("seed", [0, 7])
def test_generation_is_deterministic(seed: int) -> None:
    """Does the same seed give the same parameters and the same file bytes?"""
    planted.cache_clear()
    first = variant(seed)
    rng = np.random.default_rng(seed)
    params = generator.sample_parameters(rng)
    again = frames_to_files(generator.generate(rng, params))
    assert json.dumps(first[0], sort_keys=True) == json.dumps(params, sort_keys=True)
    assert first[1] == again


def test_generation_is_fast() -> None:
    """Well under a second of CPU per variant (validate and assign build hundreds)."""
    spent = []
    for seed in range(100, 106):
        rng = np.random.default_rng(seed)
        params = generator.sample_parameters(rng)
        start = time.process_time()
        generator.generate(rng, params)
        spent.append(time.process_time() - start)
    assert float(np.mean(spent)) < 0.5, spent


def test_parameters_are_json_data() -> None:
    params, _ = variant(3)
    assert json.loads(json.dumps(params)) == params


@pytest.mark.parametrize("seed", SEEDS)
def test_every_wrong_approach_loses_exactly_its_questions(seed: int) -> None:
    """Does each known wrong approach lose points on the questions it names, and only
    there, when scored the way evalround scores a submission?"""
    public, frames, key = keyed(seed)
    full = _points(key, key)
    assert full == {q.id: q.points for q in MANIFEST.auto_questions}
    for name, wrong in answers.WRONG_APPROACHES.items():
        given = wrong.fn(frames, public)
        assert given and set(given) <= set(key), name
        points = _points(key, key | given)
        lost = {q for q, p in points.items() if p < full[q]}
        assert lost == set(wrong.loses), f"seed {seed}: {name} loses {lost}"


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


def test_keys_differ_across_variants() -> None:
    keys = [keyed(seed)[2] for seed in SEEDS]
    assert len({json.dumps(k, sort_keys=True) for k in keys}) == len(keys)
    for name, spec in FIELDS.items():
        values = {json.dumps(k[name]) for k in keys}
        assert len(values) > 1, name
        if "choices" in spec and name != "q4_let_through":
            assert len(values) >= 3, name
    assert {k["q4_let_through"] for k in keys} == {"tool", "retrieval", "grounding"}


def test_personas_rank_as_intended() -> None:
    """strong > misses_calibration > literal > aggregate_only > blank, on autograded
    points; literal stays at or below 60% and takes at most a quarter of each judgement
    question, as validate requires."""
    total = sum(q.points for q in MANIFEST.auto_questions)
    judged = {q.id: q.points for q in MANIFEST.auto_questions if q.judgement}
    assert sum(judged.values()) >= 0.4 * total
    assert set(answers.PERSONAS) == {"strong", "literal", "misses_calibration",
                                     "aggregate_only"}
    for seed in SEEDS:
        public, frames, key = keyed(seed)
        points, by_question = {}, {}
        for persona, mistakes in answers.PERSONAS.items():
            given = dict(key)
            for name in mistakes:
                given.update(answers.WRONG_APPROACHES[name].fn(frames, public))
            by_question[persona] = _points(key, given)
            points[persona] = sum(by_question[persona].values())
        points["blank"] = sum(_points(key, {}).values())
        assert points["strong"] == total
        assert points["strong"] > points["misses_calibration"] > points["literal"]
        assert points["literal"] > points["aggregate_only"] > points["blank"] == 0.0
        assert points["literal"] <= 0.6 * total, (seed, points["literal"])
        for persona in ("literal", "aggregate_only"):
            for qid, max_points in judged.items():
                assert by_question[persona][qid] <= 0.25 * max_points, (seed, persona, qid)


def test_wrong_approaches_are_described() -> None:
    """Does every wrong approach say in one line what it looks like?"""
    for name, wrong in answers.WRONG_APPROACHES.items():
        assert 10 < len(wrong.description) < 100 and "\n" not in wrong.description, name


def test_rubric_placeholders_fill_from_the_key() -> None:
    rubric = yaml.safe_load((FOLDER / "rubric.yaml").read_text(encoding="utf-8"))
    _, _, key = keyed(0)
    for q in MANIFEST.written_questions:
        items = rubric[q.id]
        assert 3 <= len(items) <= 5
        assert sum(i["points"] for i in items) == q.points
        for item in items:
            item["criterion"].format(**key)


# ---------------------------------------------------------------------------------------
# The notebook
# ---------------------------------------------------------------------------------------


def _notebook() -> nbformat.NotebookNode:
    return nbformat.read(FOLDER / "notebook.ipynb", as_version=4)


def _default_key() -> dict[str, Any]:
    """The key of the bundled default dataset, read from the committed files."""
    frames = {p.name: read_data_file(p.name, p.read_bytes())
              for p in sorted(DEFAULT_DATA.iterdir())}
    params, _ = variant(DEFAULT_SEED)
    key: dict[str, Any] = answers.reference(frames, params["public"])
    return key


# Decimals the notebook may show: none can be a key value (bounds, weights, a bar).
SAFE_DECIMALS = {"0.5", "0.001", "0.002"}


def test_notebook_structure() -> None:
    """nbgrader metadata on every cell, no outputs, no expected values, defaults match."""
    nb = _notebook()
    ids = [c.metadata["nbgrader"]["grade_id"] for c in nb.cells]
    assert len(ids) == len(set(ids))
    params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1 and params[0].metadata["nbgrader"]["locked"]
    default_params, _ = variant(DEFAULT_SEED)
    for name, value in default_params["public"].items():
        assert f"\n{name} = {json.dumps(value)}" in "\n" + params[0].source, name
    for cell in nb.cells:
        assert set(cell.metadata["nbgrader"]) >= {"grade", "grade_id", "locked",
                                                  "schema_version", "solution", "task"}
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
    by_id = {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells}
    for q in MANIFEST_RAW["questions"]:
        if q["kind"] == "auto":
            answer, test = by_id[f"{q['id']}_answer"], by_id[q["id"]]
            assert answer.metadata["nbgrader"]["solution"] and not answer.metadata[
                "nbgrader"]["locked"]
            for name in q["answers"]:
                assert f"\n{name} = None" in "\n" + answer.source
            assert test.metadata["nbgrader"]["points"] == q["points"] and test.source == ""
            assert test.metadata["nbgrader"]["locked"] and test.metadata["nbgrader"]["grade"]
        else:
            cell = by_id[q["id"]]
            assert cell.cell_type == "markdown" and cell.metadata["nbgrader"]["grade"]
            assert cell.metadata["nbgrader"]["points"] == q["points"]
    text = "\n".join(c.source for c in nb.cells if "BEGIN SOLUTION" not in c.source)
    key = _default_key()
    for name, value in key.items():
        if isinstance(value, float):
            for digits in (3, 4):
                assert f"{value:.{digits}f}" not in text, name
    shown = set(re.findall(r"(?<![\d.])0\.\d+", text))
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


@pytest.mark.slow
def test_notebook_solution_matches_the_key(tmp_path: Path) -> None:
    """Run the notebook headless on one variant; does its solution code match reference()?"""
    from nbclient import NotebookClient

    seed = 4
    params, files = variant(seed)
    data = tmp_path / "data"
    data.mkdir()
    for name, content in files.items():
        (data / name).write_bytes(content)
    nb = _notebook()
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    cell.source = f'variant_id = "seed-{seed}"\ndata_dir = {str(data)!r}\n' + "\n".join(
        f"{name} = {value!r}" for name, value in params["public"].items())
    nb.cells.append(nbformat.v4.new_code_cell(
        f"import json\nprint(json.dumps({{k: globals()[k] for k in {list(FIELDS)!r}}}))"
    ))
    NotebookClient(nb, timeout=90, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    for c in nb.cells:
        for out in c.get("outputs", []):
            assert out.output_type != "error"
            assert not (out.output_type == "stream" and out.name == "stderr"), out.text
    got = json.loads(nb.cells[-1].outputs[0].text)
    _, _, key = keyed(seed)
    assert _points(key, got) == {q.id: q.points for q in MANIFEST.auto_questions}

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
def variant(seed: int) -> tuple[dict[str, Any], dict[str, bytes]]:
    """Parameters and the bytes a candidate receives (as evalround writes them)."""
    rng = np.random.default_rng(seed)
    params = generator.sample_parameters(rng)
    return params, frames_to_files(generator.generate(rng, params))


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
    assert all(type(v) is str for v in key["q3_passed_but_unhappy"])
    assert set(public) == set(MANIFEST_RAW["parameters"])


@pytest.mark.parametrize("seed", [0, 7])
def test_generation_is_deterministic(seed: int) -> None:
    """Does the same seed give the same parameters and the same file bytes?"""
    variant.cache_clear()
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
    k, bar = public["k"], public["score_bar"]
    records = _records(frames)
    allowed = answers.allowed_tools(frames["tools.csv"])

    # The dominant first failing stage, and a different one inside the rubric's blind spot.
    assert key["q1_dominant_stage"] == hidden["dominant_stage"]
    assert key["q4_dominant_stage_in_set"] == hidden["rubric_blind_stage"]
    assert key["q4_dominant_stage_in_set"] != key["q1_dominant_stage"]
    shares = [key[f"q1_share_{s}"] for s in (*STAGES, "ok")]
    assert abs(sum(shares) - 1.0) < 1e-9
    assert 0.6 < key["q1_share_ok"] < 0.85
    assert key[f"q1_share_{key['q1_dominant_stage']}"] > 0.07

    # The rubric is mostly green, but a pass often means an unhappy customer.
    assert 0.83 <= key["q5_pass_rate"] <= 0.95
    assert abs(key["q5_precision"] - key["q5_pass_rate"]) > 0.01
    assert key["q5_precision"] < 0.9
    the_set = set(key["q3_passed_but_unhappy"])
    by_id = {t["trace_id"]: t for t in records}
    assert sum(by_id[t]["reaction"] == "escalated" for t in the_set) >= 4
    assert sum(by_id[t]["rubric_score"] == bar for t in the_set) >= 2

    # A tool that succeeds but is the wrong one for the intent: one pair, every time.
    intent, right, wrong = hidden["wrong_tool_pair"]
    misfits = [(t["intent"], c["name"]) for t in records for c in t["tool_calls"]
               if c["status"] == "ok" and c["name"] not in allowed[t["intent"]]]
    assert len(misfits) >= 6 and set(misfits) == {(intent, wrong)}
    assert right in allowed[intent] and wrong not in allowed[intent]

    # Gold articles retrieved below k: the model never saw them.
    late = [t for t in records
            if not set(t["gold_doc_ids"]) & answers.top_k_ids(t, k)
            and set(t["gold_doc_ids"]) & answers.top_k_ids(t, k, anywhere=True)]
    assert len(late) >= 5
    assert answers.recall_at_k(frames, k, anywhere=True) > key["q2_recall_at_k"] + 0.004
    assert answers.recall_at_k(frames, k, hit=True) > key["q2_recall_at_k"] + 0.004

    # W2: one trace per diagnosis, all passed by the rubric with an unhappy customer.
    roles = hidden["w2_roles"]
    stage_of = {"context": "retrieval", "model": "grounding", "tool": "tool"}
    for name in ("trace_a", "trace_b", "trace_c"):
        tid = public[name]
        assert key[f"q1_stage_{name}"] == stage_of[roles[tid]]
        assert tid in the_set
    assert sorted(key[f"q1_stage_trace_{x}"] for x in "abc") == ["grounding", "retrieval",
                                                                  "tool"]
    context = by_id[next(t for t, r in roles.items() if r == "context")]
    gold_rank = {d["doc_id"]: d["rank"] for d in context["retrieved"]}
    assert gold_rank[context["gold_doc_ids"][0]] == k + 1
    model = by_id[next(t for t, r in roles.items() if r == "model")]
    assert set(model["gold_doc_ids"]) & answers.top_k_ids(model, k)
    assert any(c["support"] is None for c in model["claims"])


@pytest.mark.parametrize("seed", [0, 11, 23])
def test_data_looks_like_production(seed: int) -> None:
    """Three languages, skewed intents, ISO timestamps, a heavy latency tail, realistic
    reactions, consistent ids, and floats short enough never to collide with a key."""
    public, frames, _ = keyed(seed)
    traces = frames["traces.jsonl"]
    docs = frames["help_center.jsonl"]
    assert list(traces.columns) == [
        "trace_id", "started_at", "session_id", "agent_version", "model", "channel",
        "locale", "intent", "query", "retrieved", "gold_doc_ids", "tool_calls", "answer",
        "claims", "instruction_violations", "rubric_score", "rubric_comment", "reaction",
        "latency_ms", "usage",
    ]
    assert traces["trace_id"].is_unique and docs["doc_id"].is_unique
    assert 620 <= len(traces) <= 900
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
        supports = {c["support"] for c in t["claims"]} - {None}
        assert supports <= {d["doc_id"] for d in t["retrieved"][: public["k"]]} | {
            c["call_id"] for c in t["tool_calls"]}
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
        if "choices" in spec and name != "q4_dominant_stage_in_set":
            assert len(values) >= 3, name
    assert {k["q4_dominant_stage_in_set"] for k in keys} == {"tool", "retrieval", "grounding"}


def test_personas_rank_as_intended() -> None:
    """strong > misses_calibration > aggregate_only > blank, on autograded points;
    misses_calibration loses about a quarter to a third, aggregate_only well over half."""
    total = sum(q.points for q in MANIFEST.auto_questions)
    for seed in range(8):
        public, frames, key = keyed(seed)
        points = {}
        for persona, mistakes in answers.PERSONAS.items():
            given = dict(key)
            for name in mistakes:
                given.update(answers.WRONG_APPROACHES[name].fn(frames, public))
            points[persona] = sum(_points(key, given).values())
        points["blank"] = sum(_points(key, {}).values())
        assert set(answers.PERSONAS) == {"strong", "misses_calibration", "aggregate_only"}
        assert points["strong"] == total
        assert points["strong"] > points["misses_calibration"] > points["aggregate_only"]
        assert points["aggregate_only"] > points["blank"] == 0.0
        assert 0.2 * total <= total - points["misses_calibration"] <= 0.36 * total
        assert total - points["aggregate_only"] >= 0.55 * total


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
    """Are the stage order, k, the bar, the unhappy reactions and the F1 scoring stated
    in the notebook the way answers.py computes them?"""
    by_id = {c.metadata["nbgrader"]["grade_id"]: c.source for c in _notebook().cells}
    q1 = by_id["q1_doc"]
    positions = [q1.index(f'`"{stage}"`') for stage in STAGES]
    assert positions == sorted(positions) and '`"ok"`' in q1
    assert "**first**" in q1 and "tools.csv" in q1 and "rank <= k" in q1
    assert "ties go to the earlier stage" in q1.lower()
    assert "rank <= k" in by_id["q2_doc"] and "**all** traces" in by_id["q2_doc"]
    for qid in ("q3_doc", "q5_doc"):
        assert "rubric_score >= score_bar" in by_id[qid]
    assert '`"down"` or `"escalated"`' in by_id["q3_doc"] and "F1" in by_id["q3_doc"]
    assert '`"up"` or `"none"`' in by_id["q5_doc"]
    assert "**first**" in by_id["q4_doc"] and '`"ok"` do not count' in by_id["q4_doc"]
    for name in MANIFEST.parameters:
        assert f"`{name}`" in by_id["scenario"] + by_id["q1_doc"], name
    for q in MANIFEST_RAW["questions"]:
        for name, spec in q.get("answers", {}).items():
            for choice in spec.get("choices", []):
                assert choice in by_id[f"{q['id']}_doc"], (name, choice)
    assert answers.STAGES == STAGES and answers.UNHAPPY == ("down", "escalated")


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

"""Variants: reproducible, private to each candidate, and keyed from the data."""

from __future__ import annotations

import json
from pathlib import Path

from evalround.variant import build_variant, default_data

REPO = Path(__file__).resolve().parents[1]


def test_same_course_and_candidate_give_the_same_bytes(template):
    a = build_variant(template, b"s1", "alice")
    b = build_variant(template, b"s1", "alice")
    assert a[1].files == b[1].files
    assert a[2].sha256 == b[2].sha256
    assert a[0] == b[0]


def test_candidates_and_courses_get_different_variants(template):
    keys = {build_variant(template, b"s1", c)[2].sha256 for c in ("alice", "bob", "carol")}
    assert len(keys) == 3
    assert build_variant(template, b"s2", "alice")[2] != build_variant(template, b"s1", "alice")[2]


def test_variant_label_reveals_nothing_of_the_seed(template):
    variant = build_variant(template, b"s1", "alice")[0]
    assert variant.variant_id.startswith("v-")
    assert variant.variant_id[2:] not in format(variant.seed, "x")
    assert set(variant.injected_parameters) == {"variant_id", "data_dir", "budget_ms"}


def test_committed_default_data_matches_regeneration():
    """Is data/<slug>/ exactly what the generator makes from the default seed?"""
    from evalround.assignment import default_data_dir
    from evalround.exercise import discover_exercises

    for exercise in discover_exercises(REPO / "exercises").values():
        folder = default_data_dir(exercise)
        files = default_data(exercise).files
        assert sorted(p.name for p in folder.iterdir()) == sorted(files)
        for name, data in files.items():
            assert (folder / name).read_bytes() == data, f"{exercise.slug}/{name} is stale"


def test_jsonl_data_keeps_nested_records_and_urls_as_written():
    import numpy as np
    import pandas as pd

    from evalround.variant import read_data_file, write_data_file

    frame = pd.DataFrame({
        "trace_id": ["t1", "t2"],
        "retrieved": [[{"doc": "kb-12", "rank": np.int64(1), "score": 0.81}], []],
        "query": ["Où est ma commande ? https://shop.example/o/1", "Wo ist mein Paket?"],
        "latency_ms": [812.5, np.nan],
    })
    data = write_data_file("traces.jsonl", frame)
    lines = data.decode("utf-8").splitlines()
    assert lines[0] == ('{"trace_id": "t1", "retrieved": [{"doc": "kb-12", "rank": 1, '
                        '"score": 0.81}], "query": "Où est ma commande ? '
                        'https://shop.example/o/1", "latency_ms": 812.5}')
    assert lines[1].endswith('"latency_ms": null}')
    back = read_data_file("traces.jsonl", data)
    assert back["retrieved"][0] == [{"doc": "kb-12", "rank": 1, "score": 0.81}]
    assert back["query"][1] == "Wo ist mein Paket?" and np.isnan(back["latency_ms"][1])


def test_every_json_line_is_the_same_whichever_way_it_is_written():
    """Records written the quick way (json's own encoder) and those that need the walk
    (a NaN anywhere, a numpy key): are they spelt alike, value for value?"""
    import numpy as np
    import pandas as pd

    from evalround.variant import _json_line, _json_record

    records = [
        {"n": np.int64(3), "f": np.float64(0.1), "b": np.bool_(True), "s": "a/b ü",
         "when": pd.Timestamp("2026-12-01T09:30:00Z"), "none": pd.NaT,
         "arr": np.array([1, 2]), "nested": {True: [np.int32(1), (2.5, None)], None: {}}},
        {"n": 1, "nan": [{"x": float("nan")}], "keys": {np.int64(7): "seven", 1.5: "x"}},
    ]
    lines = [_json_line(r) for r in records]
    assert lines == [json.dumps(_json_record(r), ensure_ascii=False) for r in records]
    assert lines[0] == (
        '{"n": 3, "f": 0.1, "b": true, "s": "a/b ü", "when": "2026-12-01T09:30:00+00:00", '
        '"none": null, "arr": [1, 2], "nested": {"true": [1, [2.5, null]], "null": {}}}')
    assert lines[1] == '{"n": 1, "nan": [{"x": null}], "keys": {"7": "seven", "1.5": "x"}}'


def test_default_data_regenerates_only_the_named_exercise(capsys):
    from evalround.default_data import main

    assert main(["no-such-exercise"]) == 2
    assert "no exercise named no-such-exercise" in capsys.readouterr().err

"""Shared answers: key matches, alike code, alike prose; calibrated on independent work."""

from __future__ import annotations

import csv
import random

import pytest

from evalround import cli, integrity_report
from evalround.exercise import Exercise
from evalround.grading import grade, load_record
from evalround.integrity import (
    CODE_THRESHOLD,
    code_similarities,
    code_similarity,
    key_matches,
    text_similarity,
)
from evalround.notebook import fill_answers

from helpers import bundle_notebook, submit
from integrity_sim import (
    STUB,
    disguised_copy,
    independent_code,
    independent_prose,
    paraphrase,
)

KEYS = {
    "ana": {"q1_p50_ms": 410.2, "q1_p95_ms": 1450.0, "q1_share_over_budget": 0.081},
    "bo": {"q1_p50_ms": 502.9, "q1_p95_ms": 1920.5, "q1_share_over_budget": 0.122},
    "cy": {"q1_p50_ms": 377.0, "q1_p95_ms": 1210.7, "q1_share_over_budget": 0.064},
}


def test_answers_equal_to_anothers_key_are_flagged_with_the_fields(template: Exercise):
    """Does bo's submission of ana's numbers flag key_match with all three fields named,
    and do honest answers flag nothing?"""
    answers = {"ana": dict(KEYS["ana"]), "bo": dict(KEYS["ana"]), "cy": dict(KEYS["cy"])}
    flags = key_matches(template.manifest, KEYS, answers, "template")
    assert [(f.candidate, f.other_candidate, f.kind) for f in flags] == [
        ("bo", "ana", "key_match")]
    assert flags[0].evidence == ("3 of 3 answers equal ana's key and not their own: "
                                 "q1_p50_ms, q1_p95_ms, q1_share_over_budget")
    assert flags[0].strength == 1.0


def test_a_partial_copier_is_flagged_and_a_single_coincidence_is_not(template: Exercise):
    """Copying two answers is flagged; one matching number, or a value other variants
    share, is not evidence."""
    partial = {"bo": {**KEYS["bo"], "q1_p50_ms": 410.2, "q1_p95_ms": 1450.0}}
    assert [f.evidence.split(":")[0] for f in key_matches(template.manifest, KEYS, partial,
                                                          "template")] == [
        "2 of 3 answers equal ana's key and not their own"]
    single = {"bo": {**KEYS["bo"], "q1_p50_ms": 410.2}}
    assert key_matches(template.manifest, KEYS, single, "template") == []
    shared = {**KEYS, "dee": {**KEYS["cy"], "q1_p95_ms": 1450.0}}  # ana's p95 again
    copied = {"bo": {**KEYS["bo"], "q1_p95_ms": 1450.0, "q1_share_over_budget": 0.081}}
    assert key_matches(template.manifest, shared, copied, "template") == []


@pytest.mark.parametrize("seed", range(5))
def test_forty_independent_candidates_are_never_flagged(seed):
    """On a cohort of 40 simulated independent solutions and answers, is no pair flagged
    for code or prose?"""
    rng = random.Random(seed)
    code = {f"c{i}": [independent_code(rng)] for i in range(40)}
    prose = {f"c{i}": independent_prose(rng) for i in range(40)}
    assert code_similarity(code, [STUB], "template") == []
    assert text_similarity(prose, [], "template") == []


@pytest.mark.parametrize("seed", range(5))
def test_disguised_code_and_paraphrased_prose_are_flagged(seed):
    """Renamed variables, reformatting, comments and swapped statements: is the copy still
    flagged as code_similarity with its source, and a paraphrase as text_similarity?"""
    rng = random.Random(100 + seed)
    code = {f"c{i}": [independent_code(rng)] for i in range(40)}
    code["copier"] = [disguised_copy(code["c3"][0], rng)]
    prose = {f"c{i}": independent_prose(rng) for i in range(40)}
    prose["copier"] = paraphrase(prose["c3"], rng)
    code_flags = code_similarity(code, [STUB], "template")
    assert {(f.candidate, f.other_candidate) for f in code_flags} == {("copier", "c3"),
                                                                       ("c3", "copier")}
    text_flags = text_similarity(prose, [], "template")
    assert {(f.candidate, f.other_candidate) for f in text_flags} == {("copier", "c3"),
                                                                       ("c3", "copier")}
    assert "higher than" in text_flags[0].evidence


def test_the_notebooks_stub_and_quoted_prompt_are_not_evidence():
    """Two candidates who only keep the stub lines, and quote the same prompt sentence,
    share nothing that counts."""
    code = {"a": [STUB + "q1_p50_ms = 1.0\n"], "b": [STUB + "q1_p95_ms = 2.0\n"]}
    assert max(code_similarities(code, [STUB]).values()) < CODE_THRESHOLD
    prompt = "The team reports the median only. Is that enough to say the product meets " \
             "its budget? Answer with your numbers."
    prose = {"a": prompt + " No: p95 is high.", "b": prompt + " Yes, it is fine as it is."}
    assert text_similarity(prose, [prompt], "template") == []


def test_rewritten_code_with_copied_numbers_is_a_key_match_not_a_code_match(template):
    """A copier who rewrites the code in their own style but keeps the copied numbers: the
    key match catches it, and the code is rightly not called alike."""
    rng = random.Random(7)
    code = {f"c{i}": [independent_code(rng)] for i in range(20)}
    code["rewriter"] = [STUB + "\n".join(f"{k} = {v!r}" for k, v in KEYS["ana"].items())]
    assert not [f for f in code_similarity(code, [STUB], "template")
                if "rewriter" in (f.candidate, f.other_candidate)]
    answers = {"rewriter": dict(KEYS["ana"])}
    keys = {**KEYS, "rewriter": KEYS["bo"]}
    assert [(f.candidate, f.other_candidate) for f in key_matches(
        template.manifest, keys, answers, "template")] == [("rewriter", "ana")]


@pytest.mark.slow
def test_integrity_on_a_course_writes_the_csv_and_keeps_dismissals(course, template, capsys):
    """carol pastes alice's numbers and prose: is she flagged key_match and text_similarity
    in reports/integrity.csv, is the score unchanged, and is a dismissal kept with its
    reason and its history?"""
    key = {cid: course.load_variant("template", cid)["key"] for cid in ("alice", "bob", "carol")}
    prose = ("The median hides the tail of slow requests, and the p95 shows how far over "
             "the budget the slowest calls go; one request in ten misses it.")
    for cid, values, text in (("alice", key["alice"], prose), ("bob", key["bob"],
                              "Fine as it is, nothing to add here for the team today."),
                              ("carol", key["alice"], prose)):
        nb = fill_answers(bundle_notebook(course, cid), template.manifest, values,
                          {"w1": text})
        submit(course, cid, nb)
    grade(course, [template], jobs=2, progress=False)
    before = load_record(course, "template", "carol")
    assert before is not None
    assert cli.main(["-q", "integrity", "--course", str(course.root)]) == 0
    rows = list(csv.DictReader((course.root / "reports" / "integrity.csv").open()))
    assert sorted((r["candidate"], r["kind"], r["other_candidate"]) for r in rows) == [
        ("alice", "text_similarity", "carol"), ("carol", "key_match", "alice"),
        ("carol", "text_similarity", "alice")]
    assert "3 open flags; CSV:" in capsys.readouterr().out
    assert load_record(course, "template", "carol") == before  # a flag changes no score
    assert cli.main(["integrity", "--course", str(course.root), "--dismiss", "carol",
                     "template", "text_similarity", "alice", "--reason",
                     "both quote the team's wiki", "--by", "hm"]) == 0
    assert cli.main(["-q", "integrity", "--course", str(course.root)]) == 0
    out = capsys.readouterr().out
    assert "2 open flags, 1 dismissed" in out
    rows = {(r["candidate"], r["kind"]): r for r in csv.DictReader(
        (course.root / "reports" / "integrity.csv").open())}
    assert rows[("carol", "text_similarity")]["dismissed"] == "yes"
    assert rows[("carol", "text_similarity")]["dismissed_reason"] == "both quote the team's wiki"
    assert rows[("carol", "key_match")]["dismissed"] == "no"
    assert cli.main(["integrity", "--course", str(course.root), "--dismiss", "carol",
                     "template", "text_similarity", "alice", "--reason", "asked again",
                     "--by", "hm", "--undo"]) == 0
    history = integrity_report.dismissal_history(course)
    assert [(d.dismissed, d.reason) for d in history] == [
        (True, "both quote the team's wiki"), (False, "asked again")]
    assert cli.main(["integrity", "--course", str(course.root), "--dismiss", "carol",
                     "template", "shared", "alice", "--reason", "x", "--by", "hm"]) == 2

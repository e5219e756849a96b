"""Known mistakes, named: a wrong answer is traced to the mistake that gives it."""

from __future__ import annotations

import pytest

from evalround.diagnosis import diagnose
from evalround.exercise import discover_exercises
from evalround.variant import build_variant

EXERCISES = discover_exercises()


@pytest.mark.parametrize("slug", sorted(EXERCISES))
def test_every_known_mistake_is_named_on_its_own_variant(slug):
    """For each wrong approach, applied to one candidate's own data: is it named on the
    questions it loses, and is the reference answer named nothing?"""
    exercise = EXERCISES[slug]
    variant, data, key = build_variant(exercise, b"diagnosis", "cand-1")
    frames, public = data.frames(), dict(variant.injected_parameters)
    assert diagnose(exercise, frames, public, key.values, key.values) == []
    for name, approach in exercise.wrong_approaches.items():
        answers = exercise.approach(frames, public, (name,))
        named = {(d.question, d.approach) for d in diagnose(exercise, frames, public,
                                                             key.values, answers)}
        wrong_questions = {q.id for q in exercise.manifest.auto_questions
                           if any(answers[f.name] != key.values[f.name] for f in q.answers)}
        for qid in set(approach.loses) & wrong_questions:
            assert (qid, name) in named, f"{name} is not named on {qid}"


@pytest.mark.parametrize("slug", sorted(EXERCISES))
def test_diagnosing_only_the_lost_questions_names_what_the_whole_diagnosis_names_there(slug):
    """Limited to some questions (grading passes those that lost points), does diagnose
    name exactly what the full diagnosis names on them, for every persona?"""
    exercise = EXERCISES[slug]
    variant, data, key = build_variant(exercise, b"diagnosis", "cand-2")
    frames, public = data.frames(), dict(variant.injected_parameters)
    questions = [q.id for q in exercise.manifest.auto_questions]
    checked = 0
    for wrong in exercise.personas.values():
        answers = exercise.approach(frames, public, tuple(wrong))
        full = diagnose(exercise, frames, public, key.values, answers)
        for some in (set(questions[::2]), set(questions[1::2]), {d.question for d in full}):
            assert diagnose(exercise, frames, public, key.values, answers, questions=some) \
                == [d for d in full if d.question in some]
            checked += len(full)
    assert checked > 0


def test_a_wrong_answer_no_mistake_gives_is_named_nothing(template):
    """A wrong number that no known approach gives is wrong, but not diagnosed."""
    variant, data, key = build_variant(template, b"diagnosis", "cand-1")
    answers = {**key.values, "q1_p95_ms": key.values["q1_p95_ms"] + 333.0}
    frames, public = data.frames(), dict(variant.injected_parameters)
    assert diagnose(template, frames, public, key.values, answers) == []
    mean = float(frames["requests.csv"]["latency_ms"].mean())
    named = diagnose(template, frames, public, key.values, {**key.values, "q1_p95_ms": mean})
    assert [(d.question, d.approach, d.fields) for d in named] == [
        ("q1", "mean_instead_of_p95", ("q1_p95_ms",))]
    assert named[0].text() == "looks like: the mean latency reported as p95"


@pytest.mark.slow
def test_grading_names_the_mistake_for_graders(course, template):
    """Does a graded submission whose p95 is the mean carry the diagnosis in its grade
    record and under its check cell in the graders' notebook, and a right one none?"""
    import nbformat

    from evalround.grading import grade, load_record
    from evalround.notebook import fill_answers

    from helpers import bundle_notebook, submit

    variant, data, key = build_variant(template, course.secret, "alice")
    mean = float(data.frames()["requests.csv"]["latency_ms"].mean())
    for cid, values in (("alice", {**key.values, "q1_p95_ms": mean}),
                        ("bob", course.load_variant("template", "bob")["key"])):
        submit(course, cid, fill_answers(bundle_notebook(course, cid), template.manifest,
                                         values))
    grade(course, [template], jobs=2, progress=False)
    alice, bob = (load_record(course, "template", c) for c in ("alice", "bob"))
    assert alice is not None and bob is not None
    assert alice.diagnoses == {"q1": ["looks like: the mean latency reported as p95"]}
    assert bob.diagnoses == {}
    graded = nbformat.read(course.autograded_dir("alice", "template") / "template.ipynb", 4)
    check = next(c for c in graded.cells if c.metadata.get("nbgrader", {}).get("grade_id")
                 == "q1")
    assert "  looks like: the mean latency reported as p95" in check.outputs[0]["text"]

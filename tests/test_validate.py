"""`evalround validate`: the shipped exercise passes, a broken one fails with reasons."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from evalround import cli
from evalround.exercise import discover_exercises

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


# the five checks every exercise gets, four on its judgement questions, one on fairness
CHECKS = 10


def _persona_lines(out: str) -> dict[str, float]:
    """persona -> mean autograded points, from the lines validate prints."""
    return {line.split()[1].rstrip(":"): float(line.split()[2])
            for line in out.splitlines() if line.startswith("persona ")}


def test_triage_eval_passes_validate_on_20_variants(capsys):
    """Does the flagship pass every check on 20 variants, with strong at full marks, the
    literal persona at most 60% and each judgement question's truth varying?"""
    code = cli.main(["-q", "validate", "triage-eval", "--variants", "20"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert out.count("[PASS]") == CHECKS and "[FAIL]" not in out and "(20 checked)" in out
    auto_max = sum(q.points for q in discover_exercises()["triage-eval"].manifest.auto_questions)
    personas = _persona_lines(out)
    assert personas["strong"] == auto_max and personas["blank"] == 0.0
    assert personas["literal"] <= 0.6 * auto_max
    assert f"persona strong: {auto_max:.2f} / {auto_max:g} autograded (mean over variants)" in out
    for line in (x for x in out.splitlines() if x.startswith("judgement ")):
        assert int(line.split(": ")[1].split()[0]) >= 2, line
    assert "spread persona literal:" in out
    assert out.rstrip().endswith("all checks passed")


OTHER_EXERCISES = sorted(set(discover_exercises(REPO / "exercises")) - {"triage-eval"})


@pytest.mark.parametrize("slug", OTHER_EXERCISES)
def test_every_other_exercise_passes_validate_on_a_few_variants(slug, capsys):
    """A guard in the suite; the 50-variant runs are in the closing notes."""
    code = cli.main(["-q", "validate", slug, "--variants", "4", "--seed", "suite"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert out.count("[PASS]") == CHECKS and out.rstrip().endswith("all checks passed")
    auto_max = sum(q.points for q in discover_exercises()[slug].manifest.auto_questions)
    personas = _persona_lines(out)
    assert personas["strong"] == auto_max and personas["literal"] <= 0.6 * auto_max


def test_the_template_passes_validate_with_its_judgement_question(capsys):
    """Does the template a new exercise starts from pass every check, its judgement
    question (q2) included, with the exact persona lines: strong full, literal q1 only
    (the busiest region for q2), aggregate_only a third of q1 off as well?"""
    code = cli.main(["-q", "validate", "_template", "--variants", "4", "--seed", "suite"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert out.count("[PASS]") == CHECKS and out.rstrip().endswith("all checks passed")
    for line in ("persona strong: 4.00 / 4 autograded (mean over variants)",
                 "persona literal: 2.00 / 4 autograded (mean over variants)",
                 "persona aggregate_only: 1.33 / 4 autograded (mean over variants)",
                 "persona blank: 0.00 / 4 autograded (mean over variants)"):
        assert line in out.splitlines(), out
    assert "judgement q2: " in out


def test_a_broken_exercise_fails_validate_and_says_why(tmp_path, capsys):
    exercises = tmp_path / "exercises"
    shutil.copytree(REPO / "exercises" / "_template", exercises / "_template")
    shutil.copytree(REPO / "exercises" / "_template", exercises / "broken")
    manifest = exercises / "broken" / "exercise.yaml"
    manifest.write_text(manifest.read_text().replace("slug: template", "slug: broken")
                        .replace("00000000-template-0000-0000-000000000000",
                                 "00000000-broken-0000-0000-000000000000"))
    answers = exercises / "broken" / "answers.py"
    text = answers.read_text()
    # The key disagrees with the notebook's own solution, and the "wrong" approach is
    # in fact right, so it cannot lose its points.
    text = text.replace('float(np.percentile(latency, 50, method="linear"))',
                        'float(np.percentile(latency, 50, method="linear")) + 100.0')
    text = text.replace('return {"q1_p95_ms": float(data["requests.csv"]["latency_ms"].mean())}',
                        'return {"q1_p95_ms": reference(data, public)["q1_p95_ms"]}')
    answers.write_text(text)
    code = cli.main(["-q", "--exercises-dir", str(exercises), "validate", "broken",
                     "--variants", "2"])
    out = capsys.readouterr().out
    assert code == 1
    lines = out.splitlines()
    assert "[FAIL] reference solution scores full marks (2 checked)" in lines
    assert any(line.strip().startswith("- variant-000: 3.3333 of 4 points (off on {'q1'")
               for line in lines), out
    # two wrong approaches on each of the two variants; only the broken one fails
    assert "[FAIL] wrong approaches lose their points (4 checked)" in lines
    assert any("mean_instead_of_p95 keeps full marks on q1" in line for line in lines), out
    assert not any("busiest_region keeps full marks" in line for line in lines), out
    assert "[PASS] blank submission scores zero (2 checked)" in lines
    assert lines[-1] == "FAILED"

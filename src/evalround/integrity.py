"""Shared answers: evidence that a candidate used another candidate's work. Pure.

Three kinds of evidence, each a ``Flag`` with a strength in [0, 1]. A flag never
changes a score: it tells the hiring team where to look.

- ``key_match``: a candidate's answers equal *another* candidate's key on several
  fields where their own key differs. Their own data cannot produce those numbers, so
  this is near-proof. Fields whose key value coincides across variants, and answers
  from a public list (grid values, choices), are never counted.
- ``code_similarity``: fingerprints of the answer cells' normalised token k-grams,
  selected by winnowing (Schleimer, Wilkerson and Aiken, "Winnowing: local algorithms
  for document fingerprinting", SIGMOD 2003; the method behind MOSS). Identifiers,
  numbers and strings are normalised and comments and layout dropped, so renaming
  variables, reformatting and adding comments change nothing; reordering statements
  changes only the k-grams that span them. Fingerprints of the notebook's own stub code
  and those most of the cohort share are left out.
- ``text_similarity``: word-shingle overlap and TF-IDF cosine between written answers,
  leaving out sentences quoted from the notebook's prompts and the rubric.
"""

from __future__ import annotations

import hashlib
import io
import keyword
import re
import tokenize
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from evalround.exercise import AnswerField, Manifest
from evalround.scoring import score_field

KINDS = ("key_match", "code_similarity", "text_similarity")
MIN_KEY_FIELDS = 2  # answers matching another's key, not one's own, before a flag
# Calibrated on simulated independent work (tests/integrity_sim.py, 15 to 40 cohorts of 40
# candidates): independent pairs reached at most 0.88 on code, 0.31 shingle Jaccard and
# 0.53 TF-IDF cosine on prose; disguised copies scored 1.0 on code, and paraphrases at
# least 0.40 Jaccard or 0.66 cosine.
CODE_THRESHOLD = 0.92  # rarity-weighted fingerprint Jaccard
TEXT_THRESHOLD = 0.36  # word-shingle Jaccard
COSINE_THRESHOLD = 0.62  # TF-IDF cosine, for copies reworded beyond shingles
K_GRAM = 6  # tokens per k-gram
WINDOW = 4  # k-grams per winnowing window
SHINGLE = 3  # words per shingle


@dataclass(frozen=True)
class Flag:
    """One piece of evidence of a shared answer, between two candidates."""

    candidate: str
    exercise: str
    kind: str
    other_candidate: str
    evidence: str
    strength: float


# -- key match -------------------------------------------------------------------------


def _correct(spec: AnswerField, expected: Any, given: Any) -> bool:
    try:
        return score_field(spec, expected, given).correct
    except (TypeError, ValueError, OverflowError, RecursionError):
        return False


def key_matches(manifest: Manifest, keys: Mapping[str, Mapping[str, Any]],
                answers: Mapping[str, Mapping[str, Any]], exercise: str) -> list[Flag]:
    """Every (candidate, other) pair where the candidate's answers hit the other's key on
    at least ``MIN_KEY_FIELDS`` distinguishing fields and miss their own key there."""
    fields = [f for f in manifest.answer_fields if not f.public_domain and not f.choices]
    flags = []
    for cid, given in answers.items():
        own = keys.get(cid)
        if own is None:
            continue
        for other, theirs in keys.items():
            if other == cid:
                continue
            matched = []
            for spec in fields:
                if _correct(spec, own[spec.name], theirs[spec.name]):
                    continue  # the two keys agree here: says nothing
                # a value other variants share too is a coincidence waiting to happen
                shared = sum(_correct(spec, k[spec.name], theirs[spec.name])
                             for c, k in keys.items() if c not in (cid, other))
                if shared:
                    continue
                value = given.get(spec.name)
                if _correct(spec, theirs[spec.name], value) and not _correct(
                        spec, own[spec.name], value):
                    matched.append(spec.name)
            if len(matched) >= MIN_KEY_FIELDS:
                flags.append(Flag(
                    cid, exercise, "key_match", other,
                    f"{len(matched)} of {len(fields)} answers equal {other}'s key and not "
                    f"their own: {', '.join(matched)}",
                    round(len(matched) / len(fields), 4)))
    return flags


# -- code similarity -------------------------------------------------------------------


def code_tokens(source: str) -> list[str]:
    """Python tokens with identifiers, numbers and strings normalised, layout dropped.

    Attribute and keyword names after ``.`` are kept: ``df.groupby`` and ``df.merge``
    are different code, whatever the frame is called."""
    out: list[str] = []
    skip = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT,
            tokenize.DEDENT, tokenize.ENCODING, tokenize.ENDMARKER}
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return re.findall(r"\w+|[^\w\s]", source)
    previous = ""
    for tok in tokens:
        if tok.type in skip:
            continue
        if tok.type == tokenize.NAME:
            text = tok.string if keyword.iskeyword(tok.string) or previous == "." else "V"
        elif tok.type == tokenize.NUMBER:
            text = "N"
        elif tok.type == tokenize.STRING:
            text = "S"
        else:
            text = tok.string
        out.append(text)
        previous = tok.string
    return out


def _hash(parts: Sequence[str]) -> int:
    return int.from_bytes(hashlib.blake2b(" ".join(parts).encode(), digest_size=8).digest(),
                          "big")


def winnow(tokens: Sequence[str], k: int = K_GRAM, window: int = WINDOW) -> set[int]:
    """The fingerprints of a token sequence: in every window of ``window`` consecutive
    k-gram hashes, the smallest, as in Schleimer et al. 2003."""
    hashes = [_hash(tokens[i:i + k]) for i in range(len(tokens) - k + 1)]
    if not hashes:
        return {_hash(tokens)} if tokens else set()
    return {min(hashes[i:i + window]) for i in range(max(1, len(hashes) - window + 1))}


def statements(source: str) -> list[str]:
    """Top-level statements (a ``def`` with its body is one), so that reordering them
    changes no fingerprint."""
    import ast

    try:
        tree = ast.parse(source)
    except SyntaxError:
        return [line for line in source.splitlines() if line.strip()]
    lines = source.splitlines()
    return ["\n".join(lines[node.lineno - 1:node.end_lineno]) for node in tree.body]


def code_fingerprints(sources: Iterable[str]) -> set[int]:
    """Winnowed k-gram fingerprints within each statement, and each whole statement."""
    prints: set[int] = set()
    for source in sources:
        for statement in statements(source):
            tokens = code_tokens(statement)
            if tokens:
                prints |= winnow(tokens) | {_hash(["stmt", *tokens])}
    return prints


def containment(a: set[int], b: set[int]) -> float:
    """Shared fingerprints over the smaller set: copying part of a solution counts."""
    return len(a & b) / min(len(a), len(b)) if a and b else 0.0


def weighted_jaccard(a: set[int], b: set[int], weight: Mapping[int, float]) -> float:
    """Shared fingerprints over all of the pair's, each weighted by its rarity in the
    cohort (log N/df): sharing what everybody writes counts for little, sharing the
    unusual for a lot."""
    mass = sum(weight[p] for p in a | b)
    return sum(weight[p] for p in a & b) / mass if mass > 0 else 0.0


def _pairs_over(kind: str, exercise: str, sims: dict[tuple[str, str], float],
                threshold: float, describe: str) -> list[Flag]:
    values = sorted(sims.values())
    flags = []
    for (a, b), sim in sims.items():
        if sim < threshold:
            continue
        above = sum(v < sim for v in values) / len(values)
        evidence = (f"{describe} {sim:.2f} (threshold {threshold:.2f}; higher than "
                    f"{above:.0%} of the cohort's pairs)")
        flags.append(Flag(a, exercise, kind, b, evidence, round(sim, 4)))
        flags.append(Flag(b, exercise, kind, a, evidence, round(sim, 4)))
    return flags


def code_similarities(code: Mapping[str, Sequence[str]], stub: Sequence[str]
                      ) -> dict[tuple[str, str], float]:
    """Every pair's rarity-weighted fingerprint overlap, the notebook's stub code left out."""
    import math

    boiler = code_fingerprints(stub)
    prints = {cid: code_fingerprints(src) - boiler for cid, src in code.items()}
    counts = Counter(p for fp in prints.values() for p in fp)
    n = max(len(prints), 2)
    weight = {p: math.log(n / df) for p, df in counts.items()}
    return {(a, b): weighted_jaccard(prints[a], prints[b], weight)
            for a, b in combinations(sorted(prints), 2)}


def code_similarity(code: Mapping[str, Sequence[str]], stub: Sequence[str], exercise: str,
                    threshold: float = CODE_THRESHOLD) -> list[Flag]:
    """Flags for pairs whose answer code overlaps above ``threshold``."""
    return _pairs_over("code_similarity", exercise, code_similarities(code, stub), threshold,
                       "answer code shares rare fingerprints:")


# -- text similarity -------------------------------------------------------------------


def _sentences(text: str) -> list[str]:
    return [s.strip().lower() for s in re.split(r"(?<=[.!?])\s+|\n+", text) if s.strip()]


def strip_quoted(text: str, quoted: Iterable[str]) -> str:
    """The answer without sentences taken from the notebook's prompts or the rubric."""
    known = {s for q in quoted for s in _sentences(q)}
    return " ".join(s for s in _sentences(text) if s not in known)


def shingles(text: str, size: int = SHINGLE) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", text.lower())
    return {tuple(words[i:i + size]) for i in range(len(words) - size + 1)}


def text_similarities(prose: Mapping[str, str], quoted: Sequence[str]
                      ) -> dict[tuple[str, str], tuple[float, float]]:
    """Every pair's (word-shingle Jaccard, TF-IDF cosine), quoted sentences left out and
    answers too short to compare skipped."""
    texts = {cid: strip_quoted(t, quoted) for cid, t in prose.items()}
    texts = {cid: t for cid, t in texts.items() if len(re.findall(r"\w+", t)) >= 3 * SHINGLE}
    if len(texts) < 2:
        return {}
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import cosine_similarity

    ids = sorted(texts)
    matrix = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit_transform(
        [texts[c] for c in ids])
    cosine = cosine_similarity(matrix)
    shing = {cid: shingles(texts[cid]) for cid in ids}
    out = {}
    for i, j in combinations(range(len(ids)), 2):
        a, b = shing[ids[i]], shing[ids[j]]
        jaccard = len(a & b) / len(a | b) if a | b else 0.0
        out[(ids[i], ids[j])] = (jaccard, float(cosine[i, j]))
    return out


def text_similarity(prose: Mapping[str, str], quoted: Sequence[str], exercise: str,
                    threshold: float = TEXT_THRESHOLD,
                    cosine_threshold: float = COSINE_THRESHOLD) -> list[Flag]:
    """Flags for pairs whose written answers share word shingles above ``threshold``, or
    whose TF-IDF cosine (fitted on this cohort's answers) is above ``cosine_threshold``."""
    pairs = text_similarities(prose, quoted)
    values = sorted(j for j, _ in pairs.values())
    flags = []
    for (a, b), (jaccard, cosine) in pairs.items():
        if jaccard < threshold and cosine < cosine_threshold:
            continue
        above = sum(v < jaccard for v in values) / len(values)
        evidence = (f"written answers alike: word-shingle overlap {jaccard:.2f} (threshold "
                    f"{threshold:.2f}; higher than {above:.0%} of the cohort's pairs), "
                    f"TF-IDF cosine {cosine:.2f}")
        strength = round(max(jaccard, cosine), 4)
        flags += [Flag(a, exercise, "text_similarity", b, evidence, strength),
                  Flag(b, exercise, "text_similarity", a, evidence, strength)]
    return flags

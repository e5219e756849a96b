"""Variants: a candidate's parameters, data files and answer key.

A variant is a pure function of (course secret, exercise id, candidate id). The seed
is an HMAC of the secret, so no candidate can derive another's parameters, and the
same course and candidate always give the same bytes. Nothing here touches the disk.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from evalround.exercise import Exercise, Frames

DATA_DIR = "data"


@dataclass(frozen=True)
class Variant:
    """Who gets which parameters. ``hidden`` never leaves the grader's side."""

    exercise_id: str
    exercise_slug: str
    candidate_id: str
    variant_id: str
    seed: int
    public: dict[str, Any]
    hidden: dict[str, Any]

    @property
    def injected_parameters(self) -> dict[str, Any]:
        """What papermill writes into the candidate's notebook."""
        return {"variant_id": self.variant_id, "data_dir": DATA_DIR, **self.public}


@dataclass(frozen=True)
class AnswerKey:
    """The expected value of every autograded answer variable for one variant."""

    values: dict[str, Any]

    @property
    def sha256(self) -> str:
        return hashlib.sha256(canonical_json(self.values).encode()).hexdigest()


@dataclass(frozen=True)
class VariantData:
    """The variant's data files, as the exact bytes the candidate receives."""

    files: dict[str, bytes]

    @property
    def sha256(self) -> dict[str, str]:
        return {name: hashlib.sha256(data).hexdigest() for name, data in self.files.items()}

    def frames(self) -> Frames:
        """The files parsed the way a candidate parses them (see ``read_data_file``)."""
        return {name: read_data_file(name, data) for name, data in self.files.items()}


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return _jsonable(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    return value


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and numpy scalars made plain: stable across runs."""
    return json.dumps(_jsonable(value), sort_keys=True, ensure_ascii=False)


def derive_seed(secret: bytes, exercise_id: str, candidate_id: str) -> int:
    digest = hmac.new(secret, f"seed/{exercise_id}/{candidate_id}".encode(), "sha256").digest()
    return int.from_bytes(digest[:16], "big")


def derive_variant_id(secret: bytes, exercise_id: str, candidate_id: str) -> str:
    # A separate HMAC message, so the label shown to the candidate reveals nothing
    # about the seed (the generator is public; the seed must not be).
    digest = hmac.new(secret, f"label/{exercise_id}/{candidate_id}".encode(), "sha256")
    return "v-" + digest.hexdigest()[:10]


def _json_record(value: Any) -> Any:
    """Plain JSON values: numpy scalars unboxed, NaN and NaT as null."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:  # most of the values
        return value
    if kind is float:
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {_json_key(k): _json_record(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [_json_record(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value


def _json_default(value: Any) -> Any:
    """For ``json.dumps``: a value it cannot write (numpy, pandas), made plain."""
    plain = _json_record(value)
    if plain is value:
        raise TypeError(f"{type(value).__name__} is not JSON")
    return plain


def _json_line(record: Mapping[Any, Any]) -> str:
    """One record as a JSON line, the bytes of ``json.dumps(_json_record(record))``.

    Tried first without walking the record (most values are plain); a NaN (null in the
    file) or a numpy key takes the walk.
    """
    try:
        return json.dumps(record, ensure_ascii=False, allow_nan=False, default=_json_default,
                          check_circular=False)
    except (ValueError, TypeError):
        return json.dumps(_json_record(record), ensure_ascii=False, allow_nan=False)


def _json_key(key: Any) -> str:
    """A dict key as ``json.dumps`` spells it (``true``, ``null``, ``1.5``)."""
    if isinstance(key, np.generic):
        key = key.item()
    if key is True or key is False or key is None:
        return json.dumps(key)
    return str(key)


def write_data_file(name: str, frame: pd.DataFrame) -> bytes:
    """A frame as the bytes a candidate receives: CSV, or JSON lines for nested records."""
    if name.endswith(".jsonl"):
        # The stdlib encoder, not pandas': it keeps "/" in URLs unescaped.
        lines = (_json_line(r) for r in frame.to_dict(orient="records"))
        return "".join(line + "\n" for line in lines).encode("utf-8")
    return frame.to_csv(index=False, lineterminator="\n").encode("utf-8")


def read_data_file(name: str, data: bytes) -> pd.DataFrame:
    """A data file parsed the plain way: ``pd.read_csv`` defaults, or JSON lines as written
    (no type or date guessing, nested lists and dicts kept)."""
    if name.endswith(".jsonl"):
        return pd.read_json(io.BytesIO(data), lines=True, dtype=False)
    return pd.read_csv(io.BytesIO(data))


def frames_to_files(frames: Frames) -> dict[str, bytes]:
    return {name: write_data_file(name, frames[name]) for name in sorted(frames)}


def build_variant(
    exercise: Exercise, secret: bytes, candidate_id: str
) -> tuple[Variant, VariantData, AnswerKey]:
    """Parameters, data and key for one candidate. Pure: same inputs, same bytes."""
    manifest = exercise.manifest
    seed = derive_seed(secret, manifest.id, candidate_id)
    rng = np.random.default_rng(seed)
    params = exercise.sample_parameters(rng)
    data = VariantData(files=frames_to_files(exercise.generate(rng, params)))
    public = _jsonable(params["public"])
    variant = Variant(
        exercise_id=manifest.id,
        exercise_slug=manifest.slug,
        candidate_id=candidate_id,
        variant_id=derive_variant_id(secret, manifest.id, candidate_id),
        seed=seed,
        public=public,
        hidden=_jsonable(params["hidden"]),
    )
    key = answer_key(exercise, data, variant)
    return variant, data, key


def sampled_variant(exercise: Exercise, secret: bytes, candidate_id: str) -> Variant:
    """The candidate's parameters alone, without generating data: what ``build_variant``
    gives when the generator leaves the sampled parameters as they are."""
    manifest = exercise.manifest
    seed = derive_seed(secret, manifest.id, candidate_id)
    params = exercise.sample_parameters(np.random.default_rng(seed))
    return Variant(
        exercise_id=manifest.id,
        exercise_slug=manifest.slug,
        candidate_id=candidate_id,
        variant_id=derive_variant_id(secret, manifest.id, candidate_id),
        seed=seed,
        public=_jsonable(params["public"]),
        hidden=_jsonable(params["hidden"]),
    )


def answer_key(exercise: Exercise, data: VariantData, variant: Variant) -> AnswerKey:
    """The key, computed from the bytes the candidate gets, as the candidate would parse them."""
    values = exercise.reference(data.frames(), dict(variant.injected_parameters))
    return AnswerKey(values=_jsonable(values))


DEFAULT_SEED = 20261123


def default_data(exercise: Exercise) -> VariantData:
    """The exercise's bundled default dataset (``data/<slug>/``), from a fixed seed."""
    rng = np.random.default_rng(DEFAULT_SEED)
    params = exercise.sample_parameters(rng)
    return VariantData(files=frames_to_files(exercise.generate(rng, params)))

"""Regenerate the bundled default datasets: ``python -m evalround.default_data [SLUG ...]``.

With no slug, every exercise's; with slugs, only those exercises'.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from evalround.assignment import default_data_dir
from evalround.exercise import discover_exercises
from evalround.variant import default_data


def main(argv: Sequence[str] | None = None) -> int:
    slugs = list(sys.argv[1:] if argv is None else argv)
    exercises = discover_exercises()
    unknown = sorted(set(slugs) - set(exercises))
    if unknown:
        print(f"no exercise named {', '.join(unknown)}; known: {', '.join(sorted(exercises))}",
              file=sys.stderr)
        return 2
    for slug, exercise in exercises.items():
        if slugs and slug not in slugs:
            continue
        folder = default_data_dir(exercise)
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in default_data(exercise).files.items():
            (folder / name).write_bytes(data)
        print(f"wrote {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

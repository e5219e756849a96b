"""Regenerate every exercise's bundled default dataset: ``python -m evalround.default_data``."""

from __future__ import annotations

from evalround.assignment import default_data_dir
from evalround.exercise import discover_exercises
from evalround.variant import default_data


def main() -> None:
    for exercise in discover_exercises().values():
        folder = default_data_dir(exercise)
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in default_data(exercise).files.items():
            (folder / name).write_bytes(data)
        print(f"wrote {folder}")


if __name__ == "__main__":
    main()

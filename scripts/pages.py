"""The course's pages as listed in _toc.yml (shared by the scripts and the tests).

Importing this module also sets ``ORANGE_QUIET=1`` (the one place it is set): whatever
runs pages to store or check them (scripts/execute_pages.py, scripts/benchmark.py,
pytest's nbval through conftest.py) imports it, and the kernels they start inherit the
variable, so no progress bar ever reaches a stored or compared output.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
os.environ["ORANGE_QUIET"] = "1"


def toc_entries(toc: Path = ROOT / "_toc.yml") -> list[str]:
    """Every ``root``/``file`` entry of the table of contents, in reading order."""
    data = yaml.safe_load(toc.read_text())
    found = [data["root"]]

    def walk(items):
        for item in items or []:
            if "file" in item:
                found.append(item["file"])
            walk(item.get("sections"))
            walk(item.get("chapters"))

    for part in data.get("parts", []):
        walk(part.get("chapters"))
    walk(data.get("chapters"))
    return found


def toc_notebooks() -> list[Path]:
    """The notebooks (``.ipynb``) that the table of contents lists."""
    return [ROOT / f"{entry}.ipynb" for entry in toc_entries() if (ROOT / f"{entry}.ipynb").is_file()]


if __name__ == "__main__":
    for notebook in toc_notebooks():
        print(notebook.relative_to(ROOT))

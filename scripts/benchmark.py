"""Execute every page and print how long it took and how much memory its kernel used.

    python scripts/benchmark.py            # every page in _toc.yml
    python scripts/benchmark.py chapters/02_math/activations.ipynb

A benchmark, not a test: it prints a table (page, wall seconds, peak RSS of the page's
kernel in MB) and the total, and flags pages over the course's budgets (45 s and
1,500 MB per page, 6 minutes for the whole course, on the 2-core reference machine).
Peak RSS is the kernel's high-water mark (VmHWM) read just before it shuts down.
Nothing is written back into the notebooks.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from pages import toc_notebooks  # also sets ORANGE_QUIET: no progress bars in outputs

ROOT = Path(__file__).resolve().parents[1]

PAGE_SECONDS, PAGE_MB, COURSE_SECONDS = 45.0, 1500.0, 360.0


def peak_rss_mb(pid: int) -> float:
    """The VmHWM (peak resident set size) of a live process, in MB (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for process {pid}")


def run_page(path: Path, timeout: int = 600) -> tuple[float, float]:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    start = time.perf_counter()
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)
        seconds = time.perf_counter() - start
        peak = peak_rss_mb(client.km.provisioner.process.pid)
    return seconds, peak


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("pages", nargs="*", type=Path)
    args = parser.parse_args(argv)
    pages = [p.resolve() for p in args.pages] or toc_notebooks()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs; load average before: {os.getloadavg()[0]:.2f}"
    )
    print(f"{'page':<50}{'wall s':>9}{'peak MB':>10}  budget")
    total, worst = 0.0, 0.0
    for page in pages:
        seconds, peak = run_page(page)
        total += seconds
        worst = max(worst, peak)
        ok = seconds <= PAGE_SECONDS and peak <= PAGE_MB
        print(
            f"{str(page.relative_to(ROOT)):<50}{seconds:>9.1f}{peak:>10.0f}  {'ok' if ok else 'OVER'}",
            flush=True,
        )
    print(f"{'whole course':<50}{total:>9.1f}{worst:>10.0f}  {'ok' if total <= COURSE_SECONDS else 'OVER'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

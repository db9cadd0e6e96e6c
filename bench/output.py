"""How the benches print: lines as they come, headings, the machine they ran on, and
cProfile's top entries."""

from __future__ import annotations

import io
import os
import pstats
import time


def say(text: str = "") -> None:
    print(text, flush=True)


def heading(text: str) -> None:
    say()
    say(f"== {text} " + "=" * max(0, 76 - len(text)))


def cpu_check() -> str:
    """A yardstick for comparing machines: the same pure-Python loop everywhere."""
    started = time.perf_counter()
    total = 0
    for i in range(5_000_000):
        total += i
    seconds = time.perf_counter() - started
    return (
        f"{os.cpu_count()} CPU cores; CPU check: 5M Python loop steps in {seconds:.2f} s; {load()}"
    )


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min)"


def show_own_time(profiler, indent: str, count: int = 15) -> None:
    """The ``count`` functions with the most time of their own, as pstats prints them
    (from its column headings on)."""
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("tottime").print_stats(count)
    lines = out.getvalue().splitlines()
    start = next(i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls"))
    for line in lines[start:]:
        if line.strip():
            say(indent + line)


def profile_entries(stats: pstats.Stats, path_end: str, name: str) -> list[tuple[float, int]]:
    """(cumulative seconds, calls) of each function cProfile timed that is ``name`` in a
    file whose path ends with ``path_end``, or with path_end "~", of each built-in whose
    name contains ``name`` (such as "execute' of 'psycopg2")."""
    return [
        (ct, nc)
        for (path, _, func), (_, nc, _, ct, _) in stats.stats.items()
        if path.endswith(path_end) and (func == name or (path == "~" and name in func))
    ]

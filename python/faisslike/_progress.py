"""Renders the progress of verbose operations (index.verbose = True, Kmeans(verbose=True)):
a bar redrawn in place on a terminal, plain lines (at most one every 2 s, and the last)
otherwise. The C++ side calls render() at most every 0.1 s (faisslike/Progress.h)."""
import sys
import time

_last_line = {}


def _fmt_s(s):
    if s != s or s == float("inf"):
        return "?"
    return f"{s:.1f}s" if s < 120 else f"{int(s) // 60}m{int(s) % 60:02d}s"


def render(what, done, total, seconds, finished):
    out = sys.stderr
    unit = "it" if what == "k-means" else "vec"
    rate = done / seconds if seconds > 0 else 0.0
    if total > 0:
        frac = min(done / total, 1.0)
        eta = (total - done) / rate if rate > 0 else float("nan")
        stats = (f"{done:,}/{total:,} {unit} {rate:,.0f} {unit}/s "
                 + (f"in {_fmt_s(seconds)}" if finished else f"{_fmt_s(seconds)} ETA {_fmt_s(eta)}"))
    else:
        frac = 1.0 if finished else 0.0
        stats = f"{done:,} {unit} {_fmt_s(seconds)}"
    try:
        tty = out.isatty()
    except (AttributeError, ValueError):
        tty = False
    if tty:
        width = 24
        bar = "#" * int(frac * width)
        out.write(f"\r{what} [{bar:<{width}}] {100 * frac:3.0f}% {stats}\x1b[K"
                  + ("\n" if finished else ""))
        out.flush()
        return
    now = time.monotonic()
    if not finished and now - _last_line.get(what, -1e9) < 2.0:
        return
    _last_line[what] = now
    out.write(f"{what}: {100 * frac:.0f}% {stats}{' done' if finished else ''}\n")
    out.flush()

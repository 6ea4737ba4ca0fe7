"""Runs the tutorial block of README.md exactly as written; fails if it is missing or raises."""
import pathlib
import re
import sys

readme = pathlib.Path(sys.argv[1]).read_text()
m = re.search(r"<!-- tutorial.*?-->\s*```python\n(.*?)```\s*<!-- /tutorial -->", readme, re.S)
if not m:
    sys.exit("README.md has no tutorial block")
code = m.group(1)
ns = {}
exec(compile(code, "README.md tutorial", "exec"), ns)
I = ns["I"]
assert I.shape == (5, 4) and (I >= 0).all(), I
print("README tutorial ran: I[:5] =", I[:5].tolist())

"""Runs the tutorial block of README.md exactly as written; fails if it is missing or raises."""
import pathlib
import re
import sys

readme = pathlib.Path(sys.argv[1]).read_text()
blocks = re.findall(r"<!-- tutorial.*?-->\s*```python\n(.*?)```\s*<!-- /tutorial -->", readme, re.S)
if not blocks:
    sys.exit("README.md has no tutorial block")
ns = {}
exec(compile(blocks[0], "README.md tutorial", "exec"), ns)
I = ns["I"]
assert I.shape == (5, 4) and (I >= 0).all(), I
print("README tutorial ran: I[:5] =", I[:5].tolist())
# Later blocks run in the same namespace (they may use xb, xq, d from the first).
for i, code in enumerate(blocks[1:], 2):
    exec(compile(code, f"README.md tutorial block {i}", "exec"), ns)
    print(f"README tutorial block {i} ran")

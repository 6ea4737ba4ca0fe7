#!/usr/bin/env python3
"""Fails if AVX2 / AVX-512 instructions appear outside the per-ISA kernel functions.

The linker may keep an out-of-line copy of a shared inline function from whichever
translation unit it sees first; if that unit was compiled with -mavx512f, every caller
would get AVX-512 code and crash on older CPUs (FAISS #5296)."""
import re
import subprocess
import sys

lib = sys.argv[1]
out = subprocess.run(["objdump", "-d", "-C", "--no-show-raw-insn", lib],
                     capture_output=True, text=True, check=True).stdout

func_re = re.compile(r"^[0-9a-f]+ <(.*)>:$")
zmm_re = re.compile(r"%zmm|%k[1-7]|%[xy]mm(1[6-9]|2[0-9]|3[01])\b|\{%k")
ymm_re = re.compile(r"%ymm")
bad = []
func, n_funcs, n_simd = None, 0, 0
avx512_names = ("avx512",)
avx2_names = ("avx2", "avx512")  # fma3<avx2> and AVX-512 kernels may use ymm
seen_bad = set()
for line in out.splitlines():
    m = func_re.match(line)
    if m:
        func = m.group(1)
        n_funcs += 1
        continue
    if func is None or func in seen_bad:
        continue
    if zmm_re.search(line):
        n_simd += 1
        if not any(s in func for s in avx512_names):
            bad.append(f"AVX-512 instruction in {func}: {line.strip()}")
            seen_bad.add(func)
    elif ymm_re.search(line):
        n_simd += 1
        if not any(s in func for s in avx2_names):
            bad.append(f"AVX2 instruction in {func}: {line.strip()}")
            seen_bad.add(func)

if n_funcs == 0:
    print("no functions disassembled: is objdump working?")
    sys.exit(1)
if n_simd == 0:
    print("no AVX2/AVX-512 instruction found at all: the per-ISA kernels were not built")
    sys.exit(1)
for b in bad:
    print(b)
print(f"{n_funcs} functions, {n_simd} wide-vector instructions, {len(bad)} outside ISA kernels")
sys.exit(1 if bad else 0)

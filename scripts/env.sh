# Sourced by the scripts: run-time settings for speed on this kind of machine.
# Debian 12's OpenBLAS (0.3.21) predates Zen 4 and runs its AVX2 "Haswell" sgemm there; its
# AVX-512 kernels are ~1.6-2x faster (docs/architecture.md). Only when the user has not chosen.
if [ -z "${OPENBLAS_CORETYPE:-}" ] && [ -r /proc/cpuinfo ]; then
  flags=$(grep -m1 '^flags' /proc/cpuinfo)
  ok=1
  for f in avx512f avx512dq avx512bw avx512vl avx512cd; do
    [[ " $flags " == *" $f "* ]] || ok=0
  done
  [ "$ok" = 1 ] && export OPENBLAS_CORETYPE=SkylakeX
  unset flags ok f
fi

// Google Benchmark: each kernel on each ISA the CPU has, plus Flat search.
// Run: build/benchs/bench_kernels --benchmark_filter=L2sqr_ny
#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "faisslike/IndexFlat.h"
#include "faisslike/distances.h"
#include "kernels/kernel_table.h"

using namespace faisslike;

namespace {

std::vector<float> randn(size_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> dist;
    std::vector<float> v(n);
    for (auto& x : v) x = dist(rng);
    return v;
}

// Rows per _ny call: ~256 KB of database, L2-resident, so the kernel is measured, not memory.
size_t ny_for(size_t d) {
    return std::max<size_t>(16, (256 * 1024) / (d * sizeof(float)));
}

using PairKernel = float (*)(const float*, const float*, size_t);
using ManyKernel = void (*)(float*, const float*, const float*, size_t, size_t);

// One vector pair; `pick` selects the kernel from the ISA's table.
void BM_pair(benchmark::State& st, SIMDLevel l, PairKernel kernels::KernelTable::*pick) {
    size_t d = size_t(st.range(0));
    PairKernel f = kernels::kernel_table(l)->*pick;
    auto x = randn(d, 1), y = randn(d, 2);
    for (auto _ : st) benchmark::DoNotOptimize(f(x.data(), y.data(), d));
    st.SetItemsProcessed(int64_t(st.iterations()));
}

void BM_norm_L2sqr(benchmark::State& st, SIMDLevel l) {
    size_t d = size_t(st.range(0));
    auto K = kernels::kernel_table(l);
    auto x = randn(d, 1);
    for (auto _ : st) benchmark::DoNotOptimize(K->norm_L2sqr(x.data(), d));
    st.SetItemsProcessed(int64_t(st.iterations()));
}

// One query against ny_for(d) rows.
void BM_many(benchmark::State& st, SIMDLevel l, ManyKernel kernels::KernelTable::*pick) {
    size_t d = size_t(st.range(0));
    ManyKernel f = kernels::kernel_table(l)->*pick;
    const size_t ny = ny_for(d);
    auto x = randn(d, 1), y = randn(ny * d, 2);
    std::vector<float> out(ny);
    for (auto _ : st) {
        f(out.data(), x.data(), y.data(), d, ny);
        benchmark::ClobberMemory();
    }
    st.SetItemsProcessed(int64_t(st.iterations() * ny));
    st.SetBytesProcessed(int64_t(st.iterations() * ny * d * sizeof(float)));
}

void BM_norms_L2sqr(benchmark::State& st, SIMDLevel l) {
    size_t d = size_t(st.range(0));
    auto K = kernels::kernel_table(l);
    const size_t ny = ny_for(d);
    auto y = randn(ny * d, 2);
    std::vector<float> nr(ny);
    for (auto _ : st) {
        K->norms_L2sqr(nr.data(), y.data(), d, ny);
        benchmark::ClobberMemory();
    }
    st.SetItemsProcessed(int64_t(st.iterations() * ny));
}

void BM_filter_lt(benchmark::State& st, SIMDLevel l) {
    auto K = kernels::kernel_table(l);
    const size_t n = 1024;
    auto a = randn(n, 1), b = randn(n, 2);
    std::vector<float> vals(n);
    std::vector<int32_t> idx(n);
    for (auto _ : st) {
        // Threshold at the 1% tail, as once a top-10 heap is warm.
        benchmark::DoNotOptimize(
            K->filter_lt(a.data(), b.data(), 1.0f, n, -3.3f, vals.data(), idx.data()));
    }
    st.SetItemsProcessed(int64_t(st.iterations() * n));
}

// PQ asymmetric distance computation: codes/s for 8-bit codes with M sub-quantizers.
void BM_pq_adc8(benchmark::State& st, SIMDLevel l, bool gather) {
    const size_t M = size_t(st.range(0)), n = 4096;
    auto K = kernels::kernel_table(l);
    auto table = randn(M * 256, 1);
    std::vector<uint8_t> codes(n * M);
    std::mt19937 rng(2);
    for (auto& c : codes) c = uint8_t(rng());
    std::vector<float> dis(n);
    for (auto _ : st) {
        (gather ? K->pq_adc8_gather : K->pq_adc8)(table.data(), M, codes.data(), n, dis.data());
        benchmark::ClobberMemory();
    }
    st.SetItemsProcessed(int64_t(st.iterations() * n));
}

// 4-bit fast-scan: (query, code) pairs per second, L1-resident blocks (64 blocks = 2048 codes
// of M4 sub-quantizers), nq tables per pass. The shuffle bound: 2 byte shuffles per 4 (AVX-512)
// or 2 (AVX2) sub-quantizers of 32 codes per query.
void BM_pq4_scan(benchmark::State& st, SIMDLevel l) {
    const size_t M4 = size_t(st.range(0)), nq = size_t(st.range(1)), nb = 64;
    auto K = kernels::kernel_table(l);
    std::mt19937 rng(5);
    std::vector<uint8_t> blocks(nb * M4 * 16), lut(nq * M4 * 16);
    for (auto& b : blocks) b = uint8_t(rng());
    for (auto& t : lut) t = uint8_t(rng() & 63);
    std::vector<const uint8_t*> tabs(nq);
    for (size_t q = 0; q < nq; ++q) tabs[q] = lut.data() + q * M4 * 16;
    std::vector<uint16_t> lim(nq, 100), out(nq * nb * 32);
    std::vector<uint32_t> masks(nq * nb);
    for (auto _ : st) {
        K->pq4_scan(blocks.data(), nb, M4, tabs.data(), nq, lim.data(), out.data(), masks.data());
        benchmark::ClobberMemory();
    }
    st.SetItemsProcessed(int64_t(st.iterations() * nb * 32 * nq));
}

// RaBitQ's 1-bit stage: codes per second of rabitq_dot_ny (d = range(0), qb = range(1)),
// 2048 L1-resident codes of a 1-bit layout (sign bytes + 8 bytes of factors).
void BM_rabitq_dot(benchmark::State& st, SIMDLevel l) {
    const size_t d = size_t(st.range(0)), qb = size_t(st.range(1)), n = 2048;
    const size_t nbytes = (d + 7) / 8, nw = (nbytes + 7) / 8, stride = nbytes + 8;
    auto K = kernels::kernel_table(l);
    std::mt19937_64 rng(6);
    std::vector<uint8_t> codes(n * stride);
    for (auto& c : codes) c = uint8_t(rng());
    std::vector<uint64_t> planes(qb * nw);
    for (auto& p : planes) p = rng();
    std::vector<uint32_t> dot(n), pop(n);
    for (auto _ : st) {
        K->rabitq_dot_ny(planes.data(), nbytes, qb, codes.data(), stride, n, dot.data(),
                         pop.data());
        benchmark::ClobberMemory();
    }
    st.SetItemsProcessed(int64_t(st.iterations() * n));
}

// RaBitQ's multi-bit full estimate: rabitq_code_ip calls per second (d = range(0),
// ex_bits = range(1)).
void BM_rabitq_code_ip(benchmark::State& st, SIMDLevel l) {
    const size_t d = size_t(st.range(0)), eb = size_t(st.range(1)), n = 256;
    const size_t cs = (d + 7) / 8 + (d * eb + 7) / 8 + 8;
    auto K = kernels::kernel_table(l);
    std::mt19937 rng(7);
    std::vector<uint8_t> codes(n * cs);
    for (auto& c : codes) c = uint8_t(rng());
    auto q = randn(d, 8);
    float acc = 0;
    for (auto _ : st) {
        for (size_t j = 0; j < n; ++j)
            acc += K->rabitq_code_ip(codes.data() + j * cs, codes.data() + j * cs + (d + 7) / 8, eb,
                                     q.data(), d);
        benchmark::DoNotOptimize(acc);
    }
    st.SetItemsProcessed(int64_t(st.iterations() * n));
}

// Flat search on the ISA in use (FAISSLIKE_SIMD selects it).
void BM_FlatSearch(benchmark::State& st) {
    const size_t d = 128, nb = size_t(st.range(0)), nq = size_t(st.range(1)), k = 10;
    IndexFlatL2 index(d);
    auto xb = randn(nb * d, 3), xq = randn(nq * d, 4);
    index.add(nb, xb.data());
    std::vector<float> D(nq * k);
    std::vector<idx_t> I(nq * k);
    for (auto _ : st) index.search(nq, xq.data(), k, D.data(), I.data());
    st.SetItemsProcessed(int64_t(st.iterations() * nq));
    st.counters["simd"] = double(int(simd_level()));
}

void register_all() {
    for (SIMDLevel l : {SIMDLevel::NONE, SIMDLevel::AVX2, SIMDLevel::AVX512}) {
        if (!simd_level_supported(l)) continue;
        std::string s = simd_level_name(l);
        for (int d : {32, 128, 768}) {
            benchmark::RegisterBenchmark(("L2sqr/" + s).c_str(), BM_pair, l,
                                         &kernels::KernelTable::L2sqr)
                ->Arg(d);
            benchmark::RegisterBenchmark(("inner_product/" + s).c_str(), BM_pair, l,
                                         &kernels::KernelTable::inner_product)
                ->Arg(d);
            benchmark::RegisterBenchmark(("norm_L2sqr/" + s).c_str(), BM_norm_L2sqr, l)->Arg(d);
            benchmark::RegisterBenchmark(("L2sqr_ny/" + s).c_str(), BM_many, l,
                                         &kernels::KernelTable::L2sqr_ny)
                ->Arg(d);
            benchmark::RegisterBenchmark(("inner_product_ny/" + s).c_str(), BM_many, l,
                                         &kernels::KernelTable::inner_product_ny)
                ->Arg(d);
            benchmark::RegisterBenchmark(("norms_L2sqr/" + s).c_str(), BM_norms_L2sqr, l)->Arg(d);
        }
        benchmark::RegisterBenchmark(("filter_lt/" + s).c_str(), BM_filter_lt, l);
        for (int M : {8, 16, 32, 64})
            for (bool g : {false, true})
                benchmark::RegisterBenchmark(((g ? "pq_adc8_gather/" : "pq_adc8/") + s).c_str(),
                                             BM_pq_adc8, l, g)
                    ->Arg(M);
        for (int M4 : {16, 32, 64})
            for (int nq : {1, 4})
                benchmark::RegisterBenchmark(("pq4_scan/" + s).c_str(), BM_pq4_scan, l)
                    ->Args({M4, nq});
        for (int d : {128, 768})
            for (int qb : {4, 8})
                benchmark::RegisterBenchmark(("rabitq_dot/" + s).c_str(), BM_rabitq_dot, l)
                    ->Args({d, qb});
        for (int d : {128, 768})
            for (int eb : {3, 6})
                benchmark::RegisterBenchmark(("rabitq_code_ip/" + s).c_str(), BM_rabitq_code_ip, l)
                    ->Args({d, eb});
    }
    benchmark::RegisterBenchmark("FlatSearch/nb:nq", BM_FlatSearch)
        ->Args({100000, 1})
        ->Args({100000, 16})
        ->Args({100000, 1000})
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
}

}  // namespace

int main(int argc, char** argv) {
    register_all();
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}

#include "faisslike/IndexPQ.h"

#include <memory>

#include "faisslike/Error.h"
#include "kernels/kernel_table.h"

namespace faisslike {

IndexPQ::IndexPQ(idx_t d_in, size_t M, size_t nbits, MetricType metric)
    : IndexFlatCodes(d_in, 0, metric), pq(size_t(d_in), M, nbits) {
    code_size = pq.code_size;
    is_trained = false;
}

void IndexPQ::do_train(idx_t n, const float* x) {
    check_empty_for_training();
    pq.train(n, x);
    is_trained = true;
}

namespace {
// One ADC lookup table per query.
struct PQScorer : CodeScorer {
    const IndexPQ& index;
    const kernels::KernelTable& K = kernels::current();
    std::vector<float> table;
    explicit PQScorer(const IndexPQ& index) : index(index), table(index.pq.M * index.pq.ksub) {}
    void set_query(const float* x) override {
        index.pq.compute_table(index.metric_type, x, table.data());
    }
    void score(const uint8_t* codes, size_t n, float* out) override {
        index.pq.adc(K, table.data(), codes, n, out);
    }
};
}  // namespace

std::unique_ptr<CodeScorer> IndexPQ::get_scorer() const {
    return std::make_unique<PQScorer>(*this);
}

}  // namespace faisslike

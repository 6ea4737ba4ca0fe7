#include "faisslike/impl/SubIndex.h"

#include "faisslike/Index.h"

namespace faisslike {

void SubIndex::reset() {
    if (owned_) delete p_;
    p_ = nullptr;
    owned_ = false;
}

}  // namespace faisslike

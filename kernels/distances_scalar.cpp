// Instantiates the kernels for this ISA; compiled with its own flags (see CMakeLists.txt).
#include "kernels/distances_simd.h"

namespace faisslike {
namespace kernels {

const KernelTable* kernel_table_scalar() {
    return &TableFor<ScalarArch>::table;
}

}  // namespace kernels
}  // namespace faisslike

"""
faisslike native module (import faisslike instead)
"""
from __future__ import annotations
import collections.abc
import numpy
import numpy.typing
import typing
__all__: list[str] = ['Clustering', 'ClusteringIterationStats', 'ClusteringParameters', 'HNSW', 'HadamardRotation', 'IDSelector', 'IDSelectorAll', 'IDSelectorAnd', 'IDSelectorArray', 'IDSelectorBatch', 'IDSelectorBitmap', 'IDSelectorNot', 'IDSelectorOr', 'IDSelectorRange', 'IDSelectorShifted', 'IO_FLAG_MMAP', 'IO_FLAG_ONDISK_SAME_DIR', 'IO_FLAG_READ_ONLY', 'Index', 'Index2Layer', 'IndexBinary', 'IndexBinaryFlat', 'IndexBinaryFromFloat', 'IndexBinaryHNSW', 'IndexBinaryHash', 'IndexBinaryIDMap', 'IndexBinaryIDMap2', 'IndexBinaryIVF', 'IndexBinaryMultiHash', 'IndexFlat', 'IndexFlatCodes', 'IndexFlatIP', 'IndexFlatL2', 'IndexHNSW2Level', 'IndexHNSWCodes', 'IndexHNSWFlat', 'IndexHNSWPQ', 'IndexHNSWQG', 'IndexHNSWSQ', 'IndexIDMap', 'IndexIDMap2', 'IndexIVF', 'IndexIVFFlat', 'IndexIVFPQ', 'IndexIVFPQFastScan', 'IndexIVFRaBitQ', 'IndexIVFRaBitQFastScan', 'IndexIVFScalarQuantizer', 'IndexPQ', 'IndexPQFastScan', 'IndexPreTransform', 'IndexRaBitQ', 'IndexRefineFlat', 'IndexRowwiseMinMax', 'IndexRowwiseMinMaxFP16', 'IndexScalarQuantizer', 'IndexShards', 'LinearTransform', 'METRIC_INNER_PRODUCT', 'METRIC_L2', 'MultiIndexQuantizer', 'NormalizationTransform', 'OPQMatrix', 'PCAMatrix', 'ProductQuantizer', 'QT_4bit', 'QT_4bit_uniform', 'QT_6bit', 'QT_8bit', 'QT_8bit_direct', 'QT_8bit_direct_signed', 'QT_8bit_uniform', 'QT_bf16', 'QT_fp16', 'RaBitQuantizer', 'RandomRotationMatrix', 'ScalarQuantizer', 'SearchParameters', 'SearchParametersHNSW', 'SearchParametersIVF', 'SearchParametersIVFRaBitQ', 'SearchParametersRaBitQ', 'SearchParametersRefine', 'VectorTransform', 'blas_info', 'cvar', 'deserialize_index', 'deserialize_index_binary', 'index_binary_factory', 'index_factory', 'knn', 'merge_knn_results', 'normalize_L2', 'omp_get_max_threads', 'omp_set_num_threads', 'read_index', 'read_index_binary', 'serialize_index', 'serialize_index_binary', 'serialize_index_binary_faiss', 'serialize_index_faiss', 'set_simd_level', 'simd_level', 'simd_level_supported', 'write_index', 'write_index_binary', 'write_index_binary_faiss', 'write_index_faiss']
class SearchParameters:
    """
    SearchParameters(sel=None): per-call search settings. sel (an IDSelector) restricts the results to the ids it selects. Pass as index.search(x, k, params=...).
    """
    def __init__(self: object, *args: typing.Any, sel: IDSelector | None = None, **kwargs: typing.Any) -> None:
        """
        __init__(self: faisslike._faisslike.SearchParameters) -> None
        """
    @property
    def sel(self) -> typing.Any:
        """
        The IDSelector of this call (None: all ids).
        """
    @sel.setter
    def sel(self, arg1: typing.Any) -> None:
        ...
class Index:
    """
    Base class of all indexes (FAISS semantics).
    
    Attributes: d (dimension), ntotal (number of stored vectors), is_trained,
    metric_type (METRIC_L2 or METRIC_INNER_PRODUCT), verbose.
    Vectors are passed as 2-D arrays of shape (n, d); any real dtype is accepted and
    converted to float32 once (C-contiguous float32 input is used without a copy).
    Search, add and train release the GIL: several Python threads may search one index
    at once (but do not add while searching).
    """
    def __reduce__(self):
        ...
    def add(self, x: typing.Any) -> None:
        """
        Add vectors x of shape (n, d); they get ids ntotal .. ntotal+n-1.
        Raises RuntimeError if x contains NaN or infinity.
        """
    def add_with_ids(self, x: typing.Any, ids: typing.Any, *, replace: bool = False) -> None:
        """
        Add vectors with user ids (int64, >= 0); search returns these ids. Supported by
        IVF indexes, IndexIDMap / IndexIDMap2 and IndexShards(successive_ids=False).
        replace=True (IndexIDMap2): an upsert; an id already present gets the new vector,
        atomically for searches running beside it. RuntimeError on other index types.
        """
    def range_search(self, x: typing.Any, radius: typing.SupportsFloat | typing.SupportsIndex, *, params: typing.Any = None) -> tuple:
        """
        All results within `radius` (L2: squared distance < radius; inner product: > radius).
        
        Returns (lims, D, I) as FAISS: the results of query i are D[lims[i]:lims[i+1]] and
        I[lims[i]:lims[i+1]], best first. Supported by Flat and IVF indexes (and wrappers).
        """
    def reconstruct(self, key: typing.SupportsInt | typing.SupportsIndex) -> numpy.typing.NDArray[numpy.float32]:
        """
        The stored vector with id `key`, as a float32 array of shape (d,).
        """
    def reconstruct_n(self, i0: typing.SupportsInt | typing.SupportsIndex = 0, n: typing.Any = None) -> numpy.typing.NDArray[numpy.float32]:
        """
        Vectors i0 .. i0+n-1 as an (n, d) float32 array (n defaults to the rest).
        """
    def remove_ids(self, sel: typing.Any) -> int:
        """
        Remove the vectors whose ids `sel` selects (an IDSelector or an array of ids);
        returns how many were removed (0 for ids not in the index). Flat, PQ and SQ
        renumber the remaining vectors (as FAISS); IVF keeps ids; HNSW marks them deleted
        (see IndexHNSWFlat.compact).
        """
    def reset(self) -> None:
        """
        Remove all vectors.
        """
    def sa_code_size(self) -> int:
        """
        Bytes per vector of the standalone codec (RuntimeError if the type has none).
        """
    def sa_decode(self, codes: typing.Any) -> numpy.typing.NDArray[numpy.float32]:
        """
        Decoded vectors, float32 (n, d).
        """
    def sa_encode(self, x: typing.Any) -> numpy.typing.NDArray[numpy.uint8]:
        """
        Codes of x as a uint8 (n, sa_code_size()) array.
        """
    def search(self, x: typing.Any, k: typing.Any, *, params: typing.Any = None, D: typing.Any = None, I: typing.Any = None) -> tuple:
        """
        Search the k nearest neighbours of each row of x (shape (n, d)).
        
        Returns (D, I): float32 distances and int64 labels, both of shape (n, k), best first
        (ascending squared L2 distance, or descending inner product). Where fewer than k
        vectors exist, labels are -1 and distances +inf (L2) / -inf (inner product).
        D and I may be given to write into existing arrays.
        """
    def train(self, x: typing.Any) -> None:
        """
        Train the index on representative vectors x of shape (n, d).
        """
    @property
    def d(self) -> int:
        """
        Vector dimension.
        """
    @property
    def is_trained(self) -> bool:
        """
        Whether the index is ready for add/search.
        """
    @property
    def metric_type(self) -> int:
        """
        METRIC_L2 (1) or METRIC_INNER_PRODUCT (0).
        """
    @property
    def ntotal(self) -> int:
        """
        Number of vectors in the index.
        """
    @property
    def verbose(self) -> bool:
        """
        Print progress for long operations.
        """
    @verbose.setter
    def verbose(self, arg0: bool) -> None:
        ...
class _CVar:
    @property
    def distance_compute_blas_threshold(self) -> int:
        """
        Queries per batch at and above which exact search uses BLAS.
        """
    @distance_compute_blas_threshold.setter
    def distance_compute_blas_threshold(self, arg1: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
class IDSelector:
    """
    Selects ids for filtered search (SearchParameters(sel=...)) and remove_ids. Base class.
    """
    def is_member(self, id: typing.SupportsInt | typing.SupportsIndex) -> bool:
        """
        Whether id is selected.
        """
class IDSelectorRange(IDSelector):
    """
    IDSelectorRange(imin, imax): imin <= id < imax.
    """
    def __init__(self, imin: typing.SupportsInt | typing.SupportsIndex, imax: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    def __reduce__(self) -> tuple:
        ...
    @property
    def imax(self) -> int:
        """
        End of the selected range (exclusive).
        """
    @property
    def imin(self) -> int:
        """
        Start of the selected range (inclusive).
        """
class IDSelectorArray(IDSelector):
    """
    IDSelectorArray(ids): the listed ids (copied; binary search).
    """
    def __init__(self, ids: typing.Any) -> None:
        ...
    def __reduce__(self) -> tuple:
        ...
class IDSelectorBatch(IDSelector):
    """
    IDSelectorBatch(ids): the listed ids (hash set behind a bit mask; copied).
    """
    def __init__(self, ids: typing.Any) -> None:
        ...
    def __reduce__(self) -> tuple:
        ...
class IDSelectorBitmap(IDSelector):
    """
    IDSelectorBitmap(bitmap): id i is selected iff bit i % 8 of byte i // 8 is set (uint8 array, numpy.packbits(..., bitorder='little') order).
    """
    def __init__(self, bitmap: typing.Any) -> None:
        ...
    def __reduce__(self) -> tuple:
        ...
class IDSelectorNot(IDSelector):
    """
    IDSelectorNot(sel): ids sel rejects.
    """
    def __init__(self, sel: IDSelector) -> None:
        ...
    def __reduce__(self) -> tuple:
        ...
class IDSelectorAnd(IDSelector):
    """
    IDSelectorAnd(a, b): both.
    """
    def __init__(self, lhs: IDSelector, rhs: IDSelector) -> None:
        ...
    def __reduce__(self) -> tuple:
        ...
class IDSelectorOr(IDSelector):
    """
    IDSelectorOr(a, b): either.
    """
    def __init__(self, lhs: IDSelector, rhs: IDSelector) -> None:
        ...
    def __reduce__(self) -> tuple:
        ...
class IDSelectorAll(IDSelector):
    """
    Every id.
    """
    def __init__(self) -> None:
        ...
    def __reduce__(self) -> tuple:
        ...
class IDSelectorShifted(IDSelector):
    """
    IDSelectorShifted(sel, offset): id i is selected when sel selects i + offset (a shard's local ids against a selector of global ids).
    """
    def __init__(self, sel: IDSelector, offset: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    def __reduce__(self) -> tuple:
        ...
    @property
    def offset(self) -> int:
        """
        Added to an id before asking the wrapped selector.
        """
class SearchParametersIVF(SearchParameters):
    """
    SearchParametersIVF(nprobe=1): nprobe for this call only (FAISS's default 1 whatever the index's nprobe; 0 = the index's); safe with concurrent searches.
    """
    def __init__(self: object, *args: typing.Any, sel: IDSelector | None = None, **kwargs: typing.Any) -> None:
        """
        __init__(self: faisslike._faisslike.SearchParametersIVF, nprobe: typing.SupportsInt | typing.SupportsIndex = 1) -> None
        """
    @property
    def nprobe(self) -> int:
        """
        Inverted lists visited per query.
        """
    @nprobe.setter
    def nprobe(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
class ClusteringParameters:
    """
    k-means settings (FAISS defaults: niter=25, seed=1234, max_points_per_centroid=256, min_points_per_centroid=39).
    """
    def __init__(self) -> None:
        ...
    @property
    def frozen_centroids(self) -> bool:
        """
        Keep the centroids given before train() fixed.
        """
    @frozen_centroids.setter
    def frozen_centroids(self, arg0: bool) -> None:
        ...
    @property
    def int_centroids(self) -> bool:
        """
        Round centroid coordinates after each update.
        """
    @int_centroids.setter
    def int_centroids(self, arg0: bool) -> None:
        ...
    @property
    def kmeanspp(self) -> bool:
        """
        Initialize with k-means++ instead of a random sample.
        """
    @kmeanspp.setter
    def kmeanspp(self, arg0: bool) -> None:
        ...
    @property
    def max_points_per_centroid(self) -> int:
        """
        Training sets larger than k times this are subsampled (seeded).
        """
    @max_points_per_centroid.setter
    def max_points_per_centroid(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def min_points_per_centroid(self) -> int:
        """
        Below k times this many points, a warning is printed.
        """
    @min_points_per_centroid.setter
    def min_points_per_centroid(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def niter(self) -> int:
        """
        Number of k-means iterations.
        """
    @niter.setter
    def niter(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def nredo(self) -> int:
        """
        Runs from different seeds; the best objective is kept.
        """
    @nredo.setter
    def nredo(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def seed(self) -> int:
        """
        Seed of the initialization and subsampling.
        """
    @seed.setter
    def seed(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def spherical(self) -> bool:
        """
        Normalize centroids to unit length after each iteration.
        """
    @spherical.setter
    def spherical(self, arg0: bool) -> None:
        ...
    @property
    def verbose(self) -> bool:
        """
        Report progress (iterations, rate, ETA) on stderr.
        """
    @verbose.setter
    def verbose(self, arg0: bool) -> None:
        ...
class ClusteringIterationStats:
    """
    One k-means iteration: obj, time, time_search, imbalance_factor, nsplit.
    """
    @property
    def imbalance_factor(self) -> float:
        """
        Imbalance factor of the assignment (1.0: perfectly balanced).
        """
    @property
    def nsplit(self) -> int:
        """
        Empty clusters split in this iteration.
        """
    @property
    def obj(self) -> float:
        """
        Objective: sum of squared distances (L2) or of similarities (inner product).
        """
    @property
    def time(self) -> float:
        """
        Seconds since the start of training.
        """
    @property
    def time_search(self) -> float:
        """
        Seconds spent assigning points, cumulative.
        """
class Clustering(ClusteringParameters):
    """
    Clustering(d, k[, cp]): Lloyd k-means. train(x, index) assigns with `index` (e.g. IndexFlatL2(d)), which holds the centroids afterwards.
    """
    @typing.overload
    def __init__(self, d: typing.SupportsInt | typing.SupportsIndex, k: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @typing.overload
    def __init__(self, d: typing.SupportsInt | typing.SupportsIndex, k: typing.SupportsInt | typing.SupportsIndex, cp: ClusteringParameters) -> None:
        ...
    def train(self, x: typing.Any, index: Index, weights: typing.Any = None) -> None:
        """
        Run k-means on x (n, d); n >= k required. weights (n,): per-point weights.
        """
    @property
    def centroids(self) -> numpy.typing.NDArray[numpy.float32]:
        """
        Centroids as a (k, d) float32 array (a copy). Set before train() to give the first initial centroids (at most k rows).
        """
    @centroids.setter
    def centroids(self, arg1: typing.Any) -> None:
        ...
    @property
    def d(self) -> int:
        """
        Dimension of the vectors clustered.
        """
    @property
    def iteration_stats(self):
        """
        Per-iteration ClusteringIterationStats (obj, time, time_search, imbalance_factor, nsplit); also .size() / .at(i) as FAISS's vector.
        """
    @property
    def k(self) -> int:
        """
        Number of centroids.
        """
    @property
    def obj(self) -> list[float]:
        """
        Objective at each iteration (sum of distances, or of similarities for IP).
        """
class IndexFlat(Index):
    """
    Exact search: stores the vectors and compares the query with all of them.
    
    IndexFlat(d, metric=METRIC_L2). Batches of queries go through BLAS sgemm, small
    batches through the SIMD kernels; both are exact.
    """
    def __init__(self, d: typing.SupportsInt | typing.SupportsIndex, metric: typing.SupportsInt | typing.SupportsIndex = 1) -> None:
        ...
    def get_xb(self) -> numpy.typing.NDArray[numpy.float32]:
        """
        The stored vectors as an (ntotal, d) float32 array (a copy).
        """
    @property
    def codes(self) -> numpy.typing.NDArray[numpy.uint8]:
        """
        The stored vectors as raw bytes (a uint8 copy of ntotal * d float32s, as FAISS's codes vector).
        """
class IndexFlatL2(IndexFlat):
    """
    Exact search with squared L2 distance. IndexFlatL2(d).
    """
    def __init__(self, d: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
class IndexFlatIP(IndexFlat):
    """
    Exact search by largest inner product. IndexFlatIP(d).
    """
    def __init__(self, d: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
class _OnDiskLists:
    """
    Inverted lists in their own data file (see OnDiskInvertedLists).
    """
    @staticmethod
    def merge(ivfs: collections.abc.Sequence, filename: typing.Any, shift_ids: bool = False) -> _OnDiskLists:
        ...
    def compute_ntotal(self) -> int:
        """
        Total number of entries over all lists.
        """
    @property
    def code_size(self) -> int:
        """
        Bytes per code.
        """
    @property
    def file_size(self) -> int:
        """
        Size of the data file in bytes.
        """
    @property
    def filename(self) -> str:
        """
        Path of the data file.
        """
    @property
    def nlist(self) -> int:
        """
        Number of lists.
        """
class IndexIVF(Index):
    """
    Base of the inverted-file indexes.
    """
    def _replace_ondisk(self, invlists: _OnDiskLists) -> None:
        ...
    def add_preassigned(self, x: typing.Any, list_nos: typing.Any, ids: typing.Any = None) -> None:
        """
        Add x to the given lists (list_nos: one per row, -1 = skip) instead of the quantizer's choice; ids default to ntotal, ntotal+1, ...
        """
    def check_compatible_for_merge(self, other: Index) -> None:
        """
        The checks of merge_from (ValueError naming the mismatch), nothing moved.
        """
    def copy_lists_from(self, other: Index, list_nos: typing.Any, add_id: typing.SupportsInt | typing.SupportsIndex = 0) -> None:
        """
        Copies the entries of other's inverted lists list_nos into this index (checked as merge_from; other unchanged), ids shifted by add_id: re-cutting shards by list.
        """
    def get_list_codes(self, list_no: typing.SupportsInt | typing.SupportsIndex) -> numpy.typing.NDArray[numpy.uint8]:
        """
        Codes of inverted list list_no as a (size, code_size) uint8 array.
        """
    def get_list_ids(self, list_no: typing.SupportsInt | typing.SupportsIndex) -> numpy.typing.NDArray[numpy.int64]:
        """
        Ids stored in inverted list list_no (a copy).
        """
    def get_list_size(self, list_no: typing.SupportsInt | typing.SupportsIndex) -> int:
        """
        Number of vectors in inverted list list_no.
        """
    def make_direct_map(self, maintain: bool = True) -> None:
        """
        Enable reconstruct(): ids must be 0..ntotal-1 (use set_direct_map_type for others).
        """
    def merge_from(self, other: Index, add_id: typing.SupportsInt | typing.SupportsIndex = 0) -> None:
        """
        Moves every entry of other (an IVF index of the same type, with the same coarse centroids and encoder: e.g. a copy of one trained index, filled elsewhere) into this one, ids shifted by add_id; other is left empty. ValueError, nothing moved, on any mismatch.
        """
    def replace_invlists(self, invlists, own = True):
        """
        Install on-disk inverted lists (OnDiskInvertedLists, e.g. from merge_from_multiple) in
            place of the index's own; TypeError for any other kind.
        """
    def replace_quantizer(self, quantizer: Index) -> None:
        """
        Use q (trained, holding the same nlist centroids) as coarse quantizer. The index keeps q and the old quantizer alive.
        """
    def search_preassigned(self, x: typing.Any, k: typing.Any, list_nos: typing.Any, coarse_dis: typing.Any = None, *, params: typing.Any = None) -> tuple[numpy.typing.NDArray[numpy.float32], numpy.typing.NDArray[numpy.int64]]:
        """
        Search only the given lists: list_nos (n, nprobe) int (-1 = none), coarse_dis (n, nprobe) the query-to-centroid distances (zeros when None). Returns (D, I).
        """
    def set_direct_map_type(self, type: typing.SupportsInt | typing.SupportsIndex) -> None:
        """
        0 = none, 1 = array (sequential ids), 2 = hashtable (any ids).
        """
    @property
    def _invlists_filename(self) -> typing.Any:
        ...
    @property
    def code_size(self) -> int:
        """
        Bytes per code in the inverted lists.
        """
    @property
    def cp(self) -> ClusteringParameters:
        """
        k-means settings used by train() (IVF defaults: niter=10, spherical for IP).
        """
    @property
    def invlists(self, ivf):
        """
        FAISS's InvertedLists API (read).
        """
    @property
    def nlist(self) -> int:
        """
        Number of inverted lists.
        """
    @property
    def nprobe(self) -> int:
        """
        Lists scanned per query (default 1; clamped to nlist). For concurrent searches with different values pass SearchParametersIVF instead.
        """
    @nprobe.setter
    def nprobe(self, arg1: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def quantizer(self) -> Index:
        """
        The coarse quantizer (an Index holding the nlist centroids).
        """
    @property
    def quantizer_trains_alone(self) -> int:
        """
        1: train() trains the quantizer on the data itself (automatic for a MultiIndexQuantizer); 0 / 2: k-means. Not serialized.
        """
    @quantizer_trains_alone.setter
    def quantizer_trains_alone(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
class IndexIVFFlat(IndexIVF):
    """
    IndexIVFFlat(quantizer, d, nlist, metric=METRIC_L2)
    
    Inverted file with full vectors: k-means (on train) splits the space into nlist cells;
    search scans the nprobe nearest cells exactly. The index keeps `quantizer` alive.
    With few vectors in the probed cells, results are padded with -1 labels.
    """
    def __init__(self, quantizer: Index, d: typing.SupportsInt | typing.SupportsIndex, nlist: typing.SupportsInt | typing.SupportsIndex, metric: typing.SupportsInt | typing.SupportsIndex = 1) -> None:
        ...
class IndexFlatCodes(Index):
    """
    Base of the indexes that store one code per vector (PQ, SQ): code_size, codes.
    """
    @property
    def code_size(self) -> int:
        """
        Bytes per stored code.
        """
    @property
    def codes(self) -> numpy.typing.NDArray[numpy.uint8]:
        """
        The stored codes, ntotal * code_size bytes (a uint8 copy).
        """
class ProductQuantizer:
    """
    ProductQuantizer(d, M, nbits=8): splits vectors into M sub-vectors of d/M dims, each coded by
    the nearest of 2^nbits centroids (nbits 1..16). train(x) needs >= 2^nbits points (warns below 39 * 2^nbits);
    compute_codes(x) -> uint8 (n, code_size); decode(codes) -> float32 (n, d).
    """
    def __init__(self, d: typing.SupportsInt | typing.SupportsIndex, M: typing.SupportsInt | typing.SupportsIndex, nbits: typing.SupportsInt | typing.SupportsIndex = 8) -> None:
        ...
    def compute_codes(self, x: typing.Any) -> numpy.typing.NDArray[numpy.uint8]:
        """
        Codes of x, uint8 (n, code_size).
        """
    def compute_distance_table(self, x: typing.Any, metric: typing.SupportsInt | typing.SupportsIndex = 1) -> numpy.typing.NDArray[numpy.float32]:
        """
        (M, ksub) table: squared L2 distances (or inner products) of x's sub-vectors to every centroid.
        """
    def decode(self, codes: typing.Any) -> numpy.typing.NDArray[numpy.float32]:
        """
        Vectors decoded from codes, float32 (n, d).
        """
    def train(self, x: typing.Any) -> None:
        """
        Train the sub-quantizers (k-means per sub-space) on x, float32 (n, d).
        """
    @property
    def M(self) -> int:
        """
        Number of sub-quantizers.
        """
    @property
    def centroids(self) -> numpy.typing.NDArray[numpy.float32]:
        """
        (M, ksub, dsub) centroids (a copy).
        """
    @property
    def code_size(self) -> int:
        """
        Bytes per code.
        """
    @property
    def cp(self) -> ClusteringParameters:
        """
        k-means settings of each sub-quantizer.
        """
    @cp.setter
    def cp(self, arg0: ClusteringParameters) -> None:
        ...
    @property
    def d(self) -> int:
        """
        Dimension of the input vectors.
        """
    @property
    def dsub(self) -> int:
        """
        Dimension of each sub-vector (d / M).
        """
    @property
    def is_trained(self) -> bool:
        """
        Whether train() was run.
        """
    @property
    def ksub(self) -> int:
        """
        Centroids per sub-quantizer (2 ** nbits).
        """
    @property
    def nbits(self) -> int:
        """
        Bits per sub-quantizer code.
        """
class IndexPQ(IndexFlatCodes):
    """
    IndexPQ(d, M, nbits=8, metric=METRIC_L2): vectors stored as PQ codes (M * nbits / 8 bytes each),
    searched by asymmetric distance computation. Must be trained. sa_encode / sa_decode compress
    and decompress vectors without adding them.
    """
    def __init__(self, d: typing.SupportsInt | typing.SupportsIndex, M: typing.SupportsInt | typing.SupportsIndex, nbits: typing.SupportsInt | typing.SupportsIndex = 8, metric: typing.SupportsInt | typing.SupportsIndex = 1) -> None:
        ...
    @property
    def pq(self) -> ProductQuantizer:
        """
        The product quantizer.
        """
class IndexPQFastScan(Index):
    """
    IndexPQFastScan(d, M, nbits=4, metric=METRIC_L2, bbs=32), or IndexPQFastScan(index_pq, bbs=32):
    4-bit PQ codes packed in blocks of 32 and scanned with in-register table lookups (FAISS's
    fast-scan; factory "PQ<M>x4fs"). Ranks by 8-bit quantized tables; returned distances are the
    exact PQ distances of the results (IndexPQ's for the same codebooks).
    """
    @typing.overload
    def __init__(self, d: typing.SupportsInt | typing.SupportsIndex, M: typing.SupportsInt | typing.SupportsIndex, nbits: typing.SupportsInt | typing.SupportsIndex = 4, metric: typing.SupportsInt | typing.SupportsIndex = 1, bbs: typing.SupportsInt | typing.SupportsIndex = 32) -> None:
        ...
    @typing.overload
    def __init__(self, orig: IndexPQ, bbs: typing.SupportsInt | typing.SupportsIndex = 32) -> None:
        ...
    @property
    def M(self) -> int:
        """
        Number of sub-quantizers.
        """
    @property
    def M2(self) -> int:
        """
        M rounded up to even (codes are packed two per byte).
        """
    @property
    def bbs(self) -> int:
        """
        Vectors per packed block (a multiple of 32).
        """
    @property
    def code_size(self) -> int:
        """
        Bytes per unpacked code (M / 2).
        """
    @property
    def ksub(self) -> int:
        """
        Centroids per sub-quantizer (16).
        """
    @property
    def nbits(self) -> int:
        """
        Bits per sub-quantizer code (4).
        """
    @property
    def pq(self) -> ProductQuantizer:
        """
        The product quantizer (4-bit codes).
        """
class MultiIndexQuantizer(Index):
    """
    MultiIndexQuantizer(d, M, nbits): the 2^(M*nbits) centroids formed by concatenating one PQ
    sub-centroid per sub-vector (FAISS's inverted multi-index; factory "IMI2x<nbits>"). Train it on
    the data; search returns the nearest concatenated centroids (multi-sequence algorithm). Used as
    an IVF quantizer it is trained alone. add / reset raise RuntimeError (virtual elements).
    """
    def __init__(self, d: typing.SupportsInt | typing.SupportsIndex, M: typing.SupportsInt | typing.SupportsIndex, nbits: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def pq(self) -> ProductQuantizer:
        """
        The product quantizer whose centroids form the multi-index.
        """
class IndexIVFPQ(IndexIVF):
    """
    IndexIVFPQ(quantizer, d, nlist, M, nbits=8, metric=METRIC_L2): inverted file whose lists hold
    PQ codes of the residuals to the list centroid (by_residual). For L2, the list-dependent part of
    the lookup tables is precomputed at train time (use_precomputed_table). Keeps `quantizer` alive.
    """
    def __init__(self, quantizer: Index, d: typing.SupportsInt | typing.SupportsIndex, nlist: typing.SupportsInt | typing.SupportsIndex, M: typing.SupportsInt | typing.SupportsIndex, nbits: typing.SupportsInt | typing.SupportsIndex = 8, metric: typing.SupportsInt | typing.SupportsIndex = 1) -> None:
        ...
    @property
    def by_residual(self) -> bool:
        """
        Codes encode the residual to the list centroid (set before training).
        """
    @by_residual.setter
    def by_residual(self, arg1: bool) -> None:
        ...
    @property
    def pq(self) -> ProductQuantizer:
        """
        The product quantizer of the residuals (or vectors).
        """
    @property
    def use_precomputed_table(self) -> bool:
        """
        Whether the per-list distance tables are precomputed at train time.
        """
    @use_precomputed_table.setter
    def use_precomputed_table(self, arg1: bool) -> None:
        ...
class IndexIVFPQFastScan(IndexIVFPQ):
    """
    IndexIVFPQFastScan(quantizer, d, nlist, M, nbits=4, metric=METRIC_L2, bbs=32): IVF over 4-bit PQ
    codes searched with the fast-scan kernel (factory "IVF<n>,PQ<M>x4fs", residual codes with
    "x4fsr"). The probed lists' tables share one 8-bit scale; results are re-scored exactly.
    range_search and search_preassigned use the exact IndexIVFPQ scan. Keeps `quantizer` alive.
    """
    def __init__(self, quantizer: Index, d: typing.SupportsInt | typing.SupportsIndex, nlist: typing.SupportsInt | typing.SupportsIndex, M: typing.SupportsInt | typing.SupportsIndex, nbits: typing.SupportsInt | typing.SupportsIndex = 4, metric: typing.SupportsInt | typing.SupportsIndex = 1, bbs: typing.SupportsInt | typing.SupportsIndex = 32) -> None:
        ...
    def packed_bytes(self) -> int:
        """
        Bytes of the packed copies of the lists the fast scan reads.
        """
    @property
    def M(self) -> int:
        """
        Number of sub-quantizers.
        """
    @property
    def M2(self) -> int:
        """
        M rounded up to even (codes are packed two per byte).
        """
    @property
    def bbs(self) -> int:
        """
        Vectors per packed block (a multiple of 32).
        """
    @property
    def nbits(self) -> int:
        """
        Bits per sub-quantizer code (4).
        """
class SearchParametersRaBitQ(SearchParameters):
    """
    SearchParametersRaBitQ(qb=4, centered=False): query bits (0: float query) and the symmetric query quantizer for this call (FAISS's RaBitQSearchParameters).
    """
    def __init__(self: object, *args: typing.Any, sel: IDSelector | None = None, **kwargs: typing.Any) -> None:
        """
        __init__(self: faisslike._faisslike.SearchParametersRaBitQ, qb: typing.SupportsInt | typing.SupportsIndex = 4, centered: bool = False) -> None
        """
    @property
    def centered(self) -> bool:
        """
        Queries quantized around the centroid.
        """
    @centered.setter
    def centered(self, arg0: bool) -> None:
        ...
    @property
    def qb(self) -> int:
        """
        Bits per query coordinate (0: the index own setting).
        """
    @qb.setter
    def qb(self, arg1: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
class SearchParametersIVFRaBitQ(SearchParametersIVF):
    """
    SearchParametersIVFRaBitQ(nprobe=1, qb=4, centered=False): FAISS's IVFRaBitQSearchParameters.
    """
    def __init__(self: object, *args: typing.Any, sel: IDSelector | None = None, **kwargs: typing.Any) -> None:
        """
        __init__(self: faisslike._faisslike.SearchParametersIVFRaBitQ, nprobe: typing.SupportsInt | typing.SupportsIndex = 1, qb: typing.SupportsInt | typing.SupportsIndex = 4, centered: bool = False) -> None
        """
    @property
    def centered(self) -> bool:
        """
        Queries quantized around the centroid.
        """
    @centered.setter
    def centered(self, arg0: bool) -> None:
        ...
    @property
    def qb(self) -> int:
        """
        Bits per query coordinate (0: the index own setting).
        """
    @qb.setter
    def qb(self, arg1: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
class RaBitQuantizer:
    """
    The RaBitQ codec of an index: d, nb_bits, code_size, metric_type.
    """
    @property
    def code_size(self) -> int:
        """
        Bytes per code.
        """
    @property
    def d(self) -> int:
        """
        Dimension of the input vectors.
        """
    @property
    def metric_type(self) -> int:
        """
        METRIC_L2 or METRIC_INNER_PRODUCT.
        """
    @property
    def nb_bits(self) -> int:
        """
        Bits per dimension (1: sign bits; more: extended codes).
        """
class IndexRaBitQ(IndexFlatCodes):
    """
    IndexRaBitQ(d, metric=METRIC_L2, nb_bits=1): RaBitQ codes (1 sign bit per component, plus
    nb_bits - 1 extra bits, up to 9 bits) relative to the training mean, scanned exhaustively with
    popcount estimates against the query quantized to qb bits (qb=0: float query). Multi-bit
    searches refine only the codes whose error bound can reach the results. Factory "RaBitQ[<b>]";
    put a rotation in front ("RR<d>,RaBitQ") for data that needs one. sa_encode is byte-compatible
    with FAISS's IndexRaBitQ.
    """
    def __init__(self, d: typing.SupportsInt | typing.SupportsIndex, metric: typing.SupportsInt | typing.SupportsIndex = 1, nb_bits: typing.SupportsInt | typing.SupportsIndex = 1) -> None:
        ...
    @property
    def center(self) -> numpy.typing.NDArray[numpy.float32]:
        """
        The training mean the codes are relative to (a copy; empty before train).
        """
    @property
    def centered(self) -> bool:
        """
        Queries quantized around the centroid (FAISS's centered).
        """
    @centered.setter
    def centered(self, arg0: bool) -> None:
        ...
    @property
    def qb(self) -> int:
        """
        Bits per query coordinate when searching.
        """
    @qb.setter
    def qb(self, arg1: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def rabitq(self) -> RaBitQuantizer:
        """
        The RaBitQ quantizer.
        """
class IndexIVFRaBitQ(IndexIVF):
    """
    IndexIVFRaBitQ(quantizer, d, nlist, metric=METRIC_L2, nb_bits=1): inverted file whose lists
    hold RaBitQ codes relative to the list centroid (factory "IVF<n>,RaBitQ[<b>]"). qb / centered
    as IndexRaBitQ; per call with SearchParametersIVFRaBitQ. Keeps `quantizer` alive.
    """
    def __init__(self, quantizer: Index, d: typing.SupportsInt | typing.SupportsIndex, nlist: typing.SupportsInt | typing.SupportsIndex, metric: typing.SupportsInt | typing.SupportsIndex = 1, nb_bits: typing.SupportsInt | typing.SupportsIndex = 1) -> None:
        ...
    @property
    def by_residual(self) -> bool:
        """
        Always True: codes encode the residual to the list centroid.
        """
    @property
    def centered(self) -> bool:
        """
        Queries quantized around the centroid (FAISS's centered).
        """
    @centered.setter
    def centered(self, arg0: bool) -> None:
        ...
    @property
    def qb(self) -> int:
        """
        Bits per query coordinate when searching.
        """
    @qb.setter
    def qb(self, arg1: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def rabitq(self) -> RaBitQuantizer:
        """
        The RaBitQ quantizer.
        """
class IndexIVFRaBitQFastScan(IndexIVFRaBitQ):
    """
    IndexIVFRaBitQFastScan(quantizer, d, nlist, metric=METRIC_L2, nb_bits=1, bbs=32): IndexIVFRaBitQ
    whose 1-bit stage runs on the 4-bit fast-scan kernel over packed copies of the sign bits (4
    components per nibble, 8-bit tables; factory "IVF<n>,RaBitQfs[<b>][_<bbs>]"). d <= 1024.
    packed_bytes(): memory of the packed copies. Keeps `quantizer` alive.
    """
    def __init__(self, quantizer: Index, d: typing.SupportsInt | typing.SupportsIndex, nlist: typing.SupportsInt | typing.SupportsIndex, metric: typing.SupportsInt | typing.SupportsIndex = 1, nb_bits: typing.SupportsInt | typing.SupportsIndex = 1, bbs: typing.SupportsInt | typing.SupportsIndex = 32) -> None:
        ...
    def packed_bytes(self) -> int:
        """
        Bytes of the packed copies of the lists the fast scan reads.
        """
    @property
    def bbs(self) -> int:
        """
        Vectors per packed block (a multiple of 32).
        """
class IndexScalarQuantizer(IndexFlatCodes):
    """
    IndexScalarQuantizer(d, qtype, metric=METRIC_L2): every component coded on its own.
    qtype ScalarQuantizer.QT_8bit (1 byte, per-dimension min/max ranges learned by train()) or
    ScalarQuantizer.QT_fp16 (2 bytes, no training). Exhaustive SIMD scan.
    """
    def __init__(self, d: typing.SupportsInt | typing.SupportsIndex, qtype: typing.SupportsInt | typing.SupportsIndex, metric: typing.SupportsInt | typing.SupportsIndex = 1) -> None:
        ...
    @property
    def code_size(self) -> int:
        """
        Bytes per code.
        """
    @property
    def qtype(self) -> int:
        """
        ScalarQuantizer.QT_* of the codes.
        """
class ScalarQuantizer:
    """
    Quantizer types: QT_8bit, QT_4bit, QT_6bit, QT_8bit_uniform, QT_4bit_uniform, QT_fp16, QT_bf16, QT_8bit_direct, QT_8bit_direct_signed.
    """
    QT_4bit: typing.ClassVar[int] = 1
    QT_4bit_uniform: typing.ClassVar[int] = 3
    QT_6bit: typing.ClassVar[int] = 6
    QT_8bit: typing.ClassVar[int] = 0
    QT_8bit_direct: typing.ClassVar[int] = 5
    QT_8bit_direct_signed: typing.ClassVar[int] = 8
    QT_8bit_uniform: typing.ClassVar[int] = 2
    QT_bf16: typing.ClassVar[int] = 7
    QT_fp16: typing.ClassVar[int] = 4
class IndexIVFScalarQuantizer(IndexIVF):
    """
    IndexIVFScalarQuantizer(quantizer, d, nlist, qtype, metric=METRIC_L2, by_residual=True):
    inverted file whose lists hold scalar-quantized vectors (of the residuals to the list centroid
    by default, as FAISS). Keeps `quantizer` alive.
    """
    def __init__(self, quantizer: Index, d: typing.SupportsInt | typing.SupportsIndex, nlist: typing.SupportsInt | typing.SupportsIndex, qtype: typing.SupportsInt | typing.SupportsIndex, metric: typing.SupportsInt | typing.SupportsIndex = 1, by_residual: bool = True) -> None:
        ...
    @property
    def by_residual(self) -> bool:
        """
        Encode the residual to the list centroid instead of the vector.
        """
    @property
    def qtype(self) -> int:
        """
        ScalarQuantizer.QT_* of the codes.
        """
class SearchParametersHNSW(SearchParameters):
    """
    SearchParametersHNSW(efSearch=16): efSearch for this call only (FAISS's default 16 whatever the index's efSearch; 0 = the index's); raised to k when smaller.
    """
    def __init__(self: object, *args: typing.Any, sel: IDSelector | None = None, **kwargs: typing.Any) -> None:
        """
        __init__(self: faisslike._faisslike.SearchParametersHNSW, efSearch: typing.SupportsInt | typing.SupportsIndex = 16) -> None
        """
    @property
    def efSearch(self) -> int:
        """
        Candidate list size of the graph walk (0: the index's own).
        """
    @efSearch.setter
    def efSearch(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
class HNSW:
    """
    The graph of an IndexHNSWFlat (index.hnsw).
    """
    @property
    def M(self) -> int:
        """
        Neighbours per node on the upper levels (2 M on level 0).
        """
    @property
    def efConstruction(self) -> int:
        """
        Candidate list size when adding (default 40).
        """
    @efConstruction.setter
    def efConstruction(self, arg1: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def efSearch(self) -> int:
        """
        Candidate list size at search (default 16; raised to k when smaller).
        """
    @efSearch.setter
    def efSearch(self, arg1: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def entry_point(self) -> int:
        """
        Node where searches start (-1 when empty).
        """
    @property
    def level0_select_2M(self) -> bool:
        """
        New nodes keep up to 2M links at level 0 (FAISS) instead of M (hnswlib).
        """
    @level0_select_2M.setter
    def level0_select_2M(self, arg0: bool) -> None:
        ...
    @property
    def levels(self) -> numpy.typing.NDArray[numpy.int8]:
        """
        Top level of each node (a copy).
        """
    @property
    def max_level(self) -> int:
        """
        Highest level of the graph (-1 when empty).
        """
    @property
    def prune_headroom(self) -> float:
        """
        A full link list is pruned to (1 - prune_headroom) x capacity (default 0.2).
        """
    @prune_headroom.setter
    def prune_headroom(self, arg1: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def seed(self) -> int:
        """
        Seed of the level draws (same seed + 1 thread: same graph).
        """
    @seed.setter
    def seed(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
class IndexHNSWFlat(Index):
    """
    IndexHNSWFlat(d, M=32, metric=METRIC_L2): hierarchical navigable small-world graph over the
    full vectors. index.hnsw.efSearch / efConstruction tune recall vs speed; pass
    SearchParametersHNSW for per-call efSearch. No training needed. For inner product, normalize
    the vectors (normalize_L2): HNSW recall is poor on unnormalized inner-product data.
    """
    def __init__(self, d: typing.SupportsInt | typing.SupportsIndex, M: typing.SupportsInt | typing.SupportsIndex = 32, metric: typing.SupportsInt | typing.SupportsIndex = 1) -> None:
        ...
    def compact(self) -> int:
        """
        Rebuild the graph without the deleted nodes (frees them); the remaining vectors
        are renumbered 0..n-1 in their old order. Returns the number freed.
        """
    @property
    def hnsw(self) -> HNSW:
        """
        The graph.
        """
    @property
    def ndeleted(self) -> int:
        """
        Nodes marked deleted by remove_ids (still counted in ntotal).
        """
    @property
    def qg_record_bytes(self) -> int:
        """
        Bytes per node of the quantized-graph records (0 when the walk is off): memory
        beside the vectors and the graph, rebuilt on load rather than stored.
        """
    @property
    def qg_traversal(self) -> int:
        """
        Quantized-graph walk of level 0 with a PQ of this many 4-bit sub-quantizers (0:
        off): one record per node (links, neighbours' codes, vector), neighbours scored
        from the codes, expanded nodes exactly. Default 0. Stored in the file (the PQ; the
        records are rebuilt on load).
        """
    @qg_traversal.setter
    def qg_traversal(self, arg1: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def sq8_traversal(self) -> bool:
        """
        Walk level 0 on an 8-bit copy of the vectors (d bytes each; 1.3-1.5x faster
        searches on memory-bound graphs), then re-rank exactly: distances stay exact.
        Default False. Stored in the file (the codes are rebuilt on load).
        """
    @sq8_traversal.setter
    def sq8_traversal(self, arg1: bool) -> None:
        ...
class IndexHNSWQG(IndexHNSWFlat):
    """
    IndexHNSWQG(d, M=32, pq_M=0, metric=METRIC_L2): the quantized graph (factory "HNSW32,QG" or
    "HNSW32,QG<pq_M>"). An IndexHNSWFlat whose level-0 walk always runs on quantized codes;
    results get exact distances. efConstruction defaults to 200. Up to d = 256, or with pq_M
    given, the walk reads one record per node (its links, its neighbours' 4-bit PQ codes with
    pq_M sub-quantizers, its vector): expanding a node is one contiguous read and one fast-scan
    call (qg_traversal = pq_M). Above d = 256 with pq_M = 0 it walks on 8-bit codes of the
    vectors instead (sq8_traversal; 4-bit PQ estimates are too coarse to steer there).
    pq_M divides d, at most 256 (0: by d, default_pq_M(d), 64 at d = 128); M in [2, 32].
    ValueError otherwise. Memory per vector: the vector and links of IndexHNSWFlat plus a record
    of 4 (2M + 1) + ceil(2M / 32) x 16 x pq_M + 4 d bytes (pq_M rounded up to a multiple of 4,
    the record to 64 bytes; qg_record_bytes), or d bytes for the 8-bit walk. The PQ is trained
    on the first add (up to 65536 of its vectors), the 8-bit ranges on its first block (16384).
    """
    @staticmethod
    def default_pq_M(d: typing.SupportsInt | typing.SupportsIndex) -> int:
        """
        The pq_M used when 0 is given: d up to d = 64, else the largest divisor of d up
        to min(256, d / 2).
        """
    @staticmethod
    def pq_walk_by_default(d: typing.SupportsInt | typing.SupportsIndex) -> bool:
        """
        Whether pq_M = 0 gives the PQ-record walk (d <= 256) rather than the 8-bit one.
        """
    def __init__(self, d: typing.SupportsInt | typing.SupportsIndex, M: typing.SupportsInt | typing.SupportsIndex = 32, pq_M: typing.SupportsInt | typing.SupportsIndex = 0, metric: typing.SupportsInt | typing.SupportsIndex = 1) -> None:
        ...
class IndexHNSWCodes(Index):
    """
    Base of IndexHNSWSQ / IndexHNSWPQ: HNSW over compressed codes (hnsw, storage).
    """
    @property
    def hnsw(self) -> HNSW:
        """
        The graph.
        """
    @property
    def storage(self) -> IndexFlatCodes:
        """
        The codes (an IndexScalarQuantizer or IndexPQ).
        """
class IndexHNSWSQ(IndexHNSWCodes):
    """
    IndexHNSWSQ(d, qtype, M=32, metric=METRIC_L2): HNSW over scalar-quantized codes (graph built
    and searched on the codes' distances); train() first for the trained SQ types.
    """
    def __init__(self, d: typing.SupportsInt | typing.SupportsIndex, qtype: typing.SupportsInt | typing.SupportsIndex, M: typing.SupportsInt | typing.SupportsIndex = 32, metric: typing.SupportsInt | typing.SupportsIndex = 1) -> None:
        ...
class IndexHNSWPQ(IndexHNSWCodes):
    """
    IndexHNSWPQ(d, pq_m, M=32, pq_nbits=8, metric=METRIC_L2): HNSW over PQ codes; train() first.
    """
    def __init__(self, d: typing.SupportsInt | typing.SupportsIndex, pq_m: typing.SupportsInt | typing.SupportsIndex, M: typing.SupportsInt | typing.SupportsIndex = 32, pq_nbits: typing.SupportsInt | typing.SupportsIndex = 8, metric: typing.SupportsInt | typing.SupportsIndex = 1) -> None:
        ...
class Index2Layer(IndexFlatCodes):
    """
    Index2Layer(quantizer, nlist, M, nbit=8, metric=METRIC_L2): codes = coarse list number +
    PQ code of the residual (the storage of IndexHNSW2Level); searched exhaustively. Keeps the
    quantizer alive.
    """
    def __init__(self, quantizer: Index, nlist: typing.SupportsInt | typing.SupportsIndex, M: typing.SupportsInt | typing.SupportsIndex, nbit: typing.SupportsInt | typing.SupportsIndex = 8, metric: typing.SupportsInt | typing.SupportsIndex = 1) -> None:
        ...
    @property
    def code_size_1(self) -> int:
        """
        Bytes of the coarse list number in each code.
        """
    @property
    def code_size_2(self) -> int:
        """
        Bytes of the PQ code of the residual in each code.
        """
    @property
    def nlist(self) -> int:
        """
        Number of coarse lists.
        """
    @property
    def pq(self) -> ProductQuantizer:
        """
        The product quantizer of the residuals.
        """
    @property
    def q1(self) -> Index:
        """
        The coarse quantizer.
        """
    @property
    def quantizer_trains_alone(self) -> bool:
        """
        0: k-means trains the quantizer; 1: it trains on the data itself.
        """
    @quantizer_trains_alone.setter
    def quantizer_trains_alone(self, arg0: bool) -> None:
        ...
class IndexHNSW2Level(IndexHNSWCodes):
    """
    IndexHNSW2Level(quantizer, nlist, m_pq, M=32, metric=METRIC_L2): HNSW over two-level codes
    (list number + PQ of the residual); train() first. Factory: "HNSW32_<nlist>+PQ<m>" or
    "HNSW32_2x<nbits>+PQ<m>" (multi-index quantizer). Keeps the quantizer alive.
    """
    def __init__(self, quantizer: Index, nlist: typing.SupportsInt | typing.SupportsIndex, m_pq: typing.SupportsInt | typing.SupportsIndex, M: typing.SupportsInt | typing.SupportsIndex = 32, metric: typing.SupportsInt | typing.SupportsIndex = 1) -> None:
        ...
class VectorTransform:
    """
    Base of the vector transforms: d_in, d_out, is_trained, train(x), apply(x), reverse_transform(xt).
    """
    def apply(self, x: typing.Any) -> numpy.typing.NDArray[numpy.float32]:
        """
        x (n, d_in) transformed: (n, d_out) float32.
        """
    def apply_py(self, x: typing.Any) -> numpy.typing.NDArray[numpy.float32]:
        """
        Same as apply (FAISS's name).
        """
    def has_reverse(self) -> bool:
        """
        Whether reverse_transform exists (exactly or approximately).
        """
    def reverse_transform(self, xt: typing.Any) -> numpy.typing.NDArray[numpy.float32]:
        """
        Back to (n, d_in) (RuntimeError if the transform cannot be reversed).
        """
    def train(self, x: typing.Any) -> None:
        """
        Learn the transform from x (n, d_in).
        """
    @property
    def d_in(self) -> int:
        """
        Input dimension.
        """
    @property
    def d_out(self) -> int:
        """
        Output dimension.
        """
    @property
    def is_trained(self) -> bool:
        """
        Whether train() was run (or is not needed).
        """
class NormalizationTransform(VectorTransform):
    """
    NormalizationTransform(d, norm=2.0): rows to unit L2 norm.
    """
    def __init__(self, d: typing.SupportsInt | typing.SupportsIndex, norm: typing.SupportsFloat | typing.SupportsIndex = 2.0) -> None:
        ...
class LinearTransform(VectorTransform):
    """
    LinearTransform(d_in, d_out, have_bias=False): y = A x (+ b); set_matrix(A, b).
    """
    def __init__(self, d_in: typing.SupportsInt | typing.SupportsIndex, d_out: typing.SupportsInt | typing.SupportsIndex, have_bias: bool = False) -> None:
        ...
    def set_is_orthonormal(self) -> None:
        """
        Check the rows for orthonormality and set is_orthonormal.
        """
    def set_matrix(self, A: typing.Any, b: typing.Any = None) -> None:
        """
        Set A (d_out, d_in) and b (d_out,); marks it trained.
        """
    @property
    def A(self) -> numpy.typing.NDArray[numpy.float32]:
        """
        The d_out * d_in matrix, row-major, flat (a copy; FAISS's vector).
        """
    @property
    def b(self) -> numpy.typing.NDArray[numpy.float32]:
        """
        The bias (a copy; empty without bias).
        """
    @property
    def have_bias(self) -> bool:
        """
        Whether a bias is added after the product.
        """
    @property
    def is_orthonormal(self) -> bool:
        """
        Whether the matrix rows are orthonormal (reverse_transform is then exact).
        """
class RandomRotationMatrix(LinearTransform):
    """
    RandomRotationMatrix(d_in, d_out): a random orthonormal map; init(seed) or train().
    """
    def __init__(self, d_in: typing.SupportsInt | typing.SupportsIndex, d_out: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    def init(self, seed: typing.SupportsInt | typing.SupportsIndex) -> None:
        """
        Draw the rotation from seed (trains it).
        """
class HadamardRotation(VectorTransform):
    """
    HadamardRotation(d, seed=12345): three rounds of random signs and a fast Walsh-Hadamard transform (orthonormal, O(d log d)); d_out is the next power of 2 >= d (zero padding).
    """
    def __init__(self, d: typing.SupportsInt | typing.SupportsIndex, seed: typing.SupportsInt | typing.SupportsIndex = 12345) -> None:
        ...
    def init(self, seed: typing.SupportsInt | typing.SupportsIndex) -> None:
        """
        Draw the random signs from seed.
        """
    @property
    def seed(self) -> int:
        """
        Seed of the random signs.
        """
class PCAMatrix(LinearTransform):
    """
    PCAMatrix(d_in, d_out, eigen_power=0, random_rotation=False): PCA learned by train(); eigen_power=-0.5 whitens; random_rotation rotates the output.
    """
    def __init__(self, d_in: typing.SupportsInt | typing.SupportsIndex, d_out: typing.SupportsInt | typing.SupportsIndex, eigen_power: typing.SupportsFloat | typing.SupportsIndex = 0.0, random_rotation: bool = False) -> None:
        ...
    def prepare_Ab(self) -> None:
        """
        Rebuild A and b after changing eigen_power / epsilon / random_rotation.
        """
    @property
    def PCAMat(self) -> numpy.typing.NDArray[numpy.float32]:
        """
        The projection matrix, float32, row-major (d_in * d_in).
        """
    @property
    def eigen_power(self) -> float:
        """
        Components are scaled by eigenvalue ** eigen_power (0: no whitening, -0.5: full).
        """
    @eigen_power.setter
    def eigen_power(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def eigenvalues(self) -> numpy.typing.NDArray[numpy.float32]:
        """
        Eigenvalues, largest first.
        """
    @property
    def epsilon(self) -> float:
        """
        Added to eigenvalues before whitening.
        """
    @epsilon.setter
    def epsilon(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def max_points_per_d(self) -> int:
        """
        Training sets larger than d_in times this are subsampled.
        """
    @max_points_per_d.setter
    def max_points_per_d(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def mean(self) -> numpy.typing.NDArray[numpy.float32]:
        """
        Mean of the training vectors, float32 (d_in,).
        """
    @property
    def random_rotation(self) -> bool:
        """
        Apply a random rotation after the projection.
        """
    @random_rotation.setter
    def random_rotation(self, arg0: bool) -> None:
        ...
class OPQMatrix(LinearTransform):
    """
    OPQMatrix(d=0, M=1, d2=-1): the rotation of optimized PQ for M sub-quantizers (d2: output dimension, <= d, a multiple of M; -1: d), learned by train() in niter rounds of 8-bit PQ (k-means hot-started) and orthogonal Procrustes.
    """
    def __init__(self, d: typing.SupportsInt | typing.SupportsIndex, M: typing.SupportsInt | typing.SupportsIndex = 1, d2: typing.SupportsInt | typing.SupportsIndex = -1) -> None:
        ...
    @property
    def M(self) -> int:
        """
        Number of PQ sub-quantizers the rotation is optimized for.
        """
    @property
    def max_train_points(self) -> int:
        """
        Training sets larger than this are subsampled.
        """
    @max_train_points.setter
    def max_train_points(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def niter(self) -> int:
        """
        Alternating optimization iterations.
        """
    @niter.setter
    def niter(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def niter_pq(self) -> int:
        """
        k-means iterations of the PQ inside each iteration.
        """
    @niter_pq.setter
    def niter_pq(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def niter_pq_0(self) -> int:
        """
        k-means iterations of the first PQ.
        """
    @niter_pq_0.setter
    def niter_pq_0(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def verbose(self) -> bool:
        """
        Print the objective at each iteration.
        """
    @verbose.setter
    def verbose(self, arg0: bool) -> None:
        ...
class SearchParametersRefine(SearchParameters):
    """
    SearchParametersRefine(k_factor=0, base_params=None): k_factor for this call (0 = the index's), and parameters for the base index (e.g. SearchParametersIVF).
    """
    def __init__(self: object, *args: typing.Any, sel: IDSelector | None = None, **kwargs: typing.Any) -> None:
        """
        __init__(self: faisslike._faisslike.SearchParametersRefine, k_factor: typing.SupportsFloat | typing.SupportsIndex = 0.0, base_params: faisslike._faisslike.SearchParameters = None) -> None
        """
    @property
    def k_factor(self) -> float:
        """
        The base index returns k * k_factor candidates, re-ranked exactly.
        """
    @k_factor.setter
    def k_factor(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
class IndexRefineFlat(Index):
    """
    IndexRefineFlat(base_index, k_factor=1.0): the base index (empty, e.g. an IndexIVFPQ) proposes
    k * k_factor candidates per query, re-ranked with exact distances from a stored copy of the
    vectors. Keeps base_index alive.
    """
    def __init__(self, base_index: Index, k_factor: typing.SupportsFloat | typing.SupportsIndex = 1.0) -> None:
        ...
    @property
    def base_index(self) -> Index:
        """
        The index that proposes candidates.
        """
    @property
    def k_factor(self) -> float:
        """
        Candidates re-ranked exactly: k * k_factor.
        """
    @k_factor.setter
    def k_factor(self, arg1: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
class IndexRowwiseMinMax(Index):
    """
    IndexRowwiseMinMax(index): a standalone codec that scales each vector to [0, 1] by its own min
    and max before `index`'s codec (sa_encode / sa_decode; the code starts with the float32 scale
    and offset). train / sa_encode / sa_decode only: add and search raise RuntimeError, as FAISS.
    Keeps `index` alive.
    """
    def __init__(self, index: Index) -> None:
        ...
    @property
    def index(self) -> Index:
        """
        The wrapped codec index.
        """
class IndexRowwiseMinMaxFP16(IndexRowwiseMinMax):
    """
    IndexRowwiseMinMaxFP16(index): IndexRowwiseMinMax with the scale and offset stored as float16.
    """
    def __init__(self, index: Index) -> None:
        ...
class IndexIDMap(Index):
    """
    IndexIDMap(index): user ids on top of an (empty) index. add_with_ids(x, ids) only; search
    returns the user ids and SearchParameters.sel selects user ids. Duplicate ids are allowed.
    Keeps `index` alive.
    """
    def __init__(self, index: Index) -> None:
        ...
    def compact(self) -> int:
        """
        Free the entries removed by remove_ids or replaced by add_with_ids(replace=True)
        from the wrapped index (id_map follows; searches wait meanwhile); returns the count.
        """
    @property
    def id_map(self) -> numpy.typing.NDArray[numpy.int64]:
        """
        User id of each vector of the wrapped index (a copy).
        """
    @property
    def index(self) -> Index:
        """
        The wrapped index.
        """
    @property
    def max_dead_fraction(self) -> float:
        """
        The next write compacts once dead entries exceed this fraction of the stored ones (default 0.5; >= 1: only compact()).
        """
    @max_dead_fraction.setter
    def max_dead_fraction(self, arg1: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def num_dead(self) -> int:
        """
        Entries removed or replaced and not yet freed (compact()).
        """
class IndexIDMap2(IndexIDMap):
    """
    IndexIDMap2(index): IndexIDMap that also maps ids back, so reconstruct(id) works. Ids must be
    unique: add_with_ids raises RuntimeError naming a duplicate (and adds nothing).
    """
    def __init__(self, index: Index) -> None:
        ...
class IndexPreTransform(Index):
    """
    IndexPreTransform(transform, index) or IndexPreTransform(index): inputs go through the chain of
    vector transforms (PCAMatrix, RandomRotationMatrix, LinearTransform, NormalizationTransform)
    before `index` sees them. train() trains untrained transforms first. Keeps both alive.
    """
    @typing.overload
    def __init__(self, transform: VectorTransform, index: Index) -> None:
        ...
    @typing.overload
    def __init__(self, index: Index) -> None:
        ...
    def apply_chain(self, x: typing.Any) -> numpy.typing.NDArray[numpy.float32]:
        """
        x (n, d) through the transforms: what the wrapped index sees.
        """
    def prepend_transform(self, transform: VectorTransform) -> None:
        """
        Put a transform in front of the chain (its d_out = the current d).
        """
    def sync_ntotal(self) -> None:
        """
        Take ntotal from the wrapped index (after filling it directly).
        """
    @property
    def chain(self):
        """
        The transforms, in order (shared with the index).
        """
    @property
    def index(self) -> Index:
        """
        The wrapped index.
        """
class IndexShards(Index):
    """
    IndexShards(d, successive_ids=True, metric=METRIC_L2): searches every shard (add_shard) in
    parallel and merges the top-k. successive_ids: labels are positions in the concatenation of the
    shards (add() splits vectors into contiguous parts); otherwise give ids with add_with_ids.
    Keeps its shards alive.
    """
    def __init__(self, d: typing.SupportsInt | typing.SupportsIndex, successive_ids: bool = True, metric: typing.SupportsInt | typing.SupportsIndex = 1) -> None:
        ...
    def add_shard(self, shard: Index) -> None:
        """
        Append a shard (an index of the same d and metric, kept alive).
        """
    def at(self, i: typing.SupportsInt | typing.SupportsIndex) -> Index:
        """
        Shard i.
        """
    @property
    def nshards(self) -> int:
        """
        Number of shards.
        """
    @property
    def successive_ids(self) -> bool:
        """
        Shards hold successive id ranges (ids are shifted by the shards before).
        """
class IndexBinary:
    """
    Base of the binary indexes: d bits per vector, stored as code_size = d / 8 bytes (uint8
    arrays of shape (n, code_size)), compared by Hamming distance. search returns int32
    distances and int64 labels (missing: distance 2^31-1, label -1).
    """
    def __reduce__(self):
        ...
    def add(self, x: typing.Any) -> None:
        """
        Add codes x, uint8 of shape (n, code_size), with ids ntotal .. ntotal+n-1.
        """
    def add_with_ids(self, x: typing.Any, ids: typing.Any) -> None:
        """
        Add codes with user ids (int64 >= 0): IVF and IDMap indexes; RuntimeError elsewhere.
        """
    def range_search(self, x: typing.Any, radius: typing.SupportsInt | typing.SupportsIndex, *, params: typing.Any = None) -> tuple:
        """
        (lims, D, I) of the codes at Hamming distance < radius (D float32, as FAISS).
        """
    def reconstruct(self, key: typing.SupportsInt | typing.SupportsIndex) -> numpy.typing.NDArray[numpy.uint8]:
        """
        The stored code of id key, uint8 (code_size,).
        """
    def reconstruct_n(self, i0: typing.SupportsInt | typing.SupportsIndex = 0, n: typing.Any = None) -> numpy.typing.NDArray[numpy.uint8]:
        """
        Codes of ids i0 .. i0+n-1 (n None: to the end), uint8 (n, code_size).
        """
    def remove_ids(self, sel: typing.Any) -> int:
        """
        Remove the codes whose ids sel selects (an IDSelector or ids); returns how many.
        """
    def reset(self) -> None:
        """
        Remove every code (training is kept).
        """
    def search(self, x: typing.Any, k: typing.Any, *, params: typing.Any = None) -> tuple:
        """
        (D int32, I int64) of shape (n, k): the k nearest codes by Hamming distance.
        """
    def train(self, x: typing.Any) -> None:
        """
        Train on codes x, uint8 of shape (n, code_size) (IVF: its quantizer).
        """
    @property
    def code_size(self) -> int:
        """
        Bytes per vector (d / 8).
        """
    @property
    def d(self) -> int:
        """
        Dimension in bits.
        """
    @property
    def is_trained(self) -> bool:
        """
        Whether the index can take codes (IVF: after train).
        """
    @property
    def metric_type(self) -> int:
        """
        Always METRIC_L2's value for FAISS compatibility; distances are Hamming.
        """
    @property
    def ntotal(self) -> int:
        """
        Number of stored codes.
        """
    @property
    def verbose(self) -> bool:
        """
        Report progress of long operations.
        """
    @verbose.setter
    def verbose(self, arg0: bool) -> None:
        ...
class IndexBinaryFlat(IndexBinary):
    """
    IndexBinaryFlat(d): exact Hamming search.
    """
    def __init__(self, d: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def xb(self) -> numpy.typing.NDArray[numpy.uint8]:
        """
        The stored codes, uint8 (ntotal, code_size).
        """
class IndexBinaryIVF(IndexBinary):
    """
    IndexBinaryIVF(quantizer, d, nlist): inverted file over binary codes; the quantizer (an
    IndexBinaryFlat, or IndexBinaryHNSW) holds the nlist centroids after train(). nprobe lists are
    scanned per query. Keeps the quantizer alive.
    """
    def __init__(self, quantizer: IndexBinary, d: typing.SupportsInt | typing.SupportsIndex, nlist: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    def add_preassigned(self, x: typing.Any, list_nos: typing.Any, ids: typing.Any = None) -> None:
        """
        Add codes to the given lists (no quantizer call); ids None: sequential.
        """
    def get_list_codes(self, list_no: typing.SupportsInt | typing.SupportsIndex) -> numpy.typing.NDArray[numpy.uint8]:
        """
        The codes of inverted list list_no, uint8 (size, code_size).
        """
    def get_list_ids(self, list_no: typing.SupportsInt | typing.SupportsIndex) -> numpy.typing.NDArray[numpy.int64]:
        """
        The ids of inverted list list_no, int64.
        """
    def get_list_size(self, list_no: typing.SupportsInt | typing.SupportsIndex) -> int:
        """
        Number of codes in inverted list list_no.
        """
    def make_direct_map(self, maintain: bool = True) -> None:
        """
        Keep an id -> (list, offset) map so that reconstruct works (maintain=False drops it).
        """
    def search_preassigned(self, x: typing.Any, k: typing.Any, list_nos: typing.Any, coarse_dis: typing.Any = None, *, params: typing.Any = None) -> tuple[numpy.typing.NDArray[numpy.int32], numpy.typing.NDArray[numpy.int64]]:
        """
        (D int32, I int64): search only the lists given per query (list_nos (n, nprobe)).
        """
    def set_direct_map_type(self, type: typing.SupportsInt | typing.SupportsIndex) -> None:
        """
        DirectMap.NoMap, Array or Hashtable (FAISS's values).
        """
    @property
    def cp(self) -> ClusteringParameters:
        """
        k-means parameters of train.
        """
    @property
    def nlist(self) -> int:
        """
        Number of inverted lists.
        """
    @property
    def nprobe(self) -> int:
        """
        Inverted lists visited per query (1 .. nlist).
        """
    @nprobe.setter
    def nprobe(self, arg1: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def quantizer(self) -> IndexBinary:
        """
        The coarse quantizer (a binary index).
        """
class IndexBinaryHNSW(IndexBinary):
    """
    IndexBinaryHNSW(d, M=32): HNSW graph, Hamming distance (hnsw.efSearch / efConstruction as IndexHNSWFlat).
    """
    def __init__(self, d: typing.SupportsInt | typing.SupportsIndex, M: typing.SupportsInt | typing.SupportsIndex = 32) -> None:
        ...
    @property
    def hnsw(self) -> HNSW:
        """
        The graph.
        """
class IndexBinaryHash(IndexBinary):
    """
    IndexBinaryHash(d, b): codes bucketed by their first b bits; search visits the query's bucket
    and those within nflip flips (index.nflip, default 0), ranking what it finds exactly.
    """
    def __init__(self, d: typing.SupportsInt | typing.SupportsIndex, b: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def b(self) -> int:
        """
        Bits of each code used as the hash key.
        """
    @property
    def nflip(self) -> int:
        """
        Bits flipped around the query key when searching.
        """
    @nflip.setter
    def nflip(self, arg1: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
class IndexBinaryMultiHash(IndexBinary):
    """
    IndexBinaryMultiHash(d, nhash, b): nhash tables, each bucketing a different b-bit slice; the
    union of the buckets visited is ranked exactly (nflip as IndexBinaryHash).
    """
    def __init__(self, d: typing.SupportsInt | typing.SupportsIndex, nhash: typing.SupportsInt | typing.SupportsIndex, b: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def b(self) -> int:
        """
        Bits per hash table key.
        """
    @property
    def nflip(self) -> int:
        """
        Bits flipped around the query key when searching.
        """
    @nflip.setter
    def nflip(self, arg1: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def nhash(self) -> int:
        """
        Number of hash tables.
        """
class IndexBinaryIDMap(IndexBinary):
    """
    IndexBinaryIDMap(index): user ids (add_with_ids); keeps index alive.
    """
    def __init__(self, index: IndexBinary) -> None:
        ...
    @property
    def id_map(self) -> numpy.typing.NDArray[numpy.int64]:
        """
        User id of each stored code, int64 (a copy).
        """
    @property
    def index(self) -> IndexBinary:
        """
        The wrapped binary index.
        """
class IndexBinaryIDMap2(IndexBinaryIDMap):
    """
    IndexBinaryIDMap2(index): unique user ids and reconstruct(id).
    """
    def __init__(self, index: IndexBinary) -> None:
        ...
class IndexBinaryFromFloat(IndexBinary):
    """
    IndexBinaryFromFloat(index): Hamming search through a float index (e.g. IndexHNSWFlat(d)) over
    the codes as -1/+1 vectors. Keeps index alive.
    """
    def __init__(self, index: Index) -> None:
        ...
    @property
    def index(self) -> Index:
        """
        The float index searched.
        """
def _inspect_index_file(path: typing.Any, json: bool = False) -> tuple[str, bool]:
    """
    (report, clean): see faisslike.inspect_index_file, the public wrapper.
    """
def _set_progress_callback(f: typing.Any) -> None:
    """
    f(what, done, total, seconds, finished) receives the progress of verbose operations
    (python/faisslike/_progress.py renders it); None: lines on stderr.
    """
def blas_info() -> str:
    """
    The BLAS this build calls: 'system ...' or 'scipy-openblas32 ...' (the OpenBLAS wheel
    of pip builds), then OpenBLAS's configuration, core type and threading.
    """
def deserialize_index(data: typing.Any) -> Index:
    """
    Inverse of serialize_index.
    """
def deserialize_index_binary(data: typing.Any) -> IndexBinary:
    """
    The binary index held in a 1-D uint8 array (either format).
    """
def index_binary_factory(d: typing.SupportsInt | typing.SupportsIndex, description: str) -> IndexBinary:
    """
    Binary index from a FAISS description: BFlat, BIVF<n>[_HNSW<M>], BHNSW<M>, BHash<b>, BHash<nhash>x<b>, with an optional IDMap, / IDMap2, prefix.
    """
def index_factory(d: typing.SupportsInt | typing.SupportsIndex, description: str, metric: typing.SupportsInt | typing.SupportsIndex = 1) -> Index:
    """
    Build an index from a FAISS description string, e.g. "IVF1024,Flat", "HNSW32", "IVF256,SQ8",
    "IDMap2,Flat", "PQ16,RFlat", "L2norm,IVF1024,PQ32". Raises ValueError naming the token that
    failed. See docs/python-api.md for the grammar.
    """
def knn(xq: typing.Any, xb: typing.Any, k: typing.Any, metric: typing.SupportsInt | typing.SupportsIndex = 1) -> tuple[numpy.typing.NDArray[numpy.float32], numpy.typing.NDArray[numpy.int64]]:
    """
    Exact k-NN of the rows of xq among the rows of xb without building an index;
    returns (D, I) like Index.search.
    """
def merge_knn_results(Dall: typing.Any, Iall: typing.Any, keep_max: bool = False, offsets: typing.Any = None) -> tuple[numpy.typing.NDArray[numpy.float32], numpy.typing.NDArray[numpy.int64]]:
    """
    FAISS's merge_knn_results: the top-k of nshard result tables Dall / Iall of shape (nshard, n, k) (labels -1 = none) as (D, I) of shape (n, k); keep_max for inner products. offsets (one per shard): added to that shard's labels. The merge IndexShards uses.
    """
def normalize_L2(x: typing.Any) -> None:
    """
    Scale each row of the float32 (n, d) array x to unit L2 norm, in place (zero rows stay zero).
    """
def omp_get_max_threads() -> int:
    """
    Current OpenMP thread count.
    """
def omp_set_num_threads(n: typing.SupportsInt | typing.SupportsIndex) -> None:
    """
    Number of OpenMP threads used by later calls from this thread.
    """
def read_index(path: typing.Any, io_flags: typing.SupportsInt | typing.SupportsIndex = 0) -> Index:
    """
    Read an index written by write_index. io_flags=IO_FLAG_MMAP maps the file and uses the
    vectors, inverted lists and HNSW links in place (read-only pages shared with other
    processes; the first change copies them). Raises OSError if the file cannot be read
    and RuntimeError (naming the bad section) if its contents are corrupt.
    """
def read_index_binary(path: typing.Any, io_flags: typing.SupportsInt | typing.SupportsIndex = 0) -> IndexBinary:
    """
    Read a binary index file (ours or FAISS's). OSError if unreadable, RuntimeError if
    corrupt; io_flags=IO_FLAG_MMAP maps the file.
    """
def serialize_index(index: Index) -> numpy.typing.NDArray[numpy.uint8]:
    """
    The index in the write_index format, as a 1-D uint8 numpy array.
    """
def serialize_index_binary(index: IndexBinary) -> numpy.typing.NDArray[numpy.uint8]:
    """
    The index in the write_index_binary format, a 1-D uint8 array.
    """
def serialize_index_binary_faiss(index: IndexBinary) -> numpy.typing.NDArray[numpy.uint8]:
    """
    The index in FAISS's binary format, a 1-D uint8 array.
    """
def serialize_index_faiss(index: Index) -> numpy.typing.NDArray[numpy.uint8]:
    """
    The index in FAISS's format, as a 1-D uint8 numpy array.
    """
def set_simd_level(level: str) -> None:
    """
    Switch kernels ('scalar', 'avx2', 'avx512'); RuntimeError if the CPU lacks it.
    """
def simd_level() -> str:
    """
    SIMD kernels in use: 'scalar', 'avx2' or 'avx512' (forced by FAISSLIKE_SIMD).
    """
def simd_level_supported(level: str) -> bool:
    """
    Whether this CPU can run the given SIMD level.
    """
def write_index(index: Index, path: typing.Any) -> None:
    """
    Write the index to `path` atomically (temporary file + rename): the file is
    either the old one or the complete new one. Raises OSError on I/O failure.
    """
def write_index_binary(index: IndexBinary, path: typing.Any) -> None:
    """
    Atomic write (temporary file + rename); OSError on I/O failure.
    """
def write_index_binary_faiss(index: IndexBinary, path: typing.Any) -> None:
    """
    Atomic write in FAISS's format (faiss.read_index_binary loads it).
    """
def write_index_faiss(index: Index, path: typing.Any) -> None:
    """
    Write the index in FAISS's own format (faiss.read_index loads it), atomically. RuntimeError for types FAISS's format cannot hold.
    """
IO_FLAG_MMAP: int = 1
IO_FLAG_ONDISK_SAME_DIR: int = 4
IO_FLAG_READ_ONLY: int = 2
METRIC_INNER_PRODUCT: int = 0
METRIC_L2: int = 1
QT_4bit: int = 1
QT_4bit_uniform: int = 3
QT_6bit: int = 6
QT_8bit: int = 0
QT_8bit_direct: int = 5
QT_8bit_direct_signed: int = 8
QT_8bit_uniform: int = 2
QT_bf16: int = 7
QT_fp16: int = 4
__version__: str = '0.1.0'
cvar: _CVar

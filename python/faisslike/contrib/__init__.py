"""faisslike.contrib: our implementation of the FAISS contrib modules programs import
(datasets, evaluation, exhaustive_search, inspect_tools, ivf_tools, vecs_io, clustering,
factory_tools, ondisk, torch_utils), with FAISS's names and semantics."""

"""nncc passes, one per module; ``get_all_passes()`` is the lazy registry."""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

from xdsl.passes import ModulePass

_PASSES: dict[str, tuple[str, str]] = {
    "binary-complex-fold-threshold": ("binary_complex_fold_threshold", "BinaryComplexFoldThresholdPass"),
    "binary-complex-raise-complex-layers": ("binary_complex_raise_complex_layers", "BinaryComplexRaiseComplexLayersPass"),
    "binary-complex-replace-dense-with-xnor": ("binary_complex_replace_dense_with_xnor", "BinaryComplexReplaceDenseWithXnorPass"),
    "binary-complex-replace-conv-with-xnor": ("binary_complex_replace_conv_with_xnor", "BinaryComplexReplaceConvWithXnorPass"),
    "binary-complex-set-or-pools": ("binary_complex_set_or_pools", "BinaryComplexSetOrPoolsPass"),
    "binary-complex-set-products": ("binary_complex_set_products", "BinaryComplexSetProductsPass"),
    "convert-nn-to-fixed": ("convert_nn_to_fixed", "ConvertNnToFixedPass"),
    "dataflow-plan": ("dataflow_plan", "DataflowPlanPass"),
    "dataflow-stream": ("dataflow_stream", "DataflowStreamPass"),
    "dataflow-tile": ("dataflow_tile", "DataflowTilePass"),
    "fixed-lower-activations": ("fixed_lower_activations", "FixedLowerActivationsPass"),
    "hls-prepare-for-emission": ("hls_prepare_for_emission", "HlsPrepareForEmissionPass"),
    "nn-compress-fmap": ("nn_compress_fmap", "NnCompressFmapPass"),
    "nn-fold-batchnorm": ("nn_fold_batchnorm", "NnFoldBatchnormPass"),
    "nn-fuse-bias": ("nn_fuse_bias", "NnFuseBiasPass"),
    "pot-quant-prune": ("pot_quant_prune", "PotQuantPrunePass"),
    "pot-quant-quantize": ("pot_quant_quantize", "PotQuantQuantizePass"),
    "pot-quant-replace-mul-with-shift": ("pot_quant_replace_mul_with_shift", "PotQuantReplaceMulWithShiftPass"),
    "recurrent-delta": ("recurrent_delta", "RecurrentDeltaPass"),
    "sparse-cluster": ("sparse_cluster", "SparseClusterPass"),
    "sparse-encode": ("sparse_encode", "SparseEncodePass"),
    "sparse-knapsack": ("sparse_knapsack", "SparseKnapsackPass"),
    "sparse-materialize": ("sparse_materialize", "SparseMaterializePass"),
    "sparse-prune": ("sparse_prune", "SparsePrunePass"),
    "sparse-remove-channels": ("sparse_remove_channels", "SparseRemoveChannelsPass"),
}


def _factory(module: str, cls: str) -> Callable[[], type[ModulePass]]:
    def load() -> type[ModulePass]:
        return getattr(import_module(f"nncc.passes.{module}"), cls)

    return load


def get_all_passes() -> dict[str, Callable[[], type[ModulePass]]]:
    """Pass name -> factory returning the pass class (modules import on first use)."""
    return {name: _factory(module, cls) for name, (module, cls) in _PASSES.items()}

"""HDNet's ideas as standalone modules: heatmap-attention pooling, skeleton GNN, depth bins."""

from ..core.checkpoint import register_model
from .conv_registry import CONVS, list_convs, register_conv, resolve_conv, unregister_conv
from .depth_bins import BinIndex, DepthBinHead, DepthBinOutput, DepthBins
from .heatmap_pooling import HeatmapAttentionPooling, PoolingOutput, masked_spatial_softmax
from .skeleton_conv import GNNOutput, SkeletonConv, SkeletonGNN, closed_neighbourhood_weights

register_model(SkeletonGNN)

__all__ = ["HeatmapAttentionPooling", "PoolingOutput", "masked_spatial_softmax",
           "SkeletonConv", "SkeletonGNN", "GNNOutput", "DepthBins", "DepthBinHead",
           "DepthBinOutput", "BinIndex", "closed_neighbourhood_weights", "register_conv",
           "unregister_conv", "resolve_conv", "list_convs", "CONVS"]

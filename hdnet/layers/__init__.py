"""HDNet's ideas as standalone modules: heatmap-attention pooling, skeleton GNN, depth bins."""

from .heatmap_pooling import HeatmapAttentionPooling, PoolingOutput, masked_spatial_softmax
from .skeleton_conv import GNNOutput, SkeletonConv, SkeletonGNN
from .depth_bins import BinIndex, DepthBinHead, DepthBinOutput, DepthBins

__all__ = ["HeatmapAttentionPooling", "PoolingOutput", "masked_spatial_softmax",
           "SkeletonConv", "SkeletonGNN", "GNNOutput", "DepthBins", "DepthBinHead",
           "DepthBinOutput", "BinIndex"]

"""mmps.models: person search models, registered in mmdet's ``MODELS``.

The models run mmcv's compiled ops (RoIAlign, nms, deformable convolution),
so importing this package checks that they load and otherwise raises
:class:`mmps.utils.MMCVInstallError` naming the command that fixes the
install. Their checkpoints are loaded by mmengine, with torch's
``weights_only`` unpickler on torch>=2.6: importing the package also
allow-lists what those checkpoints hold, so that any runner given an mmps
config (mmdet's tools too, through ``custom_imports``) resumes.
"""
from mmps.utils.check_env import check_mmcv
from mmps.utils.checkpoint import register_checkpoint_safe_globals

check_mmcv()
register_checkpoint_safe_globals()

from .backbones import ResNetWithStem
from .dense_heads import SingleLevelRPNHead
from .detectors import BasePersonSearcher, PersonSearchTwoStage
from .layers import foreground_attention
from .losses import OIMLoss
from .reid import BaseCropReID, MaskGuidedReID
from .reid_heads import ReIDEmbeddingHead
from .roi_heads import (BottomUpFusion, BUFFRoIHead, PersonSearchRoIHead,
                        StridedConvFCBBoxHead)
from .searchers import RDLRSearcher, TwoStepSearcher
from .seg_heads import ForegroundSegHead

__all__ = [
    'BasePersonSearcher', 'PersonSearchTwoStage', 'OIMLoss', 'PersonSearchRoIHead',
    'ReIDEmbeddingHead', 'ResNetWithStem', 'SingleLevelRPNHead', 'BUFFRoIHead',
    'BottomUpFusion', 'StridedConvFCBBoxHead', 'ForegroundSegHead',
    'foreground_attention', 'BaseCropReID', 'MaskGuidedReID', 'TwoStepSearcher',
    'RDLRSearcher'
]

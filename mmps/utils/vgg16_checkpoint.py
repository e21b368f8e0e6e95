"""ImageNet VGG-16 (torchvision's) as an initial CNNv detector checkpoint."""
from collections import OrderedDict
from typing import Dict

import torch
from torch import Tensor

# torchvision VGG-16 classifier layers -> CNNv's RoI head (fc6, fc7); the
# 1000-way ImageNet classifier (classifier.6) has no counterpart
FC_KEYS = {
    'classifier.0': 'roi_head.bbox_head.shared_fcs.0',  # fc6: 25088 -> 4096
    'classifier.3': 'roi_head.bbox_head.shared_fcs.1',  # fc7: 4096 -> 4096
}


def convert_vgg16(state_dict: Dict[str, Tensor]) -> 'OrderedDict[str, Tensor]':
    """Rename torchvision VGG-16 weights for CNNv
    (``configs/_base_/models/faster_rcnn_vgg16.py``).

    The 13 convolutions (``features.<i>``) go to ``backbone.features.<i>``
    (:class:`~mmps.models.backbones.VGGBackbone` keeps torchvision's
    indices), fc6/fc7 to the shared FCs of ``Shared2FCBBoxHead``: both
    flatten the 512x7x7 pooled map channel-major, so fc6 needs no reshaping.

    Args:
        state_dict (dict[str, Tensor]): torchvision ``vgg16`` weights.

    Returns:
        OrderedDict[str, Tensor]: CNNv keys (conv1_1 .. fc7).

    Raises:
        KeyError: The weights are not torchvision's VGG-16 (a key of fc6,
            fc7 or the 13 convolutions is missing).
    """
    converted = OrderedDict()
    for key, value in state_dict.items():
        module, _, param = key.rpartition('.')
        if key.startswith('features.'):
            converted['backbone.' + key] = value
        elif module in FC_KEYS:
            converted[f'{FC_KEYS[module]}.{param}'] = value
    expected = 13 * 2 + len(FC_KEYS) * 2
    if len(converted) != expected:
        raise KeyError(f'found {len(converted)} of the {expected} VGG-16 conv/fc6/fc7 '
                       "tensors: give torchvision's vgg16 weights (vgg16-397923af.pth)")
    return converted


def convert_vgg16_checkpoint(src: str, dst: str) -> None:
    """Convert a torchvision VGG-16 file into a CNNv checkpoint for
    ``load_from`` (with ``allow_partial_checkpoint=True``: the RPN and the
    classifier/regressor start from scratch).

    Args:
        src (str): torchvision ``vgg16`` weights.
        dst (str): Output checkpoint (``state_dict`` and ``meta``).
    """
    state_dict = torch.load(src, map_location='cpu', weights_only=True)
    state_dict = state_dict.get('state_dict', state_dict)
    torch.save(dict(state_dict=convert_vgg16(state_dict), meta=dict(source=src)), dst)

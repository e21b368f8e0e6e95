from .resnet_with_stem import ResNetWithStem
from .vgg_backbone import VGGBackbone

__all__ = ['ResNetWithStem', 'VGGBackbone']

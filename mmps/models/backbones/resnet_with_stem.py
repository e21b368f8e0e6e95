"""ResNet that also returns the output of its stem (conv1)."""
from typing import Tuple

from mmdet.models.backbones import ResNet
from mmdet.registry import MODELS
from torch import Tensor


@MODELS.register_module()
class ResNetWithStem(ResNet):
    """:class:`mmdet.models.backbones.ResNet` whose outputs start with the
    stem feature map, ``conv1`` in the ResNet paper's naming.

    The stem output is taken after its ReLU and before the max pooling
    (stride 2, ``stem_channels`` channels); the residual stages listed in
    ``out_indices`` follow, as in :class:`ResNet`. BUFF (Yang et al., ACM MM
    2020) pools re-ID RoI features from conv1 to conv4.

    Args:
        **kwargs: Arguments of :class:`ResNet`.
    """

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        """Run the network.

        Args:
            x (Tensor): Images, shape (B, 3, H, W).

        Returns:
            tuple[Tensor]: The stem output, shape (B, stem_channels, H/2,
            W/2), then the outputs of the stages in ``out_indices``, stage
            ``i`` of shape (B, C_i, H/2^(i+2), W/2^(i+2)) with the default
            strides.
        """
        if self.deep_stem:
            x = self.stem(x)
        else:
            x = self.relu(self.norm1(self.conv1(x)))
        outs = [x]
        x = self.maxpool(x)
        for i, layer_name in enumerate(self.res_layers):
            x = getattr(self, layer_name)(x)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)

"""VGGBackbone: conv5_3 of VGG-16 at stride 16, conv1-2 frozen."""
import torch
from torch import nn

from mmps.models.backbones import VGGBackbone


def test_returns_conv5_3_at_stride_16_as_a_tuple():
    backbone = VGGBackbone()
    backbone.init_weights()
    outs = backbone(torch.rand(1, 3, 64, 96))
    assert isinstance(outs, tuple) and len(outs) == 1
    assert outs[0].shape == (1, 512, 4, 6)
    assert outs[0].min() >= 0  # after conv5_3's ReLU, no last pooling
    convs = [m for m in backbone.modules() if isinstance(m, nn.Conv2d)]
    assert len(convs) == 13
    assert sum(p.numel() for p in backbone.parameters()) == 14_714_688


def test_first_two_stages_are_frozen_in_training():
    backbone = VGGBackbone()
    assert backbone.train() is backbone and backbone.eval() is backbone
    backbone.train()
    frozen = {n for n, p in backbone.named_parameters() if not p.requires_grad}
    # conv1_1, conv1_2, conv2_1, conv2_2: features.0, .2, .5, .7
    assert frozen == {
        f'features.{i}.{k}'
        for i in (0, 2, 5, 7) for k in ('weight', 'bias')
    }


def test_pretrained_init_cfg_reads_torchvision_names(tmp_path):
    source = VGGBackbone()
    state = {k: torch.full_like(v, 0.5) for k, v in source.state_dict().items()}
    state['classifier.0.weight'] = torch.zeros(4096, 25088)  # ignored
    path = tmp_path / 'vgg16.pth'
    torch.save(state, path)
    backbone = VGGBackbone(init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    backbone.init_weights()
    assert torch.equal(backbone.features[28].weight, torch.full((512, 512, 3, 3), 0.5))

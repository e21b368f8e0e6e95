"""ResNetWithStem: mmdet's ResNet outputs, preceded by the stem's."""
import torch
from mmdet.models.backbones import ResNet

from mmps.models import ResNetWithStem


def test_stem_output_then_the_stages_of_resnet():
    torch.manual_seed(0)
    kwargs = dict(
        depth=18,
        num_stages=3,
        strides=(1, 2, 2),
        dilations=(1, 1, 1),
        out_indices=(1, 2),
        init_cfg=None)
    model = ResNetWithStem(**kwargs)
    plain = ResNet(**kwargs)
    plain.load_state_dict(model.state_dict())
    model.eval()  # mmdet's ResNet.train returns None: no chaining
    plain.eval()
    images = torch.rand(2, 3, 64, 96)
    with torch.no_grad():
        outs = model(images)
        stem = model.relu(model.norm1(model.conv1(images)))
        expected = plain(images)
    assert len(outs) == 3
    # the stem after its ReLU, before the max pooling: stride 2
    assert outs[0].shape == (2, 64, 32, 48)
    assert torch.equal(outs[0], stem)
    for out, ref in zip(outs[1:], expected):
        assert torch.equal(out, ref)
    assert [tuple(o.shape) for o in outs[1:]] == [(2, 128, 8, 12), (2, 256, 4, 6)]

"""torchvision VGG-16 -> CNNv: convolutions into the backbone, fc6/fc7 into
the RoI head, loadable and computing what VGG-16 computes."""
import pytest
import torch
from mmcv.cnn import VGG
from mmdet.registry import MODELS
from mmengine.config import Config

from mmps.testing import get_config_file, run_tool
from mmps.utils.vgg16_checkpoint import convert_vgg16


@pytest.fixture(scope='module')
def vgg16():
    """A random VGG-16 with torchvision's layout (features, classifier)."""
    torch.manual_seed(0)
    vgg = VGG(16, num_classes=1000)
    vgg.eval()  # mmcv's VGG.train returns None
    return vgg


def test_converted_weights_load_and_match_vgg16(vgg16, tmp_path):
    converted = convert_vgg16(vgg16.state_dict())
    cfg = Config.fromfile(get_config_file('mgts/mgts_det_vgg16_cuhk_sysu.py'))
    cfg.model.backbone.init_cfg = None
    cnnv = MODELS.build(cfg.model).eval()
    missing, unexpected = cnnv.load_state_dict(converted, strict=False)
    assert unexpected == []
    assert all(k.startswith(('rpn_head.', 'roi_head.bbox_head.fc_')) for k in missing)
    # conv5_3 then 7x7 pooling, fc6, fc7: VGG-16's penultimate features
    images = torch.rand(1, 3, 224, 224)
    pooled = torch.nn.functional.max_pool2d(cnnv.backbone(images)[0], 2)
    fc7 = cnnv.roi_head.bbox_head.shared_fcs[1](
        torch.relu(cnnv.roi_head.bbox_head.shared_fcs[0](pooled.flatten(1))))
    x = vgg16.features(images).flatten(1)
    expected = vgg16.classifier[3](torch.relu(vgg16.classifier[0](x)))
    assert torch.allclose(fc7, expected, atol=1e-4)

    src, dst = tmp_path / 'vgg16.pth', tmp_path / 'cnnv.pth'
    torch.save(vgg16.state_dict(), src)
    run_tool('model_converters/vgg16_to_mmps.py', str(src), str(dst))
    saved = torch.load(dst, weights_only=True)['state_dict']
    assert saved.keys() == converted.keys()


def test_other_weights_are_refused(vgg16):
    state = {
        k: v
        for k, v in vgg16.state_dict().items() if not k.startswith('classifier.3')
    }
    with pytest.raises(KeyError, match="give torchvision's vgg16 weights"):
        convert_vgg16(state)

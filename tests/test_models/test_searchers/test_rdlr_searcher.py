"""RDLRSearcher (RDLR Sec. 3.2): the refinement losses, a frozen re-ID
network, where the re-ID gradient goes, strict part loading, bad configs."""
import copy
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from mmdet.registry import MODELS
from mmengine.config import Config

from mmps.datasets.transforms import CropPersonPatch
from mmps.models.layers import AffineGridCropper, RoIAlignCropper
from mmps.models.losses import proxy_triplet_loss
from mmps.testing import get_config_file, make_det_sample
from mmps.utils.strict_checkpoint import CheckpointError

pytestmark = pytest.mark.usefixtures('one_torch_thread')
NUM_IDS = 4
IMG_H, IMG_W = 64, 96


def _cfg(**kwargs) -> dict:
    model = copy.deepcopy(
        Config.fromfile(get_config_file('rdlr/rdlr_tiny_synthetic.py')).model)
    model.update(
        num_person_ids=NUM_IDS,
        detector_checkpoint='det.pth',
        reid_checkpoint='reid.pth',
        score_thr=0.0)
    model.loss_proxy_tri.num_person_ids = NUM_IDS
    model.reid.num_person_ids = NUM_IDS
    # every proposal is a detection: matches for the untrained detector
    model.detector.test_cfg.rcnn.update(score_thr=0.0, max_per_img=50)
    for key, value in kwargs.items():  # replace, not merge
        model[key] = value
    return model


def _build(**kwargs):
    torch.manual_seed(0)
    return MODELS.build(_cfg(**kwargs))


def _batch(person_ids=(0, 2)):
    torch.manual_seed(1)
    images = [
        torch.randint(0, 256, (3, IMG_H, IMG_W), dtype=torch.uint8) for _ in range(2)
    ]
    boxes = [[4., 2., 60., 62.], [40., 4., 92., 60.]]
    samples = [
        make_det_sample((IMG_H, IMG_W),
                        gt_bboxes=boxes[i:i + 1],
                        person_ids=person_ids[i:i + 1]) for i in range(2)
    ]
    return images, samples


def test_loss_replaces_box_regression_by_the_reid_losses():
    model = _build().train()
    assert isinstance(model.cropper, AffineGridCropper)
    images, samples = _batch()
    losses = model.loss(images, samples)
    assert {
        'loss_rpn_cls', 'loss_rpn_bbox', 'loss_cls', 'loss_reid_cls', 'loss_proxy_tri'
    } <= set(losses)
    assert 'loss_bbox' not in losses
    # some detection matched a labelled person: the table was written
    assert model.loss_proxy_tri.table.abs().sum() > 0
    assert losses['loss_reid_cls'] > 0


def test_reid_network_stays_bit_identical_through_two_train_steps():
    model = _build()
    model.train()
    assert not model.reid.training and model.detector.training
    assert not any(p.requires_grad for p in model.reid.parameters())
    before = {k: v.clone() for k, v in model.reid.state_dict().items()}
    optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad],
                                lr=0.1,
                                momentum=0.9)
    for _ in range(2):
        images, samples = _batch()
        loss = model.parse_losses(model.loss(images, samples))[0]
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    after = model.reid.state_dict()
    assert set(after) == set(before)
    for key, value in before.items():
        assert torch.equal(after[key], value), key


def test_reid_losses_move_the_regression_layer_not_the_classifier():
    model = _build().train()
    images, samples = _batch()
    losses = model.loss(images, samples)
    (losses['loss_reid_cls'] + losses['loss_proxy_tri']).backward()
    bbox_head = model.detector.roi_head.bbox_head
    assert bbox_head.fc_reg.weight.grad.abs().sum() > 0
    assert bbox_head.fc_cls.weight.grad is None or not bbox_head.fc_cls.weight.grad.any(
    )
    # no re-ID gradient through the (detached) proposals into the RPN
    rpn_reg = model.detector.rpn_head.rpn_reg.weight.grad
    assert rpn_reg is None or not rpn_reg.any()
    reg, cls = bbox_head.fc_reg.weight.clone(), bbox_head.fc_cls.weight.clone()
    torch.optim.SGD(model.detector.parameters(), lr=1.0).step()
    assert not torch.equal(bbox_head.fc_reg.weight, reg)
    assert torch.equal(bbox_head.fc_cls.weight, cls)


@pytest.mark.parametrize('person_ids', [(-1, -1), None], ids=['unlabelled', 'far'])
def test_batch_without_match_gives_finite_attached_zeros(person_ids, monkeypatch):
    model = _build().train()
    gathered = []

    def all_gather(tensor):
        gathered.append(tuple(tensor.shape))
        return [tensor.detach()]

    # a rank without a match still joins the other ranks' table all-gather
    monkeypatch.setattr(proxy_triplet_loss, 'all_gather_variable', all_gather)
    images, samples = _batch((-1, -1) if person_ids else (0, 1))
    if person_ids is None:  # ground truth where no detection can reach IoU 0.5
        for sample in samples:
            sample.gt_instances.bboxes = torch.tensor([[0., 0., 2., 2.]])
    losses = model.loss(images, samples)
    for key in ('loss_reid_cls', 'loss_proxy_tri'):
        assert losses[key].item() == 0 and losses[key].requires_grad
    total = model.parse_losses(losses)[0]
    assert torch.isfinite(total)
    total.backward()
    assert model.loss_proxy_tri.table.abs().sum() == 0
    assert gathered == [(0, model.loss_proxy_tri.num_features), (0, )]


def test_one_loss_only():
    model = _build(loss_proxy_tri=None)
    images, samples = _batch()
    assert 'loss_proxy_tri' not in model.train().loss(images, samples)
    model = _build(loss_reid_cls_weight=0.0)
    losses = model.train().loss(images, samples)
    assert 'loss_reid_cls' not in losses and 'loss_proxy_tri' in losses


def test_init_weights_loads_both_parts_strictly(tmp_path: Path):
    source = _build()
    torch.manual_seed(5)
    for param in source.parameters():
        param.data.normal_()
    det_file, reid_file = tmp_path / 'det.pth', tmp_path / 'reid.pth'
    torch.save(dict(state_dict=source.detector.state_dict()), det_file)
    # the re-ID step saves its network under 'reid.' (TwoStepSearcher)
    torch.save(
        dict(state_dict={f'reid.{k}': v
                         for k, v in source.reid.state_dict().items()}), reid_file)
    model = _build(detector_checkpoint=str(det_file), reid_checkpoint=str(reid_file))
    model.init_weights()
    for part in ('detector', 'reid'):
        for key, value in getattr(source, part).state_dict().items():
            assert torch.equal(getattr(model, part).state_dict()[key], value), key
    swapped = _build(detector_checkpoint=str(reid_file), reid_checkpoint=str(det_file))
    with pytest.raises(CheckpointError, match='Set model.detector_checkpoint'):
        swapped.init_weights()


@pytest.mark.parametrize('kwargs, error, message', [
    (dict(detector_checkpoint=None), ValueError,
     'detector_checkpoint is missing, set model.detector_checkpoint'),
    (dict(reid_checkpoint=''), ValueError,
     'reid_checkpoint is missing, set model.reid_checkpoint'),
    (dict(detector=None), ValueError, 'RDLRSearcher refines a detector'),
    (dict(loss_proxy_tri=None, loss_reid_cls_weight=0.0), ValueError,
     'needs a re-ID loss: set loss_proxy_tri or loss_reid_cls_weight > 0'),
    (dict(num_person_ids=7), ValueError,
     r'the re-ID classifier has 4 rows but the training data has num_person_ids=7 '
     r'identities: .*use L_tri only \(loss_reid_cls_weight=0\)'),
])
def test_bad_configs_are_refused(kwargs, error, message):
    with pytest.raises(error, match=message):
        _build(**kwargs)


def test_other_dataset_reid_with_triplet_only_is_accepted():
    model = _build(
        num_person_ids=7,
        loss_reid_cls_weight=0.0,
        loss_proxy_tri=dict(_cfg().loss_proxy_tri, num_person_ids=7))
    assert model.reid.num_person_ids == 4 and model.loss_proxy_tri.num_person_ids == 7


def test_masks_are_refused():
    cfg = _cfg()
    cfg.reid.crop_cfg = dict(cfg.reid.crop_cfg, mask='box')
    with pytest.raises(ValueError, match='RDLRSearcher crops without masks'):
        MODELS.build(cfg)


def test_single_stage_detector_drops_its_regression_loss():
    retina = Config.fromfile(
        get_config_file('rdlr/_base_/rdlr_retinanet_r50_fpn.py')).model
    retina.backbone.update(depth=18, base_channels=16, init_cfg=None)
    retina.neck.update(in_channels=[16, 32, 64, 128], out_channels=32)
    retina.bbox_head.update(in_channels=32, feat_channels=32, stacked_convs=1)
    retina.test_cfg.update(score_thr=0.0, max_per_img=50)
    model = _build(detector=retina).train()
    images, samples = _batch()
    losses = model.loss(images, samples)
    assert {'loss_cls', 'loss_reid_cls', 'loss_proxy_tri'} <= set(losses)
    assert 'loss_bbox' not in losses
    (losses['loss_reid_cls'] + losses['loss_proxy_tri']).backward()
    assert model.detector.bbox_head.retina_reg.weight.grad.abs().sum() > 0


def _normalised_by_hand(image: torch.Tensor, pad_hw=None) -> torch.Tensor:
    """ImageNet normalisation of a BGR image in RGB order, zero-padded at
    the right and bottom to ``pad_hw``: the detector's input."""
    mean = torch.tensor([123.675, 116.28, 103.53]).view(3, 1, 1)
    std = torch.tensor([58.395, 57.12, 57.375]).view(3, 1, 1)
    normalised = (image.flip(0).float() - mean) / std
    if pad_hw is None:
        return normalised
    return F.pad(normalised,
                 (0, pad_hw[1] - image.shape[2], 0, pad_hw[0] - image.shape[1]))


def test_patches_are_crops_of_the_detectors_normalised_input():
    """One normalisation (issue 15, Sec. 1): a patch is the crop of the
    detector's normalised input; inside the image that is the re-ID
    network's normalisation of its pretraining crop (CropPersonPatch), and
    samples outside the image read 0, the mean colour."""
    model = _build().eval()
    torch.manual_seed(2)
    image = torch.randint(0, 256, (3, IMG_H, IMG_W), dtype=torch.uint8)
    original = [[3.2, 1.5, 40.7, 41.0], [50., -4., 70., 30.]]  # one across the border
    scale = 1.5  # the pipeline's Resize: ground truth of the original image
    boxes = torch.tensor(original) * scale  # the input frame
    patches = model.crop_patches([image.float()], [boxes], None)
    reference = RoIAlignCropper(model.crop_cfg.size)([_normalised_by_hand(image)],
                                                     [boxes])
    torch.testing.assert_close(patches, reference, atol=1e-4, rtol=0)
    pretraining = CropPersonPatch(**model.crop_cfg).transform(
        dict(
            img=image.permute(1, 2, 0).numpy(),
            instances=[dict(bbox=box) for box in original],
            crop_index=0,
            person_id=0,
            scale_factor=(scale, scale)))['img']
    pretraining = torch.from_numpy(pretraining).permute(2, 0, 1)[None]
    torch.testing.assert_close(
        patches[:1], model.reid.normalize(pretraining), atol=1e-4, rtol=0)
    # box 2 (75, -6, 105, 45) on a 64x32 grid: rows 0-6 sample above the
    # image, columns 23-31 right of it
    across = patches[1]
    assert across[:, :7].eq(0).all() and across[:, :, 23:].eq(0).all()
    assert across[:, 8:, :22].ne(0).all()


def test_query_gallery_and_refinement_embed_crops_of_the_normalised_input(monkeypatch):
    """Every patch the re-ID network sees, in loss and predict, is a crop
    of the detector's normalised, zero-padded input, embedded without a
    second normalisation."""
    model = _build()
    height, width, padded = 50, 90, (64, 96)  # pad_size_divisor=32
    torch.manual_seed(3)
    images = [
        torch.randint(0, 256, (3, height, width), dtype=torch.uint8) for _ in range(2)
    ]
    sources, crops, seen = [], [], []
    cropper = model.cropper

    def crop(inputs, boxes_list):
        sources.append(inputs)
        crops.append((cropper(inputs, boxes_list), boxes_list))
        return crops[-1][0]

    def normalized_features(inputs):
        seen.append(inputs)
        return features(inputs)

    def twice(patches):
        raise AssertionError('patches normalised twice')

    features = model.reid.normalized_features
    monkeypatch.setattr(model, 'cropper', crop)
    monkeypatch.setattr(model.reid, 'normalized_features', normalized_features)
    monkeypatch.setattr(model.reid, 'normalize', twice)
    samples = [
        make_det_sample((height, width),
                        gt_bboxes=[[4., 2., 40., 48.], [44., 4., 86., 46.]][i:i + 1],
                        person_ids=[i],
                        query_bboxes=[[60., -5., 110., 40.]] if i == 0 else None)
        for i in range(2)
    ]
    model.train().loss(images, samples)
    model.eval().predict(images, samples)
    assert len(sources) == 2  # refinement; gallery and queries
    expected = [_normalised_by_hand(image, padded) for image in images]
    for inputs in sources:
        for got, want in zip(inputs, expected):
            torch.testing.assert_close(got, want, atol=1e-4, rtol=0)
    # the re-ID network embeds the very patches (predict: in crop_batch chunks)
    assert seen[0] is crops[0][0] and torch.equal(torch.cat(seen[1:]), crops[1][0])
    for patches, boxes_list in crops:
        reference = RoIAlignCropper(model.crop_cfg.size)(
            expected, [boxes.detach() for boxes in boxes_list])
        torch.testing.assert_close(patches.detach(), reference, atol=1e-4, rtol=0)
    # the query (last patch of image 0) reaches past the image: 0 there
    query = crops[1][0][len(crops[1][1][0]) - 1]
    assert query[:, :, 24:].eq(0).all() and query[:, 8:, :10].ne(0).all()


@pytest.mark.parametrize('reid, detector, message', [
    (dict(mean=(0., 0., 0.)), {},
     r'detector and re-ID normalisations differ: model.detector.data_preprocessor '
     r'has mean=\(123.675, 116.28, 103.53\), std=\(58.395, 57.12, 57.375\), '
     r'bgr_to_rgb=True but model.reid has mean=\(0.0, 0.0, 0.0\), .*set '
     r'model.reid.mean, model.reid.std and model.reid.bgr_to_rgb to the detector'),
    (dict(std=(1., 1., 1.)), {}, r'model.reid has .*std=\(1.0, 1.0, 1.0\)'),
    (dict(bgr_to_rgb=False), {}, r'model.reid has .*bgr_to_rgb=False'),
    ({}, dict(mean=None, std=None),
     r'preprocessor has mean=\(0.0, 0.0, 0.0\), std=\(1.0, 1.0, 1.0\)'),
    ({}, dict(pad_value=114), r'pads with 114, .*set pad_value=0'),
])
def test_normalisations_must_agree(reid, detector, message):
    cfg = _cfg()
    cfg.reid.update(reid)
    cfg.detector.data_preprocessor.update(detector)
    with pytest.raises(ValueError, match=message):
        MODELS.build(cfg)

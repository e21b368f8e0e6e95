"""SMGRoIHead: the mask branch trains on the labelled positives with a real
mask only, its targets are mmdet's ``mask_target``, an image without masks
adds an exact zero, and inference is OIM's."""
import numpy as np
import pytest
import torch
from mmdet.models.task_modules.assigners import AssignResult
from mmdet.models.task_modules.samplers import SamplingResult
from mmdet.registry import MODELS
from mmdet.structures.mask import BitmapMasks, mask_target
from mmengine.config import Config
from mmengine.structures import InstanceData

from mmps.models.roi_heads.smg_roi_head import mask_guided_positives
from mmps.testing import get_config_file, tiny_model_cfg


def smg_model_cfg():
    """The tiny OIM model of the model tests plus the SMG branch (res5
    output 512 x 7 x 7 -> 14 x 14 masks)."""
    cfg = tiny_model_cfg()
    cfg.roi_head.update(
        type='SMGRoIHead',
        mask_head=dict(
            type='FCNMaskHead',
            num_convs=0,
            in_channels=512,
            conv_out_channels=64,
            num_classes=1,
            class_agnostic=True))
    cfg.train_cfg.rcnn.mask_size = 14
    return cfg


@pytest.fixture
def smg_model():
    torch.manual_seed(0)
    model = MODELS.build(smg_model_cfg())
    model.init_weights()
    return model


def add_masks(batch, mask_valid):
    """Give every person of ``batch`` its box as a bitmap mask, with the
    given ``mask_valid`` flags (one list per image)."""
    for sample, valid in zip(batch['data_samples'], mask_valid):
        gt = sample.gt_instances
        h, w = sample.metainfo['img_shape']
        bitmaps = np.zeros((len(gt), h, w), np.uint8)
        for k, (x1, y1, x2, y2) in enumerate(gt.bboxes.int().tolist()):
            bitmaps[k, y1:y2, x1:(x1 + x2) // 2] = 1  # the left half
        gt.masks = BitmapMasks(bitmaps, h, w)
        gt.mask_valid = torch.tensor(valid)
    return batch


def spy_mask_loss(head, monkeypatch):
    seen = {}
    mask_loss = head.mask_loss

    def spy(x, sampling_results, bbox_feats, gts):
        seen['sampling_results'] = sampling_results
        seen['gts'] = gts
        out = mask_loss(x, sampling_results, bbox_feats, gts)
        seen.update(out)
        return out

    monkeypatch.setattr(head, 'mask_loss', spy)
    return seen


def test_only_labelled_positives_with_real_masks_reach_the_head(
        smg_model, batch, monkeypatch):
    model = smg_model.train()
    # image 0: ids [0, -1]; image 1: ids [3, 1], the mask of id 3 missing
    add_masks(batch, [[True, True], [False, True]])
    seen = spy_mask_loss(model.roi_head, monkeypatch)
    data = model.data_preprocessor(batch, training=True)
    losses = model.loss(data['inputs'], data['data_samples'])

    expected_rows, expected_gts = 0, []
    for res, gt in zip(seen['sampling_results'], seen['gts']):
        inds = res.pos_assigned_gt_inds
        ok = (gt.person_ids[inds] >= 0) & gt.mask_valid[inds]
        expected_rows += int(ok.sum())
        expected_gts.append(set(inds[ok].tolist()))
    # the ground truths join the proposals: both qualifying persons appear
    assert expected_gts == [{0}, {1}]
    assert seen['mask_preds'].shape == (expected_rows, 1, 14, 14)
    assert seen['mask_targets'].shape == (expected_rows, 14, 14)
    assert losses['loss_mask'] > 0
    keys = [k for k in losses if not k.startswith('loss_rpn')]
    assert keys == ['loss_cls', 'acc', 'loss_bbox', 'loss_mask', 'loss_oim']


def test_own_mask_roi_extractor_pools_the_selected_positives(batch):
    """With a ``mask_roi_extractor`` of its own (not the paper's layout)
    the branch pools conv4 again at the same selected positives (then
    mmdet runs the shared res5 on them)."""
    cfg = smg_model_cfg()
    cfg.roi_head.mask_roi_extractor = dict(
        type='SingleRoIExtractor',
        roi_layer=dict(type='RoIAlign', output_size=14, sampling_ratio=0),
        out_channels=256,
        featmap_strides=[16])
    torch.manual_seed(0)
    model = MODELS.build(cfg).train()
    assert not model.roi_head.share_roi_extractor
    add_masks(batch, [[True, True], [False, True]])
    data = model.data_preprocessor(batch, training=True)
    with torch.no_grad():
        feats = model.extract_feat(data['inputs'])
        proposals = [
            InstanceData(bboxes=s.gt_instances.bboxes.clone(), scores=torch.ones(2))
            for s in data['data_samples']
        ]
        head = model.roi_head
        gts = [s.gt_instances for s in data['data_samples']]
        results = head.assign_and_sample(feats, proposals, gts, [None, None])
        out = head.mask_loss(feats, results, None, gts)
    # ids 0 (image 0) and 1 (image 1), each sampled twice: as the proposal
    # and as the ground truth added to the proposals
    selected = sum(int(k.sum()) for k in mask_guided_positives(results, gts))
    assert selected == 4
    assert out['mask_preds'].shape == (4, 1, 14, 14)
    assert out['loss_mask']['loss_mask'] > 0


def test_no_real_mask_gives_an_exact_zero_with_zero_gradients(smg_model, batch):
    model = smg_model.train()
    add_masks(batch, [[False, False], [False, False]])
    data = model.data_preprocessor(batch, training=True)
    losses = model.loss(data['inputs'], data['data_samples'])
    assert losses['loss_mask'].item() == 0.0
    losses['loss_mask'].backward()
    for name, param in model.roi_head.mask_head.named_parameters():
        assert param.grad is not None, name  # still in the graph (DDP)
        assert torch.count_nonzero(param.grad) == 0, name


def test_masks_not_loaded_is_a_clear_error(smg_model, batch):
    model = smg_model.train()
    data = model.data_preprocessor(batch, training=True)
    with pytest.raises(ValueError, match='with_mask=True'):
        model.loss(data['inputs'], data['data_samples'])


def hand_made_case(flip: bool):
    """One 48 x 64 image, two persons (ids 0 and -1) with asymmetric masks;
    four priors: both GT boxes, a shifted box of person 0, a negative."""
    h, w = 48, 64
    boxes = torch.tensor([[8., 4., 36., 32.], [40., 10., 60., 46.]])
    priors = torch.tensor([[8., 4., 36., 32.], [40., 10., 60., 46.],
                           [10., 6., 38., 34.], [0., 36., 8., 48.]])
    bitmaps = np.zeros((2, h, w), np.uint8)
    bitmaps[0, 4:32, 8:22] = 1  # left half of person 0
    bitmaps[0, 4:12, 22:36] = 1  # and its top-right corner
    bitmaps[1, 10:46, 40:60] = 1
    masks = BitmapMasks(bitmaps, h, w)
    if flip:
        boxes = torch.stack(
            [w - boxes[:, 2], boxes[:, 1], w - boxes[:, 0], boxes[:, 3]], 1)
        priors = torch.stack(
            [w - priors[:, 2], priors[:, 1], w - priors[:, 0], priors[:, 3]], 1)
        masks = masks.flip('horizontal')
    gt = InstanceData(
        bboxes=boxes,
        labels=torch.zeros(2, dtype=torch.long),
        person_ids=torch.tensor([0, -1]),
        masks=masks,
        mask_valid=torch.tensor([True, True]))
    assign = AssignResult(
        num_gts=2,
        gt_inds=torch.tensor([1, 2, 1, 0]),
        max_overlaps=torch.tensor([1., 1., .8, 0.]),
        labels=torch.tensor([0, 0, 0, -1]))
    result = SamplingResult(
        pos_inds=torch.tensor([0, 1, 2]),
        neg_inds=torch.tensor([3]),
        priors=priors,
        gt_bboxes=boxes,
        assign_result=assign,
        gt_flags=torch.zeros(4, dtype=torch.uint8))
    return result, gt


@pytest.mark.parametrize('flip', [False, True])
def test_targets_are_mask_target_of_the_selected_positives(smg_model, flip):
    head = smg_model.roi_head
    result, gt = hand_made_case(flip)
    assert [k.tolist() for k in mask_guided_positives([result], [gt])] \
        == [[True, False, True]]
    bbox_feats = torch.randn(4, 512, 7, 7)
    out = head.mask_loss(None, [result], bbox_feats, [gt])
    expected = mask_target([result.pos_priors[[0, 2]]], [torch.tensor([0, 0])],
                           [gt.masks], head.train_cfg)
    assert torch.equal(out['mask_targets'], expected)
    assert torch.allclose(out['mask_preds'], head.mask_head(bbox_feats[[0, 2]]))
    # person 0's target: its left half and top-right corner, mirrored when
    # the image is flipped
    target = out['mask_targets'][0]
    unflipped = target.flip(-1) if flip else target
    assert unflipped[:, :7].all() and unflipped[:4, 7:].all()
    assert not unflipped[4:, 7:].any()
    if flip:
        plain_result, plain_gt = hand_made_case(False)
        plain = head.mask_loss(None, [plain_result], bbox_feats, [plain_gt])
        assert torch.equal(out['mask_targets'][:1], plain['mask_targets'][:1].flip(-1))


def test_inference_is_oim_and_never_runs_the_mask_head(smg_model, batch, monkeypatch):
    """SMG weights without the branch load into OIM strictly and give the
    same detections, embeddings and query embeddings."""
    torch.manual_seed(0)
    oim = MODELS.build(tiny_model_cfg()).eval()
    state = {
        k: v
        for k, v in smg_model.state_dict().items()
        if not k.startswith('roi_head.mask_head.')
    }
    oim.load_state_dict(state, strict=True)
    smg = smg_model.eval()

    def refuse(*args, **kwargs):
        raise AssertionError('the mask head ran at inference')

    monkeypatch.setattr(smg.roi_head.mask_head, 'forward', refuse)
    queries = torch.tensor([[4., 4., 30., 60.], [10., 6., 40., 62.]]) * 2
    for sample in batch['data_samples']:
        sample.query_instances = InstanceData(
            bboxes=queries, query_indices=torch.tensor([0, 1]))
    outputs = []
    for model in (smg, oim):
        with torch.no_grad():
            data = model.data_preprocessor(batch, training=False)
            found = model.predict(data['inputs'], data['data_samples'])
            found = [s.pred_instances.clone() for s in found]
            asked = model.predict_query(data['inputs'], data['data_samples'])
            asked = [s.pred_query_instances.embeddings.clone() for s in asked]
        outputs.append((found, asked))
    (smg_found, smg_asked), (oim_found, oim_asked) = outputs
    assert sum(len(r) for r in smg_found) > 0
    for a, b in zip(smg_found, oim_found):
        assert torch.equal(a.bboxes, b.bboxes)
        assert torch.equal(a.embeddings, b.embeddings)
    for a, b in zip(smg_asked, oim_asked):
        assert a.shape == (2, 64) and torch.equal(a, b)


def test_full_size_branch_has_the_c4_mask_predictor_size():
    """2048 -> 256 deconvolution (2 x 2) and a 1 x 1 conv to one map:
    2048 * 256 * 4 + 256 + 256 + 1 = 2,097,665 parameters."""
    cfg = Config.fromfile(get_config_file('_base_/models/smg_r50_c4.py'))
    head = MODELS.build(cfg.model.roi_head.mask_head)
    assert sum(p.numel() for p in head.parameters()) == 2_097_665
    out = head(torch.randn(2, 2048, 7, 7))
    assert out.shape == (2, 1, 14, 14)
    assert cfg.model.roi_head.get('mask_roi_extractor') is None

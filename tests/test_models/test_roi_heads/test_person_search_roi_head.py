"""PersonSearchRoIHead: the loss template (assign and sample, box loss,
then the extra_losses and reid_loss hooks), the ids of the sampled
positives, and embedding given boxes."""
import torch

from mmps.models.roi_heads.person_search_roi_head import sampled_person_ids


def test_hooks_run_in_order_on_one_sampling(tiny_model, batch, monkeypatch):
    model = tiny_model.train()
    head = model.roi_head
    calls = []
    reid_loss, extra_losses = head.reid_loss, head.extra_losses

    def spy_extra(x, sampling_results, bbox_results, gts):
        calls.append(('extra', sampling_results))
        bbox_results['note'] = 'from extra_losses'
        return dict(
            loss_extra=bbox_results['bbox_feats'].sum() * 0,
            **extra_losses(x, sampling_results, bbox_results, gts))

    def spy_reid(x, sampling_results, bbox_results, gts):
        assert bbox_results['note'] == 'from extra_losses'
        calls.append(('reid', sampling_results))
        return reid_loss(x, sampling_results, bbox_results, gts)

    monkeypatch.setattr(head, 'extra_losses', spy_extra)
    monkeypatch.setattr(head, 'reid_loss', spy_reid)
    data = model.data_preprocessor(batch, training=True)
    losses = model.loss(data['inputs'], data['data_samples'])
    assert [name for name, _ in calls] == ['extra', 'reid']
    assert calls[0][1] is calls[1][1]  # the same sampling results
    keys = [k for k in losses if not k.startswith('loss_rpn')]
    assert keys == ['loss_cls', 'acc', 'loss_bbox', 'loss_extra', 'loss_oim']


def test_sampled_person_ids_follow_the_assigned_ground_truth(tiny_model, batch,
                                                             monkeypatch):
    model = tiny_model.train()
    head = model.roi_head
    seen = {}
    reid_loss = head.reid_loss

    def spy(x, sampling_results, bbox_results, gts):
        seen['ids'] = sampled_person_ids(sampling_results, gts)
        seen['expected'] = torch.cat([
            gt.person_ids[res.pos_assigned_gt_inds]
            for res, gt in zip(sampling_results, gts)
        ])
        seen['num_pos'] = sum(len(res.pos_priors) for res in sampling_results)
        return reid_loss(x, sampling_results, bbox_results, gts)

    monkeypatch.setattr(head, 'reid_loss', spy)
    data = model.data_preprocessor(batch, training=True)
    model.loss(data['inputs'], data['data_samples'])
    assert seen['ids'].dtype == torch.int64
    assert len(seen['ids']) == seen['num_pos'] > 0
    assert torch.equal(seen['ids'], seen['expected'])
    # the ground-truth boxes join the proposals: every person is sampled
    assert set(seen['ids'].tolist()) == {-1, 0, 1, 3}


def test_embed_boxes_keeps_order_and_empty_images(tiny_model, batch):
    model = tiny_model.eval()
    data = model.data_preprocessor(batch, training=False)
    boxes = torch.tensor([[4., 4., 30., 60.], [50., 2., 80., 58.]])
    with torch.no_grad():
        feats = model.extract_feat(data['inputs'])
        both = model.roi_head.embed_boxes(feats, [boxes, boxes[:0]])
        reversed_ = model.roi_head.embed_boxes(feats, [boxes.flip(0), boxes[:0]])
        none = model.roi_head.embed_boxes(feats, [boxes[:0], boxes[:0]])
    assert both[0].shape == (2, 64) and both[1].shape == (0, 64)
    assert torch.allclose(both[0], reversed_[0].flip(0), atol=1e-6)
    assert [tuple(e.shape) for e in none] == [(0, 64), (0, 64)]

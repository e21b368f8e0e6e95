"""mmps.utils.benchmark: timing calls, timing a model, the table."""
import pytest
import torch
from mmengine.config import Config
from mmengine.structures import InstanceData

from mmps.testing import get_config_file, make_det_sample, random_person_boxes
from mmps.utils.benchmark import InferenceTiming, format_timing_table, timed


def test_timed_returns_result_and_seconds():
    result, seconds = timed(lambda: sum(range(1000)))
    assert result == 499500 and 0 <= seconds < 1


def make_timing(name, gallery, query=(), detections=None):
    return InferenceTiming(name, torch.nn.Identity(), 300, list(gallery), list(query),
                           detections or [10] * len(gallery))


def test_table_gives_means_minima_and_ratios():
    ref = make_timing('ref (reference)', [2.0, 4.0], detections=[100, 100])
    model = make_timing('model', [1.0, 2.0], [0.25, 0.75], [3, 4])
    lines = format_timing_table([ref, model], ref, 8).splitlines()
    assert lines[0].split() == [
        'model', 'mode', 'mean', 'time', 'min', 'x', 'ref', 's/img', 'proposals',
        'dets/img'
    ]
    assert lines[1].split() == [
        'ref', '(reference)', 'gallery', '3.0000', 's/img', '2.0000', '1.000', '300',
        '100.0'
    ]
    assert lines[2].split() == [
        'model', 'gallery', '1.5000', 's/img', '1.0000', '0.500', '300', '3.5'
    ]
    assert lines[3].split() == [
        'model', 'query', '(8', 'boxes)', '0.5000', 's/box', '0.2500', '0.167', '-', '-'
    ]
    # without a reference the ratio column is empty
    assert format_timing_table([model], None, 8).splitlines()[1].split()[5] == '-'


def test_run_times_gallery_and_query_mode():
    cfg = Config.fromfile(get_config_file('oim/oim_tiny_synthetic.py'))
    cfg.model.roi_head.reid_head.loss_reid.num_person_ids = 5
    cfg.model.test_cfg.rcnn.update(score_thr=0.0, max_per_img=4)
    timing = InferenceTiming.build('tiny', cfg)
    assert not timing.model.training and timing.rpn_proposals > 0
    image = torch.randint(0, 256, (3, 64, 96), dtype=torch.uint8)
    boxes = random_person_boxes(3, 64, 96, torch.Generator().manual_seed(0))
    with torch.inference_mode():
        timing.run(
            image,
            make_det_sample((64, 96)),
            make_det_sample((64, 96), query_bboxes=boxes),
            record=False)
        assert timing.gallery == [] and timing.query == []
        timing.run(image, make_det_sample((64, 96)),
                   make_det_sample((64, 96), query_bboxes=boxes))
    assert len(timing.gallery) == len(timing.query) == 1
    assert timing.detections == [4]
    # a model that drops a query box is caught
    short = make_det_sample((64, 96))
    short.pred_query_instances = InstanceData(embeddings=torch.zeros(1, 64))
    timing.model.predict_query = lambda inputs, samples: [short]
    with pytest.raises(
            RuntimeError, match='tiny: predict_query did not '
            'embed the 3 query boxes'):
        with torch.inference_mode():
            timing.run(image, make_det_sample((64, 96)),
                       make_det_sample((64, 96), query_bboxes=boxes))

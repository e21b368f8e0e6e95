import json

import numpy as np
import pytest
import torch
from mmdet.structures import DetDataSample
from mmengine.structures import InstanceData

from mmps.evaluation import eval_detection
from mmps.evaluation.metrics import PersonDetectionMetric

# image 0: A (labelled), B (unlabelled); image 1: C (unlabelled); image 2: D
GT = [(0, [0, 0, 10, 20], 1), (0, [30, 0, 10, 20], -1), (1, [5, 5, 10, 20], -1),
      (2, [0, 0, 12, 24], 2)]
DETS = {
    0: ([[0, 0, 10, 20], [50, 50, 60, 70]], [0.9, 0.8]),
    1: ([[5, 5, 15, 25]], [0.7]),
    2: ([[40, 40, 50, 60]], [0.005])
}


@pytest.fixture
def ann_file(tmp_path):
    ann = dict(
        images=[
            dict(id=i, file_name=f'{i}.jpg', width=100, height=100) for i in range(3)
        ],
        annotations=[
            dict(id=k, image_id=img, bbox=box, person_id=pid)
            for k, (img, box, pid) in enumerate(GT)
        ],
        protocol=dict(queries=[dict(image_id=0, bbox=[0, 0, 10, 20], person_id=1)]))
    path = tmp_path / 'test.json'
    path.write_text(json.dumps(ann))
    return str(path)


def samples(image_ids=(0, 1, 2)):
    out = []
    for img_id in image_ids:
        boxes, scores = DETS[img_id]
        sample = DetDataSample(metainfo=dict(img_id=img_id))
        sample.pred_instances = InstanceData(
            bboxes=torch.tensor(boxes, dtype=torch.float32),
            scores=torch.tensor(scores),
            labels=torch.zeros(len(scores), dtype=torch.long))
        out.append(sample.to_dict())
    return out


def test_figures_by_hand(ann_file):
    metric = PersonDetectionMetric(ann_file=ann_file)
    metric.process({}, samples())
    result = metric.evaluate(3)
    # all: A and C found of 4 -> recall 1/2; ranked TP, FP, TP -> AP
    # (1 + 2/3) / 2 times the recall
    assert result['det_recall'] == pytest.approx(0.5)
    assert result['det_ap'] == pytest.approx((1 + 2 / 3) / 2 * 0.5)
    # labelled: A and D on images 0 and 2 (image 1 skipped): TP, FP
    assert result['det_recall_labeled'] == pytest.approx(0.5)
    assert result['det_ap_labeled'] == pytest.approx(0.5)
    gt = np.array([box for _, box, _ in GT], float)
    gt[:, 2:] += gt[:, :2]
    boxes = np.concatenate([np.array(DETS[i][0], float) for i in range(3)])
    scores = np.concatenate([DETS[i][1] for i in range(3)])
    imgs = np.array([0, 0, 1, 2])
    assert (result['det_recall'], result['det_ap']) == pytest.approx(
        eval_detection(gt, np.array([0, 0, 1, 2]), boxes, scores, imgs, 3))


def test_dataset_meta_and_errors(ann_file):
    metric = PersonDetectionMetric()
    metric.dataset_meta = dict(ann_file=ann_file)
    metric.process({}, samples((0, 1)))
    with pytest.raises(
            ValueError,
            match='1 test images are missing from the results, '
            'e.g. image id 2'):
        metric.evaluate(2)
    with pytest.raises(ValueError, match='PersonDetectionMetric needs ann_file'):
        PersonDetectionMetric().load_protocol()

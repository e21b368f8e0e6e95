"""Box operations of mmps.structures.bbox, on boxes whose answers are
worked out by hand."""
import subprocess
import sys

import numpy as np

from mmps.structures import paired_iou, search_iou_threshold, xywh_to_xyxy


def test_xywh_to_xyxy_one_box_and_many():
    out = xywh_to_xyxy([10, 5, 20, 40])
    assert out.shape == (1, 4) and out.dtype == np.float64
    assert out.tolist() == [[10, 5, 30, 45]]
    many = xywh_to_xyxy(np.array([[0, 0, 1, 2], [-5.5, 3, 2.5, 1]]))
    np.testing.assert_array_equal(many, [[0, 0, 1, 2], [-5.5, 3, -3, 4]])
    assert xywh_to_xyxy(np.zeros((0, 4))).shape == (0, 4)


def test_paired_iou_row_by_row():
    boxes1 = [[0, 0, 10, 10], [0, 0, 10, 10], [0, 0, 10, 10], [5, 5, 5, 5]]
    boxes2 = [[0, 0, 10, 10], [5, 0, 15, 10], [20, 20, 30, 30], [5, 5, 5, 5]]
    # identical; half overlap 50 / 150; disjoint; empty union (point boxes)
    np.testing.assert_allclose(paired_iou(boxes1, boxes2), [1, 1 / 3, 0, 0])
    # no +1 pixel: touching boxes do not overlap
    assert paired_iou([[0, 0, 10, 10]], [[10, 0, 20, 10]])[0] == 0


def test_paired_iou_one_box_against_many():
    iou = paired_iou([[0, 0, 10, 10], [0, 0, 5, 10]], [[0, 0, 10, 10]])
    np.testing.assert_allclose(iou, [1, 0.5])


def test_search_iou_threshold_loosens_for_small_persons():
    # 10 x 50: 500 / (20 * 60) = 5 / 12; 100 x 200 is capped at 0.5
    np.testing.assert_allclose(
        search_iou_threshold([[0, 0, 10, 50], [0, 0, 100, 200]]), [5 / 12, 0.5])


def test_imports_without_torch_mmcv_mmdet():
    """mmps.structures is pure NumPy: it imports where the heavy packages
    cannot."""
    blocked = ('torch', 'mmcv', 'mmdet', 'mmengine')
    code = ('import sys\n'
            f'for name in {blocked!r}:\n'
            '    sys.modules[name] = None\n'
            'import mmps.structures\n'
            'print(mmps.structures.xywh_to_xyxy([1, 2, 3, 4]).tolist())\n')
    result = subprocess.run([sys.executable, '-c', code],
                            capture_output=True,
                            text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == '[[1.0, 2.0, 4.0, 6.0]]'

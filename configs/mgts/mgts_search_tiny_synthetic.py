# Tiny MGTS searcher for the synthetic data (CPU tests); not a paper row:
# the tiny detector (mgts_det_tiny_synthetic.py) and the tiny re-ID network
# (mgts_reid_tiny_synthetic.py), composed with
# tools/model_converters/compose_two_step.py.
_base_ = [
    './mgts_reid_tiny_synthetic.py', '../_base_/models/faster_rcnn_r18_c4_tiny.py'
]
model = dict(detector=dict(_base_.tiny_detector, _delete_=True))

# Tiny two-step detector for the synthetic data (CPU tests); not a paper
# row: the tiny OIM detector without re-ID, the OIM tiny schedule.
_base_ = [
    '../_base_/models/faster_rcnn_r18_c4_tiny.py', '../_base_/datasets/synthetic.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_tiny_sgd_12e.py'
]
model = _base_.tiny_detector
val_evaluator = dict(_delete_=True, type='PersonDetectionMetric')
test_evaluator = val_evaluator
default_hooks = dict(logger=dict(interval=10))

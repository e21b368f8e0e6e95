# Tiny RDLR detector for the synthetic data (CPU tests, not a paper row).
_base_ = [
    './_base_/rdlr_frcnn_r50_fpn.py', './_base_/rdlr_tiny.py',
    '../_base_/datasets/synthetic.py', '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_tiny_sgd_12e.py'
]
model = _base_.tiny_detector
val_evaluator = dict(
    _delete_=True,
    type='PersonDetectionMetric',
    ann_file=_base_.data_root + 'annotations/test.json')
test_evaluator = val_evaluator
default_hooks = dict(logger=dict(interval=10))

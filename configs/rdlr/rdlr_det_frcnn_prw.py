# RDLR Sec. 4.2 detector pretraining, PRW (paper: detection mAP 94.9):
# Faster R-CNN R50-FPN, one class, 1x schedule, validated by detection
# recall/AP.
_base_ = [
    './_base_/rdlr_frcnn_r50_fpn.py', './_base_/rdlr_prw.py',
    '../_base_/default_runtime.py', './_base_/rdlr_det_1x.py'
]
val_evaluator = dict(
    _delete_=True,
    type='PersonDetectionMetric',
    ann_file=_base_.data_root + 'mmps/test.json')
test_evaluator = val_evaluator

# RDLR Table 4 detector pretraining, CUHK-SYSU: RetinaNet R50-FPN, one
# class, 1x schedule (lr 0.01 for 16 images, mmdet's), validated by
# detection recall/AP.
_base_ = [
    './_base_/rdlr_retinanet_r50_fpn.py', './_base_/rdlr_cuhk_sysu.py',
    '../_base_/default_runtime.py', './_base_/rdlr_det_1x.py'
]
optim_wrapper = dict(optimizer=dict(lr=0.01))
val_evaluator = dict(
    _delete_=True,
    type='PersonDetectionMetric',
    ann_file=_base_.data_root + 'mmps/test.json')
test_evaluator = val_evaluator

# MGTS Table 3a 'CNN' (AP/R 78.0/75.7): OIM's ResNet-50 C4 Faster R-CNN,
# data and schedule without its re-ID branch: a plain detector.
_base_ = [
    '../_base_/models/oim_r50_c4.py', '../_base_/datasets/cuhk_sysu.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_oim_sgd_20e.py'
]
_oim_roi_head = _base_.model.roi_head
model = dict(
    type='FasterRCNN',
    roi_head=dict(
        _delete_=True,
        type='StandardRoIHead',
        shared_head=_oim_roi_head.shared_head,
        bbox_roi_extractor=_oim_roi_head.bbox_roi_extractor,
        bbox_head=_oim_roi_head.bbox_head),
    test_cfg=dict(rcnn=dict(score_thr=0.01, max_per_img=100)))  # for detection AP
train_dataloader = dict(batch_size=5)  # OIM's recipe
val_evaluator = dict(
    _delete_=True,
    type='PersonDetectionMetric',
    ann_file=_base_.data_root + 'mmps/test.json')
test_evaluator = val_evaluator

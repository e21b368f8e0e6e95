# buff.txt Table 7, RDLR's C4 detector on PRW: OIM's ResNet-50 C4 Faster
# R-CNN without its re-ID branch (OIM's schedule), the detector that
# table7/rdlr_frcnn_r50_c4_prw.py refines; validated by detection recall/AP.
_base_ = [
    '../../_base_/models/oim_r50_c4.py', '../_base_/rdlr_prw.py',
    '../../_base_/default_runtime.py', '../../_base_/schedules/schedule_oim_sgd_20e.py'
]
_oim_roi_head = _base_.model.roi_head
model = dict(
    type='FasterRCNN',
    roi_head=dict(
        _delete_=True,
        type='StandardRoIHead',
        shared_head=_oim_roi_head.shared_head,
        bbox_roi_extractor=_oim_roi_head.bbox_roi_extractor,
        bbox_head=_oim_roi_head.bbox_head))
val_evaluator = dict(
    _delete_=True,
    type='PersonDetectionMetric',
    ann_file=_base_.data_root + 'mmps/test.json')
test_evaluator = val_evaluator

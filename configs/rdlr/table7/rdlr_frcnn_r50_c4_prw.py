# buff.txt Table 7, RDLR on PRW (56.21 M parameters, "conv5 of ResNet50"):
# the refinement with a ResNet-50 C4 Faster R-CNN (OIM's, 1024-channel RPN
# on conv4, conv5 as the RoI head) instead of R50-FPN.
_base_ = [
    '../../_base_/models/oim_r50_c4.py', '../_base_/rdlr_refine.py',
    '../_base_/rdlr_prw.py'
]
_oim = _base_.model
c4_detector = dict(
    type='FasterRCNN',
    data_preprocessor=_oim.data_preprocessor,
    backbone=_oim.backbone,
    rpn_head=_oim.rpn_head,
    roi_head=dict(
        type='StandardRoIHead',
        shared_head=_oim.roi_head.shared_head,
        bbox_roi_extractor=_oim.roi_head.bbox_roi_extractor,
        bbox_head=_oim.roi_head.bbox_head),
    train_cfg=_oim.train_cfg,
    test_cfg=_oim.test_cfg)
model = dict(
    _base_.rdlr_searcher,
    _delete_=True,
    detector=c4_detector,
    detector_checkpoint='work_dirs/rdlr_det_r50_c4_prw/epoch_20.pth',
    reid_checkpoint='work_dirs/rdlr_reid_r50_prw/epoch_120.pth')
train_dataloader = dict(batch_size=1)

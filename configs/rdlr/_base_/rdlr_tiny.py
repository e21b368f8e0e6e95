# Diffs that shrink RDLR's parts for the synthetic data (CPU tests, not a
# paper setting), merged into the full-size model configs by the tiny
# configs: a Faster R-CNN with a ResNet-18 of 16 base channels and a
# 32-channel FPN; a BNNeckReID on a ResNet-18 of 16 base channels (128-d)
# over 64x32 crops; both from scratch.
tiny_crop_cfg = dict(expand_ratio=1.0, size=(64, 32), mask=None)
tiny_resize = dict(type='Resize', scale=(240, 160), keep_ratio=True)
tiny_detector = dict(
    backbone=dict(
        depth=18, base_channels=16, frozen_stages=-1, norm_eval=False, init_cfg=None),
    neck=dict(in_channels=[16, 32, 64, 128], out_channels=32),
    rpn_head=dict(in_channels=32, feat_channels=32),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=32),
        bbox_head=dict(in_channels=32, fc_out_channels=64)),
    train_cfg=dict(
        rpn_proposal=dict(nms_pre=500, max_per_img=100),
        rcnn=dict(sampler=dict(num=64))),
    test_cfg=dict(rpn=dict(nms_pre=500, max_per_img=100), rcnn=dict(max_per_img=20)))
tiny_reid = dict(
    crop_cfg=tiny_crop_cfg,
    backbone=dict(depth=18, base_channels=16, init_cfg=None),
    in_channels=128)

# Tiny OIM for the synthetic data (demo and CPU tests); not a paper row.
_base_ = [
    '../_base_/models/oim_r50_c4.py', '../_base_/datasets/synthetic.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_tiny_sgd_12e.py'
]

# from scratch: every BN learns its statistics and affine parameters
tiny_norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    backbone=dict(
        depth=18,  # conv4 output: 256 channels, stride 16
        frozen_stages=-1,
        norm_cfg=tiny_norm_cfg,
        norm_eval=False,
        init_cfg=None),
    rpn_head=dict(
        in_channels=256, feat_channels=128,
        anchor_generator=dict(scales=[1, 2, 4, 8])),  # 16..128 px
    roi_head=dict(
        shared_head=dict(
            depth=18,  # conv5 output: 512 channels
            norm_cfg=tiny_norm_cfg,
            norm_eval=False,
            init_cfg=None),
        # 8x8 RoIs (conv5 output 4x4) instead of 14x14: the conv5 head runs
        # once per RoI and dominates the CPU step time
        bbox_roi_extractor=dict(roi_layer=dict(output_size=8), out_channels=256),
        bbox_head=dict(in_channels=512, roi_feat_size=4),
        reid_head=dict(
            in_channels=512,
            embed_dim=64,
            loss_reid=dict(num_features=64, queue_size=500))),
    train_cfg=dict(
        rpn_proposal=dict(nms_pre=1000, max_per_img=300),
        rcnn=dict(sampler=dict(num=16))),  # up to 8 positives per image
    test_cfg=dict(
        rpn=dict(nms_pre=1000, max_per_img=100),
        rcnn=dict(score_thr=0.05, max_per_img=50)))

default_hooks = dict(logger=dict(interval=10))

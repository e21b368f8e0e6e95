# Tiny PCNet for the synthetic data (demo and CPU tests); not a paper row.
_base_ = [
    '../_base_/models/pcnet_r50_fpn.py', '../_base_/datasets/synthetic.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_tiny_sgd_12e.py'
]

# from scratch: every BN learns its statistics and affine parameters
tiny_norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    backbone=dict(
        depth=18,
        frozen_stages=-1,
        norm_cfg=tiny_norm_cfg,
        norm_eval=False,
        init_cfg=None),
    # 64-channel P3-P5 (strides 8-32): the synthetic persons are 64-128 px
    neck=dict(
        in_channels=[64, 128, 256, 512],
        out_channels=64,
        add_extra_convs=False,
        num_outs=3),
    bbox_head=dict(
        in_channels=64,  # 64-d CPP maps and embeddings
        offset_channels=64,
        feat_channels=32,  # one 32-d tower shared by cls and reg
        stacked_convs=1,
        shared_tower=True,
        anchor_generator=dict(strides=[8, 16, 32]),
        # focal alpha 0.5 (paper 0.25): more of the short training's
        # detections score 0.5, the search threshold of the evaluation
        # (not a paper setting; README, tiny model)
        loss_cls=dict(alpha=0.5),
        # from scratch, the re-ID losses (OIM through BN1d, L_dist in
        # pixels) outweigh detection on the shared F_reid maps; at weight 1
        # nothing is detected after 3 epochs: weights scaled down (not a
        # paper setting; README, tiny model)
        loss_dist=dict(loss_weight=0.02),
        loss_reid=dict(num_features=64, queue_size=500, loss_weight=0.05),
        loss_tri=dict(loss_weight=0.05)))

# AdamW lr 1e-3 instead of the tiny schedule's SGD lr 0.01 (warm-up, step
# and gradient norm clipping at 10 kept): SGD's gradient norm stays above
# the clipping bound and 3 epochs barely move the box regression; AdamW's
# per-parameter steps train detection and re-ID together (not a paper
# setting; README, tiny model)
optim_wrapper = dict(
    optimizer=dict(_delete_=True, type='AdamW', lr=1e-3, weight_decay=1e-4))

default_hooks = dict(logger=dict(interval=10))

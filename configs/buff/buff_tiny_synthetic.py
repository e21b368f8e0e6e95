# Tiny BUFF for the synthetic data (demo and CPU tests); not a paper row.
_base_ = [
    '../_base_/models/buff_r50_buff.py', '../_base_/datasets/synthetic.py',
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
    rpn_head=dict(
        in_channels=256,  # ResNet-18 conv4
        feat_channels=128,
        anchor_generator=dict(scales=[1, 2, 4, 8])),  # 16..128 px
    roi_head=dict(
        bbox_roi_extractor=dict(roi_layer=dict(output_size=(8, 4)), out_channels=256),
        bbox_head=dict(
            roi_feat_size=(8, 4),
            in_channels=256,
            conv_out_channels=64,
            fc_out_channels=64),
        reid_fusion=dict(
            in_channels=(64, 64, 128, 256), out_size=(8, 4), depth=18, init_cfg=None),
        reid_shared_head=dict(depth=18, init_cfg=None),  # 512 channels
        reid_head=dict(
            in_channels=512, loss_reid=dict(num_features=512, queue_size=500)),
        seg_head=dict(in_channels=128)),  # ResNet-18 conv3
    train_cfg=dict(rpn_proposal=dict(nms_pre=1000)),
    test_cfg=dict(rpn=dict(nms_pre=1000), rcnn=dict(score_thr=0.05, max_per_img=50)))

default_hooks = dict(logger=dict(interval=10))

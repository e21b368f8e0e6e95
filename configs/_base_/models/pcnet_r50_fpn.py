# PCNet (Zhong et al., Points in Context for Efficient Person Search), the
# full model of Table 1 r4: ResNet-50 + FPN (P3-P7) under a serialized
# RetinaNet head: CPP (Eq. 5) makes the re-ID maps, the detection towers
# read them (Eq. 2), CSA (Eq. 8-10) aggregates the pyramid cells inside
# each box, trained by focal + smooth L1 + OIM + L_dist (Eq. 6) + L_tri
# (Eq. 11). Reading of the unclear passages: configs/pcnet/README.md.
norm_cfg = dict(type='BN', requires_grad=False)  # frozen BN, as OIM
# ImageNet ResNet-50 of the OIM base (configs/_base_/models/oim_r50_c4.py),
# given by URL (PCNetPS starts from Caffe weights: README, Deviations)
pretrained = 'https://download.pytorch.org/models/resnet50-0676ba61.pth'
model = dict(
    type='PersonSearchSingleStage',
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=32),
    backbone=dict(
        type='ResNet',
        depth=50,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        frozen_stages=1,  # stem and res2 fixed (RetinaNet)
        norm_cfg=norm_cfg,
        norm_eval=True,
        style='pytorch',
        init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    neck=dict(
        type='FPN',
        in_channels=[256, 512, 1024, 2048],
        out_channels=256,
        start_level=1,  # P3-P7, strides 8-128
        add_extra_convs='on_output',  # P6 from P5 (PCNetPS USE_C5: False)
        relu_before_extra_convs=True,
        num_outs=5),
    bbox_head=dict(
        type='PCNetHead',
        num_classes=1,
        in_channels=256,
        stacked_convs=4,  # "consecutive convolution applied in RetinaNet"
        feat_channels=256,
        reid_branch='cpp',
        det_input='reid',  # serialized: towers on F_reid (Eq. 2)
        num_points=9,  # K (Sec. 4.2)
        offset_channels=256,
        anchor_generator=dict(
            type='AnchorGenerator',
            octave_base_scale=4,
            scales_per_octave=1,
            ratios=[2.0],  # one anchor of aspect ratio 2 (Sec. 4.2)
            strides=[8, 16, 32, 64, 128]),
        bbox_coder=dict(
            type='DeltaXYWHBBoxCoder',
            target_means=[.0, .0, .0, .0],
            target_stds=[0.1, 0.1, 0.2, 0.2]),
        loss_cls=dict(
            type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25, loss_weight=1.0),
        loss_bbox=dict(type='SmoothL1Loss', beta=0.11, loss_weight=1.0),
        loss_dist=dict(num_sets=3, loss_weight=1.0),  # M = 3 (Sec. 4.2)
        with_csa=True,
        csa_logit_clamp=50.0,
        loss_reid=dict(
            type='OIMLoss',
            num_features=256,
            num_person_ids=None,  # filled from the training split
            queue_size=5000,
            momentum=0.5,
            scalar=30.0,
            loss_weight=1.0),
        loss_tri=dict(type='PCNetTripletLoss', margin=0.5, loss_weight=1.0),
        gallery_cluster_iou=0.6,  # PCNetPS GALLERY_AGGREGATION
        query_iou=0.5,
        query_match='predicted'),
    train_cfg=dict(
        assigner=dict(
            type='MaxIoUAssigner',
            pos_iou_thr=0.5,
            neg_iou_thr=0.4,
            min_pos_iou=0,
            ignore_iof_thr=-1),
        sampler=dict(type='PseudoSampler'),
        allowed_border=-1,
        pos_weight=-1,
        debug=False),
    test_cfg=dict(
        nms_pre=1000,
        min_bbox_size=0,
        score_thr=0.05,
        nms=dict(type='nms', iou_threshold=0.4),
        max_per_img=100))

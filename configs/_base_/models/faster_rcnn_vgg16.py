# CNNv (MGTS, Chen et al., ECCV 2018, Sec. 3.2, 4.3): Faster R-CNN on
# VGG-16 conv5_3, the pedestrian detector of MGTS's first step, with the
# py-faster-rcnn VGG-16 settings the paper builds on (configs/mgts/README.md,
# Deviations 2 and 7). A plain mmdet detector: no re-ID branch.
# ImageNet VGG-16 of torchvision, by URL (torch alone loads it): the conv
# layers load into the backbone by name; fc6/fc7 go into the RoI head
# through tools/model_converters/vgg16_to_mmps.py and `load_from`.
vgg16_pretrained = 'https://download.pytorch.org/models/vgg16-397923af.pth'
cnnv = dict(
    type='FasterRCNN',
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        # torchvision ImageNet statistics, RGB
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=16),
    backbone=dict(
        type='VGGBackbone',  # conv5_3, 512 channels, stride 16
        depth=16,
        out_indices=(4, ),
        frozen_stages=2,  # conv1 and conv2 frozen (Sec. 4.3)
        with_last_pool=False,
        init_cfg=dict(type='Pretrained', checkpoint=vgg16_pretrained)),
    rpn_head=dict(
        # keeps the anchor scales in its checkpoint: inference needs no data
        type='PersistentAnchorRPNHead',
        in_channels=512,
        feat_channels=512,
        anchor_generator=dict(
            type='AnchorGenerator',
            # 9 anchors (Faster R-CNN): ratios 0.5/1/2 and 3 scales uniform in
            # log space from the 1st to the 99th percentile of the training
            # persons' heights after Resize, filled by tools/train.py
            # (mmps.utils.fill_anchor_scales; README, Deviation 2)
            scales=dict(type='height_percentiles', percentiles=(1, 99), num=3),
            ratios=[0.5, 1.0, 2.0],
            strides=[16]),
        bbox_coder=dict(
            type='DeltaXYWHBBoxCoder',
            target_means=[.0, .0, .0, .0],
            target_stds=[1.0, 1.0, 1.0, 1.0]),
        loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),
        # py-faster-rcnn: smooth L1 with sigma 3 (beta = 1 / sigma^2)
        loss_bbox=dict(type='SmoothL1Loss', beta=1.0 / 9.0, loss_weight=1.0)),
    roi_head=dict(
        type='StandardRoIHead',
        bbox_roi_extractor=dict(
            type='SingleRoIExtractor',
            roi_layer=dict(type='RoIPool', output_size=7),  # 7x7 RoI pooling
            out_channels=512,
            featmap_strides=[16]),
        bbox_head=dict(
            type='Shared2FCBBoxHead',  # fc6, fc7 (4096 each)
            in_channels=512,
            fc_out_channels=4096,
            roi_feat_size=7,
            num_classes=1,  # person vs background
            bbox_coder=dict(
                type='DeltaXYWHBBoxCoder',
                target_means=[0., 0., 0., 0.],
                target_stds=[0.1, 0.1, 0.2, 0.2]),  # py-faster-rcnn
            reg_class_agnostic=False,
            loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
            loss_bbox=dict(type='SmoothL1Loss', beta=1.0, loss_weight=1.0))),
    train_cfg=dict(
        rpn=dict(
            assigner=dict(
                type='MaxIoUAssigner',
                pos_iou_thr=0.7,  # py-faster-rcnn RPN: fg >= 0.7, bg < 0.3
                neg_iou_thr=0.3,
                min_pos_iou=0.3,
                match_low_quality=True,
                ignore_iof_thr=-1),
            sampler=dict(
                type='RandomSampler',
                num=256,  # 256 anchors per image, up to half positive
                pos_fraction=0.5,
                neg_pos_ub=-1,
                add_gt_as_proposals=False),
            allowed_border=0,  # anchors crossing the border are ignored
            pos_weight=-1,
            debug=False),
        rpn_proposal=dict(
            nms_pre=12000,  # 12000 before / 2000 after NMS 0.7
            max_per_img=2000,
            nms=dict(type='nms', iou_threshold=0.7),
            min_bbox_size=0),
        rcnn=dict(
            assigner=dict(
                type='MaxIoUAssigner',
                pos_iou_thr=0.5,  # fg >= 0.5; bg in [0.1, 0.5)
                neg_iou_thr=(0.1, 0.5),
                min_pos_iou=0.5,
                match_low_quality=False,
                ignore_iof_thr=-1),
            sampler=dict(
                type='RandomSampler',
                num=128,  # 128 RoIs per image, 25% foreground
                pos_fraction=0.25,
                neg_pos_ub=-1,
                add_gt_as_proposals=True),
            pos_weight=-1,
            debug=False)),
    test_cfg=dict(
        rpn=dict(
            nms_pre=6000,  # 6000 before / 300 after NMS 0.7
            max_per_img=300,
            nms=dict(type='nms', iou_threshold=0.7),
            min_bbox_size=0),
        rcnn=dict(
            # low threshold for detection AP; TwoStepSearcher keeps >= 0.5
            score_thr=0.01,
            nms=dict(type='nms', iou_threshold=0.45),  # final NMS 0.45
            max_per_img=100)))

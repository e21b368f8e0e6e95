# OIM (Xiao et al., CVPR 2017): Faster R-CNN ResNet-50 C4 with a 256-d
# identity embedding trained by the Online Instance Matching loss.
# Unless noted, settings follow the SeqNet-era PyTorch re-implementations of
# OIM (NAE, Chen et al. CVPR 2020; SeqNet, Li & Miao AAAI 2021).
norm_cfg = dict(type='BN', requires_grad=False)  # BNs frozen (affine), OIM
# ImageNet ResNet-50 weights of torchvision, given by URL: the file that
# mmengine's torchvision scheme resolves 'resnet50' to (key 'resnet50' of
# mmengine/hub/torchvision_0.12.json; torchvision's
# ResNet50_Weights.IMAGENET1K_V1). That scheme imports torchvision, which
# mmps does not install (its PyPI wheel replaces the CPU build of torch);
# the URL loads through torch alone, cached where torchvision caches it:
# offline, put the file in $TORCH_HOME/hub/checkpoints/ (TORCH_HOME
# defaults to ~/.cache/torch).
pretrained = 'https://download.pytorch.org/models/resnet50-0676ba61.pth'
model = dict(
    type='PersonSearchTwoStage',
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        # torchvision ImageNet statistics (SeqNet/NAE normalisation)
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=32),
    backbone=dict(
        type='ResNet',
        depth=50,
        num_stages=3,  # conv1..conv4; conv5 is the RoI shared head
        strides=(1, 2, 2),
        dilations=(1, 1, 1),
        out_indices=(2, ),  # conv4, stride 16, 1024 channels
        frozen_stages=0,  # conv1 and its BN fixed, as OIM (and SeqNet) do
        norm_cfg=norm_cfg,
        norm_eval=True,
        style='pytorch',
        init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    rpn_head=dict(
        type='RPNHead',
        in_channels=1024,
        feat_channels=1024,  # torchvision RPNHead on conv4 (SeqNet)
        anchor_generator=dict(
            type='AnchorGenerator',
            # sizes 32..512, ratios 0.5/1/2 (SeqNet)
            scales=[2, 4, 8, 16, 32],
            ratios=[0.5, 1.0, 2.0],
            strides=[16]),
        bbox_coder=dict(
            type='DeltaXYWHBBoxCoder',
            target_means=[.0, .0, .0, .0],
            target_stds=[1.0, 1.0, 1.0, 1.0]),
        loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),
        loss_bbox=dict(type='L1Loss', loss_weight=1.0)),
    roi_head=dict(
        type='PersonSearchRoIHead',
        shared_head=dict(
            type='ResLayer',  # conv5 (res5), stride 2: 14x14 -> 7x7
            depth=50,
            stage=3,
            stride=2,
            dilation=1,
            style='pytorch',
            norm_cfg=norm_cfg,
            norm_eval=True,
            init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
        bbox_roi_extractor=dict(
            type='SingleRoIExtractor',
            roi_layer=dict(type='RoIAlign', output_size=14, sampling_ratio=0),
            out_channels=1024,
            featmap_strides=[16]),
        bbox_head=dict(
            type='BBoxHead',
            with_avg_pool=True,  # GAP after conv5
            roi_feat_size=7,
            in_channels=2048,
            num_classes=1,  # person vs background
            bbox_coder=dict(
                type='DeltaXYWHBBoxCoder',
                target_means=[0., 0., 0., 0.],
                # box coder weights (10, 10, 5, 5) of torchvision / SeqNet
                target_stds=[0.1, 0.1, 0.2, 0.2]),
            reg_class_agnostic=False,
            loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
            loss_bbox=dict(type='L1Loss', loss_weight=1.0)),
        reid_head=dict(
            type='ReIDEmbeddingHead',
            in_channels=2048,
            embed_dim=256,  # OIM: 256-d L2-normalised feature
            loss_reid=dict(
                type='OIMLoss',
                num_features=256,
                # lookup-table size: filled from the training dataset's
                # metainfo['num_person_ids'] (mmps.models.fill_num_person_ids)
                num_person_ids=None,
                queue_size=5000,  # OIM: 5000 (CUHK-SYSU), 500 (PRW)
                momentum=0.5,  # OIM
                scalar=30.0,  # OIM: cosine similarities times 30
                loss_weight=1.0))),
    train_cfg=dict(
        rpn=dict(
            assigner=dict(
                type='MaxIoUAssigner',
                pos_iou_thr=0.7,  # SeqNet RPN fg/bg IoU 0.7 / 0.3
                neg_iou_thr=0.3,
                min_pos_iou=0.3,
                match_low_quality=True,
                ignore_iof_thr=-1),
            sampler=dict(
                type='RandomSampler',
                num=256,  # SeqNet: 256 anchors per image, half positive
                pos_fraction=0.5,
                neg_pos_ub=-1,
                add_gt_as_proposals=False),
            allowed_border=-1,
            pos_weight=-1,
            debug=False),
        rpn_proposal=dict(
            nms_pre=12000,  # SeqNet: 12000 before / 2000 after NMS 0.7
            max_per_img=2000,
            nms=dict(type='nms', iou_threshold=0.7),
            min_bbox_size=0),
        rcnn=dict(
            assigner=dict(
                type='MaxIoUAssigner',
                pos_iou_thr=0.5,  # SeqNet box fg/bg IoU 0.5 / 0.5
                neg_iou_thr=0.5,
                min_pos_iou=0.5,
                match_low_quality=False,
                ignore_iof_thr=-1),
            sampler=dict(
                type='RandomSampler',
                num=128,  # SeqNet: 128 RoIs per image, half positive
                pos_fraction=0.5,
                neg_pos_ub=-1,
                add_gt_as_proposals=True),
            pos_weight=-1,
            debug=False)),
    test_cfg=dict(
        rpn=dict(
            nms_pre=6000,  # SeqNet: 6000 before / 300 after NMS 0.7
            max_per_img=300,
            nms=dict(type='nms', iou_threshold=0.7),
            min_bbox_size=0),
        rcnn=dict(
            score_thr=0.5,  # SeqNet: score 0.5, NMS 0.4, 300 per image
            nms=dict(type='nms', iou_threshold=0.4),
            max_per_img=300)))

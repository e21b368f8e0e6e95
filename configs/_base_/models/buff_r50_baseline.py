# BUFF's baseline (Yang et al., ACM MM 2020, Sec. 4.1): ResNet-50
# conv1..conv4 shared, RPN on conv4, separate detection and re-ID heads on
# the conv4 RoI features; written as BUF over conv4 only (BUF_c4 of Table
# 4), so the BUF/FAM variants change roi_head fields only. "Sec." refers
# to the BUFF paper, "OIM base" to ./oim_r50_c4.py, which gives what the
# paper leaves open; configs/buff/README.md maps the paper onto these
# fields and lists the deviations.
#
# Backbone levels (ResNetWithStem outputs), indexed 0..3 in roi_head:
#   0 conv1 (64 ch, stride 2), 1 conv2 (256, 4), 2 conv3 (512, 8),
#   3 conv4 (1024, 16)
_base_ = './oim_r50_c4.py'

# BN (Sec. 5.2, README "BatchNorm"): the backbone keeps the OIM base's
# setting, conv1 fixed and every BN a constant affine transformation; the
# BNs of the re-ID stream (T2..T4, conv5) train normally.
reid_norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    backbone=dict(
        type='ResNetWithStem',  # ResNet that also returns conv1's output
        out_indices=(0, 1, 2)),  # conv2..conv4, after the stem (conv1)
    rpn_head=dict(
        type='SingleLevelRPNHead',
        in_index=3,  # RPN on conv4 (Sec. 4.1)
        in_channels=1024,
        feat_channels=512,  # 512x3x3 conv (Sec. 4.1)
        anchor_generator=dict(
            type='AnchorGenerator',
            # scales {8, 16, 32}, aspect ratios {1, 2} (Sec. 5.2; Sec. 4.1
            # speaks of 9 anchors, we follow the listed 3 x 2 = 6); mmdet
            # ratios are h / w, so 2 is the tall anchor
            scales=[8, 16, 32],
            ratios=[1.0, 2.0],
            strides=[16]),
        bbox_coder=dict(
            type='DeltaXYWHBBoxCoder',
            target_means=[.0, .0, .0, .0],
            target_stds=[1.0, 1.0, 1.0, 1.0]),
        # softmax classifier (Sec. 4.1)
        loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
        loss_bbox=dict(type='L1Loss', loss_weight=1.0)),  # OIM base
    roi_head=dict(
        _delete_=True,
        type='BUFFRoIHead',
        det_in_index=3,  # detection keeps conv4 features (Sec. 4.3)
        bbox_roi_extractor=dict(
            type='SingleRoIExtractor',
            # RoI pooling to 14x7 (h x w, Sec. 4.1); RoIAlign as the OIM base
            roi_layer=dict(type='RoIAlign', output_size=(14, 7), sampling_ratio=0),
            out_channels=1024,
            featmap_strides=[16]),
        bbox_head=dict(
            type='StridedConvFCBBoxHead',
            roi_feat_size=(14, 7),
            in_channels=1024,
            # conv to 256x7x4, FC to 256 (Sec. 4.1); kernel 3 assumed
            conv_out_channels=256,
            conv_kernel_size=3,
            conv_stride=2,
            fc_out_channels=256,
            num_classes=1,  # person vs background, softmax (Sec. 4.1)
            bbox_coder=dict(
                type='DeltaXYWHBBoxCoder',
                target_means=[0., 0., 0., 0.],
                target_stds=[0.1, 0.1, 0.2, 0.2]),  # OIM base
            reg_class_agnostic=False,
            loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
            loss_bbox=dict(type='L1Loss', loss_weight=1.0)),  # OIM base
        # Re-ID RoI features: BUF over the levels of in_indices. Here conv4
        # only: F (14x7) straight to conv5, as the baseline (BUF_c4).
        # RoI sizes follow from out_size and the transform strides (T2, T3,
        # T4 = first blocks of conv2, conv3, conv4, strides 1, 2, 2):
        # conv4 14x7, conv3 28x14, conv2 56x28, conv1 56x28.
        reid_fusion=dict(
            type='BottomUpFusion',
            in_indices=(3, ),
            in_channels=(64, 256, 512, 1024),
            featmap_strides=(2, 4, 8, 16),
            out_size=(14, 7),
            transform_strides=(1, 2, 2),
            depth=50,
            roi_layer=dict(type='RoIAlign', sampling_ratio=0),
            norm_cfg=reid_norm_cfg,
            # T_l start from the ImageNet first blocks, not shared with the
            # detector (Sec. 5.2); the ImageNet weights of the OIM base
            init_cfg=dict(type='Pretrained', checkpoint=_base_.pretrained)),
        reid_shared_head=dict(
            type='ResLayer',  # conv5 (res5), stride 2: 14x7 -> 7x4
            depth=50,
            stage=3,
            stride=2,
            dilation=1,
            style='pytorch',
            norm_cfg=reid_norm_cfg,
            norm_eval=False,
            init_cfg=dict(type='Pretrained', checkpoint=_base_.pretrained)),
        reid_head=dict(
            type='ReIDEmbeddingHead',
            in_channels=2048,
            embed_dim=None,  # GAP output is the 2048-d embedding (Sec. 4.1)
            loss_reid=dict(
                type='OIMLoss',
                num_features=2048,
                # filled from the training data (fill_num_person_ids)
                num_person_ids=None,
                queue_size=5000,  # set per dataset (OIM: 5000 / 500)
                momentum=0.5,  # OIM
                scalar=30.0,  # OIM
                loss_weight=0.5))),  # lambda = 0.5 (Eq. 4)
    train_cfg=dict(
        rpn_proposal=dict(max_per_img=128),  # 128 after NMS (Sec. 4.1)
        rcnn=dict(sampler=dict(num=64))),  # 64 RoIs, half positive (Sec. 5.2)
    test_cfg=dict(rpn=dict(max_per_img=128)))  # 128 proposals after NMS (Sec. 4.1)

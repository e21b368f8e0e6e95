# MGTS re-ID step (Chen et al., ECCV 2018, Sec. 3.3, 4.3): the Mask-Guided
# Two-Stream network on person crops, inside TwoStepSearcher without a
# detector, so one config trains it on GT crops and tests it on GT boxes.
# Full model: F and O streams (ResNet-50 each, own weights), SE fusion,
# bias-free 4096 -> 128 projection, OIM. Crop settings (gamma, size, mask)
# come from the crop dataset base's `crop_cfg` in each config.
# ImageNet ResNet-50 of torchvision, by URL (see configs/_base_/models/oim_r50_c4.py).
pretrained = 'https://download.pytorch.org/models/resnet50-0676ba61.pth'
model = dict(
    type='TwoStepSearcher',
    detector=None,  # GT boxes; a search config adds CNNv
    score_thr=0.5,  # detections kept for re-ID (Sec. 3.1)
    reid=dict(
        type='MaskGuidedReID',
        streams=('F', 'O'),
        crop_cfg=dict(expand_ratio=1.3, size=(256, 128), mask='instance'),
        # torchvision ImageNet statistics, RGB
        mean=(123.675, 116.28, 103.53),
        std=(58.395, 57.12, 57.375),
        bgr_to_rgb=True,
        backbone=dict(
            type='ResNet',
            depth=50,
            out_indices=(3, ),  # conv5, 2048 channels, stride 32
            frozen_stages=-1,
            # trainable BN (README, Deviation 6)
            norm_cfg=dict(type='BN', requires_grad=True),
            norm_eval=False,
            style='pytorch',
            init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
        se_ratio=16,  # not given; SENet's default (README, Deviation 5)
        reid_head=dict(
            type='ReIDEmbeddingHead',
            in_channels=4096,  # F and O concatenated
            embed_dim=128,  # d = 128 (Sec. 4.3)
            bias=False,  # Eq. 2: x = W^T f / ||W^T f||
            loss_reid=dict(
                type='OIMLoss',
                num_features=128,
                num_person_ids=None,  # filled from the training split
                queue_size=5000,  # Q = 5000 (Sec. 4.3; also PRW, Deviation 8)
                momentum=0.5,  # eta = 0.5
                scalar=30.0,  # tau = 1/30
                loss_weight=1.0))))

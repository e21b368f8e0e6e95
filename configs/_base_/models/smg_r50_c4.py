# SMG (Zheng et al., "Segmentation Mask Guided End-to-End Person Search",
# Sec. 3.2, Fig. 3): the OIM ResNet-50 C4 model of ./oim_r50_c4.py,
# unchanged, plus a mask branch on the res5 RoI map F_p (2048 x 7 x 7) that
# only trains: a 2x2 stride-2 deconvolution to 14 x 14 (2m x 2m), ReLU and
# a 1x1 conv to one class-agnostic logit map (the C4 mask predictor of
# Mask R-CNN). mask_roi_extractor stays None: the branch reads the same
# F_p as the box and re-ID heads, with no second RoI pass.
_base_ = './oim_r50_c4.py'

model = dict(
    roi_head=dict(
        type='SMGRoIHead',
        mask_head=dict(
            type='FCNMaskHead',
            num_convs=0,  # the deconvolution reads F_p directly
            in_channels=2048,
            conv_out_channels=256,
            num_classes=1,
            class_agnostic=True,
            # Eq. 6 (BCE per pixel), averaged over RoIs and pixels as Mask
            # R-CNN [48] does (configs/smg/README.md, Deviations 2); weight 1
            loss_mask=dict(type='CrossEntropyLoss', use_mask=True, loss_weight=1.0))),
    # ground-truth masks cropped to the proposal and resized to 14 x 14
    # (Sec. 4.2)
    train_cfg=dict(rcnn=dict(mask_size=14)))

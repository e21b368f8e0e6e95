# BUFF (Yang et al., ACM MM 2020, Fig. 3): the baseline plus
# - a foreground segmentation head on conv3 (1x1 conv + sigmoid, BCE on
#   box-wise masks, weight 1 in Eq. 4; Sec. 4.2),
# - FAM on conv1..conv4: X_hat = X + X * a, a resized to each level (Eq. 2),
# - BUF over the foreground-aware conv1..conv4 RoI features (Sec. 4.3).
# Detection still reads the plain conv4 features.
_base_ = './buff_r50_baseline.py'

model = dict(
    roi_head=dict(
        reid_fusion=dict(in_indices=(0, 1, 2, 3)),
        seg_head=dict(
            type='ForegroundSegHead',
            in_channels=512,  # conv3 (Sec. 4.2)
            featmap_stride=8,
            loss_seg=dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0)),
        seg_in_index=2,
        fam_in_indices=(0, 1, 2, 3)))

# Table 4 "Bsl + FAM": the baseline with the segmentation head on conv3 and
# FAM on conv4 only; re-ID pools the foreground-aware conv4 (Sec. 5.5).
_base_ = './buff_r50_cuhk_sysu.py'

model = dict(
    roi_head=dict(reid_fusion=dict(in_indices=(3, )), fam_in_indices=(3, )))

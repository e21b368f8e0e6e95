# BUFF, Table 4 "Bsl + FAM", PRW.
_base_ = './buff_r50_prw.py'

# segmentation head on conv3, FAM and re-ID on conv4 only
model = dict(roi_head=dict(reid_fusion=dict(in_indices=(3, )), fam_in_indices=(3, )))

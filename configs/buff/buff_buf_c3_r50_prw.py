# Fig. 4 "BUF_c3" on PRW: re-ID reads conv3 only, in training and test;
# its RoI feature climbs through the one transform above it (T4) to
# conv5, with nothing to merge on the way.
_base_ = './buff_buf_r50_prw.py'

model = dict(roi_head=dict(reid_fusion=dict(in_indices=(2, ))))

# Fig. 4 "BUF_c2" on PRW: re-ID reads conv2 only, in training and test;
# its RoI feature climbs through the transforms above it (T3..T4) to
# conv5, with nothing to merge on the way.
_base_ = './buff_buf_r50_prw.py'

model = dict(roi_head=dict(reid_fusion=dict(in_indices=(1, ))))

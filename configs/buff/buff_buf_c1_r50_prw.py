# BUFF, Fig. 4 "BUF_c1", PRW.
_base_ = './buff_buf_r50_prw.py'

model = dict(roi_head=dict(reid_fusion=dict(in_indices=(0, ))))

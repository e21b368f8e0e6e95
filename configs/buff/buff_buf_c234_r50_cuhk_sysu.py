# BUFF, Table 4 "BUF_c2,3,4", CUHK-SYSU.
_base_ = './buff_buf_r50_cuhk_sysu.py'

model = dict(roi_head=dict(reid_fusion=dict(in_indices=(1, 2, 3))))

# BUFF, Table 1 "+BUF" (= Table 4 "BUF_c1,2,3,4"), CUHK-SYSU.
_base_ = './buff_baseline_r50_cuhk_sysu.py'

model = dict(roi_head=dict(reid_fusion=dict(in_indices=(0, 1, 2, 3))))

# Tiny BUFF baseline for the synthetic data (BUF_c4, no segmentation head
# or FAM); not a paper row.
_base_ = './buff_tiny_synthetic.py'

model = dict(
    roi_head=dict(reid_fusion=dict(in_indices=(3, )), seg_head=None, fam_in_indices=()))

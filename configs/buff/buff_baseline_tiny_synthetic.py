# Tiny BUFF baseline for the synthetic data: buff_tiny_synthetic.py without
# the segmentation head and FAM, re-ID reading conv4 only (BUF_c4).
_base_ = './buff_tiny_synthetic.py'

model = dict(
    roi_head=dict(
        reid_fusion=dict(in_indices=(3, )), seg_head=None,
        fam_in_indices=()))

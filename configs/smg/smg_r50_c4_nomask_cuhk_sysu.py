# Control, not in the paper: the recipe and data of ./smg_r50_c4_cuhk_sysu.py
# without the mask branch (OIM trained as SMG is). Only this run isolates
# the branch: Table 2's OIM (75.5 / 78.7) comes from another code base and
# recipe. The masks are still loaded, so that data and augmentation match.
_base_ = './smg_r50_c4_cuhk_sysu.py'

model = dict(roi_head=dict(type='PersonSearchRoIHead', mask_head=None))

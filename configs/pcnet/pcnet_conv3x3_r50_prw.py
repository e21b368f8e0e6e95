# PCNet ablation, PRW: Table 1 r5 (a plain 3x3 conv per level instead of
# CPP, hence no L_dist; CSA and L_tri kept).
_base_ = './pcnet_r50_prw.py'

model = dict(bbox_head=dict(reid_branch='conv3x3', loss_dist=None))

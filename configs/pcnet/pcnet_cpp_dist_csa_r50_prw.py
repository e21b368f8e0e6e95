# PCNet ablation, PRW: Table 1 r3 (CPP + L_dist + CSA; no L_tri).
_base_ = './pcnet_r50_prw.py'

model = dict(bbox_head=dict(loss_tri=None))

# PCNet ablation, PRW: Table 1 r1 (CPP only: no L_dist, CSA or L_tri).
_base_ = './pcnet_r50_prw.py'

model = dict(bbox_head=dict(loss_dist=None, with_csa=False, loss_tri=None))

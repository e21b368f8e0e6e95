# PCNet ablation, PRW: Table 1 r2 = Table 3 "PCNet double-dagger" (CPP +
# L_dist; no CSA or L_tri).
_base_ = './pcnet_r50_prw.py'

model = dict(bbox_head=dict(with_csa=False, loss_tri=None))

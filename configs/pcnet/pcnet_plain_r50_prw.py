# PCNet ablation, PRW: Table 1 r6 (no component: F_reid = P_l, no L_dist,
# CSA or L_tri; README, Deviations 7).
_base_ = './pcnet_r50_prw.py'

model = dict(
    bbox_head=dict(reid_branch='plain', loss_dist=None, with_csa=False, loss_tri=None))

# One-stage variants, PRW: Table 3 r2 (RetinaNet towers on P_l and a
# parallel re-ID branch of CPP + L_dist; no CSA or L_tri).
_base_ = './pcnet_r50_prw.py'

model = dict(bbox_head=dict(det_input='pyramid', with_csa=False, loss_tri=None))

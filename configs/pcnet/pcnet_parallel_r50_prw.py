# One-stage variants, PRW: Table 3 r1 (RetinaNet towers on P_l and a
# parallel re-ID branch of one 3x3 conv; no L_dist, CSA or L_tri).
_base_ = './pcnet_r50_prw.py'

model = dict(
    bbox_head=dict(
        det_input='pyramid',
        reid_branch='conv3x3',
        loss_dist=None,
        with_csa=False,
        loss_tri=None))

# PCNet head order, PRW: Table 2 r3 (detection first: towers on P_l, CPP on
# the last output of the classification tower).
_base_ = './pcnet_r50_prw.py'

model = dict(bbox_head=dict(det_input='cls_tower'))

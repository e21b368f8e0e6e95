# PCNet head order, PRW: Table 2 r2 (detection first: towers on P_l, CPP on
# the last output of the regression tower).
_base_ = './pcnet_r50_prw.py'

model = dict(bbox_head=dict(det_input='reg_tower'))

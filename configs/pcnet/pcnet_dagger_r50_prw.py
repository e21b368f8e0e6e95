# PCNet dagger (multiple anchors), prw: Table 5 "PCNet dagger".
_base_ = './pcnet_r50_prw.py'

# 4 anchors per position: ratios 1:1 and 2:1 (h:w), 2 sub-octave scales
# 2^0, 2^(1/2) (PCNetPS; README, Deviations 4)
model = dict(
    bbox_head=dict(anchor_generator=dict(ratios=[1.0, 2.0], scales_per_octave=2)))

# BUFF, Table 1 "Baseline", PRW, under the other BN reading (README).
_base_ = '../buff_baseline_r50_prw.py'

# every backbone BN but conv1's trains (batch statistics, learnt affine)
model = dict(
    backbone=dict(norm_cfg=dict(type='BN', requires_grad=True), norm_eval=False))

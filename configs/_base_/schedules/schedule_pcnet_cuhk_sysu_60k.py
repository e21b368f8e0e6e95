# Training schedule of PCNet on CUHK-SYSU (Sec. 4.2): the PRW recipe
# (./schedule_pcnet_prw_70k.py) with lr 5e-5 for 60k iterations, x0.1 at
# 50k.
_base_ = './schedule_pcnet_prw_70k.py'

optim_wrapper = dict(optimizer=dict(lr=5e-5))
max_iters = 60000
param_scheduler = [
    _base_.param_scheduler[0],
    dict(_base_.param_scheduler[1], end=max_iters, milestones=[50000])
]
train_cfg = dict(max_iters=max_iters)

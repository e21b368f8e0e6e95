# Training schedule of PCNet on LSPS (Sec. 4.2): the PRW recipe
# (./schedule_pcnet_prw_70k.py), lr 1e-4 for 120k iterations, x0.1 at 80k
# and 100k.
_base_ = './schedule_pcnet_prw_70k.py'

max_iters = 120000
param_scheduler = [
    _base_.param_scheduler[0],
    dict(_base_.param_scheduler[1], end=max_iters, milestones=[80000, 100000])
]
train_cfg = dict(max_iters=max_iters)

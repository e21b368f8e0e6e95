# Schedule of the tiny synthetic configs (OIM, BUFF), trained from scratch
# on CPU; not a paper setting, tuned only as far as the demo needs
# (docs/benchmarks.md). The OIM recipe (./schedule_oim_sgd_20e.py) with a
# higher lr (0.01) and weight decay 1e-4, warm-up from lr / 100, lr x0.1
# at epoch 9 of 12, batch size 4.
_base_ = './schedule_oim_sgd_20e.py'

optim_wrapper = dict(optimizer=dict(lr=0.01, weight_decay=1e-4))

max_epochs = 12
param_scheduler = [
    dict(_base_.param_scheduler[0], start_factor=0.01),
    dict(_base_.param_scheduler[1], end=max_epochs, milestones=[9])
]
train_cfg = dict(max_epochs=max_epochs, val_interval=4)

auto_scale_lr = dict(base_batch_size=4)

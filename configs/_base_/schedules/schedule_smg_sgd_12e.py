# Training schedule of SMG (Zheng et al., Sec. 4.2; not a runnable config by
# itself): SGD, lr 4e-4 decayed x0.1 every 4 epochs (at epochs 4 and 8), 12
# epochs, batch size 1. Momentum 0.9 and weight decay 5e-4 are not given:
# OIM's values (./schedule_oim_sgd_20e.py). No warm-up and no gradient
# clipping (none is mentioned).
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.0004, momentum=0.9, weight_decay=5e-4))

max_epochs = 12
param_scheduler = [
    dict(
        type='MultiStepLR',
        by_epoch=True,
        begin=0,
        end=max_epochs,
        milestones=[4, 8],
        gamma=0.1)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=4)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

# the recipe's total batch size, for --auto-scale-lr
auto_scale_lr = dict(enable=False, base_batch_size=1)

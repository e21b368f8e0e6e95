# CNNv detector schedule (MGTS Sec. 4.3): batch 1, SGD lr 1e-3, x0.1 at
# 60k and 80k iterations, 100k in all; momentum 0.9 and weight decay 5e-4
# are py-faster-rcnn's (not stated; README, Deviation 6).
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.001, momentum=0.9, weight_decay=5e-4))
max_iters = 100000
param_scheduler = [
    dict(
        type='MultiStepLR',
        by_epoch=False,
        begin=0,
        end=max_iters,
        milestones=[60000, 80000],
        gamma=0.1)
]
# checkpoints every 20k iterations: set in the configs (default_runtime owns
# default_hooks), with log_processor by iteration
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=20000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
auto_scale_lr = dict(enable=False, base_batch_size=1)

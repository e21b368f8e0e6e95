# RDLR refinement schedule (Sec. 4.2): SGD momentum 0.9, weight decay 5e-4,
# lr 5e-5 after a 500-iteration linear warm-up (from lr x 1e-3: a start of 0
# divides by zero in mmengine's chained form), x0.1 after 10k iterations,
# 40k iterations, 4 images per iteration (4 GPUs x 1).
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=5e-5, momentum=0.9, weight_decay=5e-4))
max_iters = 40000
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0, end=500),
    dict(
        type='MultiStepLR',
        by_epoch=False,
        begin=0,
        end=max_iters,
        milestones=[10000],
        gamma=0.1)
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=10000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
auto_scale_lr = dict(enable=False, base_batch_size=4)

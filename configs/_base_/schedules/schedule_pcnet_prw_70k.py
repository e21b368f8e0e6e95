# Training schedule of PCNet on PRW (Sec. 4.2); not a runnable config by
# itself. SGD, momentum 0.9, weight decay 1e-4, lr 1e-4, 70k iterations
# at batch 4, lr x0.1 at 60k. From PCNetPS: linear warm-up from lr / 3 over
# 500 iterations, biases at twice the lr and without weight decay, every
# gradient clipped to [-5, 5]. The configs that use it set checkpoints
# and logs by iteration (default_hooks, log_processor).
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=1e-4, momentum=0.9, weight_decay=1e-4),
    paramwise_cfg=dict(bias_lr_mult=2.0, bias_decay_mult=0.0),
    clip_grad=dict(type='value', clip_value=5))

max_iters = 70000
param_scheduler = [
    dict(type='LinearLR', start_factor=1.0 / 3, by_epoch=False, begin=0, end=500),
    dict(
        type='MultiStepLR',
        by_epoch=False,
        begin=0,
        end=max_iters,
        milestones=[60000],
        gamma=0.1)
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=10000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

# batch size 4 on one GPU (Sec. 4.2), for --auto-scale-lr
auto_scale_lr = dict(enable=False, base_batch_size=4)

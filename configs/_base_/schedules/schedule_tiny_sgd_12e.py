# Training schedule of the tiny synthetic configs (OIM, BUFF; not a runnable
# config by itself): trained from scratch on CPU, so a higher lr than the
# paper recipes, with warm-up and one decay. Not a paper setting; tuned only
# as far as the demo needs (docs/benchmarks.md).

# SGD lr 0.01, momentum 0.9, weight decay 1e-4, gradient norm clipped at 10
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=1e-4),
    clip_grad=dict(max_norm=10.0, norm_type=2))

# linear warm-up over the first epoch from lr / 100, then x0.1 at epoch 9,
# 12 epochs in all
max_epochs = 12
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.01,
        by_epoch=True,
        begin=0,
        end=1,
        convert_to_iter_based=True),
    dict(
        type='MultiStepLR',
        by_epoch=True,
        begin=0,
        end=max_epochs,
        milestones=[9],
        gamma=0.1)
]
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=4)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

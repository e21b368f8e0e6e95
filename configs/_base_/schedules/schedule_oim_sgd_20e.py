# Training schedule shared by the full-size OIM configs (not a runnable
# config by itself): the SeqNet-era recipe (SeqNet, Li & Miao AAAI 2021;
# NAE, Chen et al. CVPR 2020).

# SGD lr 0.003, momentum 0.9, weight decay 5e-4, gradient norm clipped at
# 10 (SeqNet; NAE uses the same optimiser without clipping)
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.003, momentum=0.9, weight_decay=5e-4),
    clip_grad=dict(max_norm=10.0, norm_type=2))

# linear warm-up over the first epoch from lr / 1000, then x0.1 at epoch 16,
# 20 epochs in all (SeqNet)
max_epochs = 20
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.001,
        by_epoch=True,
        begin=0,
        end=1,
        convert_to_iter_based=True),
    dict(
        type='MultiStepLR',
        by_epoch=True,
        begin=0,
        end=max_epochs,
        milestones=[16],
        gamma=0.1)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=5)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

# the recipe's total batch size, for --auto-scale-lr
auto_scale_lr = dict(enable=False, base_batch_size=5)

# MGTS re-ID schedule (Sec. 4.3): batch 128 crops, SGD lr 1e-3, lr 1e-4
# after epoch 11, stopped after epoch 15; momentum 0.9 and weight decay
# 5e-4 not stated (README, Deviation 6).
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.001, momentum=0.9, weight_decay=5e-4))
max_epochs = 15
param_scheduler = [
    dict(
        type='MultiStepLR',
        by_epoch=True,
        begin=0,
        end=max_epochs,
        milestones=[11],
        gamma=0.1)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=5)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
auto_scale_lr = dict(enable=False, base_batch_size=128)

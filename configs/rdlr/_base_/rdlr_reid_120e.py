# Re-ID schedule (reid-strong-baseline softmax_triplet.yml): Adam lr 3.5e-4,
# weight decay 5e-4, lr x0.1 after epochs 40 and 70, 120 epochs, 64 crops
# per batch.
optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='Adam', lr=3.5e-4, weight_decay=5e-4))
max_epochs = 120
param_scheduler = [
    dict(
        type='MultiStepLR',
        by_epoch=True,
        begin=0,
        end=max_epochs,
        milestones=[40, 70],
        gamma=0.1)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=40)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
auto_scale_lr = dict(enable=False, base_batch_size=64)

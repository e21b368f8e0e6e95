# Training schedule of BUFF (Yang et al., ACM MM 2020, Sec. 5.2); not a
# runnable config by itself.

# SGD, momentum 0.9, weight decay 1e-4, base lr 0.001 (Sec. 5.2); no
# warm-up and no gradient clipping are mentioned, none is used
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.001, momentum=0.9, weight_decay=1e-4))

# 5 epochs, lr x0.1 after the fourth (Sec. 5.2). A paper epoch counts the
# flipped images as training images ("On PRW (totally 11,408 training
# images, including the flipped images)", 2 x 5,704 frames): the BUFF
# configs pair this schedule with the training sets of
# ../datasets/prw_with_flipped.py and ../datasets/cuhk_sysu_with_flipped.py,
# every image as is plus every image flipped (PRW at batch 4: 2,852
# iterations per epoch, 14,260 in all, lr drop at 11,408).
max_epochs = 5
param_scheduler = [
    dict(
        type='MultiStepLR',
        by_epoch=True,
        begin=0,
        end=max_epochs,
        milestones=[4],
        gamma=0.1)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=5)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

# batch size 4 on one GPU (Sec. 5.2), for --auto-scale-lr
auto_scale_lr = dict(enable=False, base_batch_size=4)

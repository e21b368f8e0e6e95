# RDLR Sec. 4.4, Fig. 6(c,d): re-ID pretraining on Market-1501 (751
# identities; label list by tools/dataset_converters/market1501.py) for the
# cross-dataset refinement on CUHK-SYSU; tested on CUHK-SYSU's GT boxes.
# PK sampling as the baseline: mmdet ReIDDataset's triplet_sampler makes
# each item 16 identities x 4 crops (one item = one batch of 64), so the
# 120 epochs of 12,936 crops are 120 x 203 iterations.
_base_ = './rdlr_reid_r50_cuhk_sysu.py'
model = dict(reid=dict(num_person_ids=751))
market_pipeline = [
    dict(
        type='TransformBroadcaster',
        share_random_params=False,
        transforms=[
            dict(type='LoadImageFromFile', backend_args=None),
            dict(type='Resize', scale=(128, 256), keep_ratio=False),
            *_base_.reid_augmentation
        ]),
    dict(type='PackReIDInputs')
]
train_dataloader = dict(
    batch_size=1,
    sampler=dict(_delete_=True, type='InfiniteSampler', shuffle=True),
    dataset=dict(
        _delete_=True,
        type='ReIDDataset',
        triplet_sampler=dict(num_ids=16, ins_per_id=4),
        data_root='data/Market-1501-v15.09.15/',
        ann_file='mmps/train.txt',
        data_prefix=dict(img_path='bounding_box_train/'),
        pipeline=market_pipeline))
iters_per_epoch = 203  # ceil(12936 / 64)
train_cfg = dict(
    _delete_=True,
    type='IterBasedTrainLoop',
    max_iters=120 * iters_per_epoch,
    val_interval=40 * iters_per_epoch)
param_scheduler = [
    dict(
        type='MultiStepLR',
        by_epoch=False,
        begin=0,
        end=120 * iters_per_epoch,
        milestones=[40 * iters_per_epoch, 70 * iters_per_epoch],
        gamma=0.1)
]
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=40 * iters_per_epoch))
log_processor = dict(by_epoch=False)
auto_scale_lr = dict(base_batch_size=1)  # one item of 64 crops per batch

# CUHK-SYSU converted with tools/dataset_converters/cuhk_sysu.py
# (docs/dataset_prepare.md). Shorter side 600, longer side at most 1000.
dataset_type = 'PersonSearchDataset'
data_root = 'data/CUHK-SYSU/'
backend_args = None

train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='LoadPersonSearchAnnotations', with_bbox=True),
    dict(type='Resize', scale=(1000, 600), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackPersonSearchInputs')
]
# Query boxes stay in the original image frame (see LoadPersonSearchAnnotations).
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='Resize', scale=(1000, 600), keep_ratio=True),
    dict(type='LoadPersonSearchAnnotations', with_bbox=True),
    dict(type='PackPersonSearchInputs')
]

train_dataloader = dict(
    batch_size=4,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='AspectRatioBatchSampler'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='mmps/train.json',
        data_prefix=dict(img='Image/SSM/'),
        filter_cfg=dict(filter_empty_gt=True, min_size=32),
        pipeline=train_pipeline,
        backend_args=backend_args))
# One pass over the test split feeds the gallery (detections) and the queries
# (query_instances of the images that hold them) at once.
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='mmps/test.json',
        data_prefix=dict(img='Image/SSM/'),
        test_mode=True,
        pipeline=test_pipeline,
        backend_args=backend_args))
test_dataloader = val_dataloader

# PersonSearchMetric (mmps.evaluation) reads the protocol (queries, gallery
# lists, ground truth) from ann_file, the test split's annotation JSON; without
# ann_file it falls back to the dataset's metainfo['ann_file']. Its kwargs are
# documented there, e.g. gallery_sizes (the settings to report, all of the
# protocol's by default); the headline mAP/top-k use gallery size 100, the
# common CUHK-SYSU setting, when it is among them. cbgm_k1/cbgm_k2 are SeqNet's
# CBGM settings for CUHK-SYSU (used when cbgm=True).
val_evaluator = dict(
    type='PersonSearchMetric',
    ann_file=data_root + 'mmps/test.json',
    cbgm_k1=10,
    cbgm_k2=3)
test_evaluator = val_evaluator

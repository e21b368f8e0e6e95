# CUHK-SYSU for the CNNv detector of MGTS (Sec. 4.3): shorter side 900,
# longer side at most 1500, flip 0.5 in training (py-faster-rcnn), one image
# per batch; validated by detection recall/AP (PersonDetectionMetric).
_base_ = './cuhk_sysu.py'

mgts_resize = dict(type='Resize', scale=(1500, 900), keep_ratio=True)
train_pipeline = [
    mgts_resize if step.type == 'Resize' else step for step in _base_.train_pipeline
]
test_pipeline = [
    mgts_resize if step.type == 'Resize' else step for step in _base_.test_pipeline
]
train_dataloader = dict(batch_size=1, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

val_evaluator = dict(
    _delete_=True,
    type='PersonDetectionMetric',
    ann_file=_base_.data_root + 'mmps/test.json')
test_evaluator = val_evaluator

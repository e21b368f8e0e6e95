# PCNet, LSPS: Table 6 "PCNet" (full model).
_base_ = [
    '../_base_/models/pcnet_r50_fpn.py', '../_base_/datasets/lsps.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_pcnet_lsps_120k.py'
]

# frames resized to at most 1333x800, flipped in training (Sec. 4.2)
train_pipeline = [
    dict(step, scale=(1333, 800)) if step.type == 'Resize' else step
    for step in _base_.train_pipeline
]
test_pipeline = [
    dict(step, scale=(1333, 800)) if step.type == 'Resize' else step
    for step in _base_.test_pipeline
]
train_dataloader = dict(batch_size=4, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

# iteration-based schedule: checkpoints and logs count iterations
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=10000))
log_processor = dict(by_epoch=False)

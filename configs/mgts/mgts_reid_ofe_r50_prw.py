# MGTS Table 2 re-ID step: the full network (O+F+E) on PRW GT crops.
_base_ = [
    '../_base_/models/mgts_reid_r50.py', '../_base_/datasets/prw_crops.py',
    '../_base_/default_runtime.py', '../_base_/schedules/mgts_reid_15e.py'
]
crop_cfg = dict(expand_ratio=1.3, size=(256, 128), mask='instance')
# crops cut at CNNv's input scale (shorter side 900, longer at most 1500)
resize = dict(type='Resize', scale=(1500, 900), keep_ratio=True)
train_pipeline = [
    resize if step.type == 'Resize' else
    dict(step, **crop_cfg) if step.type == 'CropPersonPatch' else step
    for step in _base_.train_pipeline
]
test_pipeline = [
    resize if step.type == 'Resize' else step for step in _base_.test_pipeline
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
# Q = 5000 on PRW too (Sec. 4.3; README, Deviation 8)
model = dict(reid=dict(streams=('F', 'O'), crop_cfg=crop_cfg))

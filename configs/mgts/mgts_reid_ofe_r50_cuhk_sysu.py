# MGTS Table 4 O+F+E (= Table 5 gamma 1.3, Table 6 FCIS): the full
# Mask-Guided Two-Stream network on CUHK-SYSU GT crops, tested on GT boxes.
_base_ = [
    '../_base_/models/mgts_reid_r50.py', '../_base_/datasets/cuhk_sysu_crops.py',
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
model = dict(reid=dict(streams=('F', 'O'), crop_cfg=crop_cfg))

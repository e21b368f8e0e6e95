# MGTS Table 6 'box': the full network (O+F+E) with the tight box as the
# foreground mask instead of instance masks (no segmentation).
_base_ = './mgts_reid_ofe_r50_cuhk_sysu.py'
crop_cfg = dict(expand_ratio=1.3, size=(256, 128), mask='box')
train_pipeline = [
    dict(step, **crop_cfg) if step.type == 'CropPersonPatch' else step
    for step in _base_.train_pipeline if step.type != 'LoadInstanceMap'
]
test_pipeline = [
    step for step in _base_.test_pipeline if step.type != 'LoadInstanceMap'
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
model = dict(reid=dict(crop_cfg=crop_cfg))

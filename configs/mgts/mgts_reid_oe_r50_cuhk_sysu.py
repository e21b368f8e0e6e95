# MGTS Table 4 O+E: one original-image stream on RoIs expanded by 1.3.
_base_ = './mgts_reid_o_r50_cuhk_sysu.py'
crop_cfg = dict(expand_ratio=1.3, size=(256, 128), mask=None)
train_pipeline = [
    dict(step, **crop_cfg) if step.type == 'CropPersonPatch' else step
    for step in _base_.train_pipeline
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
model = dict(reid=dict(crop_cfg=crop_cfg))

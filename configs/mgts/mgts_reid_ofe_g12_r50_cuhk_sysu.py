# MGTS Table 5, gamma 1.2: the full network (O+F+E) with RoIs expanded by 1.2.
_base_ = './mgts_reid_ofe_r50_cuhk_sysu.py'
crop_cfg = dict(expand_ratio=1.2, size=(256, 128), mask='instance')
train_pipeline = [
    dict(step, **crop_cfg) if step.type == 'CropPersonPatch' else step
    for step in _base_.train_pipeline
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
model = dict(reid=dict(crop_cfg=crop_cfg))

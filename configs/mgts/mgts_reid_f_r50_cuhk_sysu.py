# MGTS Table 4 F: one foreground stream (O * m), RoIs not expanded.
_base_ = './mgts_reid_ofe_r50_cuhk_sysu.py'
crop_cfg = dict(expand_ratio=1.0, size=(256, 128), mask='instance')
train_pipeline = [
    dict(step, **crop_cfg) if step.type == 'CropPersonPatch' else step
    for step in _base_.train_pipeline
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
model = dict(
    reid=dict(streams=('F', ), crop_cfg=crop_cfg, reid_head=dict(in_channels=2048)))

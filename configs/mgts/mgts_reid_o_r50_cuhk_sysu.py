# MGTS Table 4 O (= Table 3b GT+IDNet_OIM, Table 6 '-'): one original-image
# stream, RoIs not expanded, no masks.
_base_ = './mgts_reid_ofe_r50_cuhk_sysu.py'
crop_cfg = dict(expand_ratio=1.0, size=(256, 128), mask=None)
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
model = dict(
    reid=dict(streams=('O', ), crop_cfg=crop_cfg, reid_head=dict(in_channels=2048)))

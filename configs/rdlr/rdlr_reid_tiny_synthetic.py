# Tiny RDLR re-ID network for the synthetic data (CPU tests, not a paper
# row), tested on the GT boxes of the test split; no pad-and-crop (the
# 64x32 crops are small, the base's Pad and RandomCrop sizes are 256x128's).
_base_ = [
    '../_base_/datasets/synthetic_crops.py', '../_base_/default_runtime.py',
    './_base_/rdlr_reid_r50.py', './_base_/rdlr_reid_120e.py', './_base_/rdlr_tiny.py'
]
model = dict(
    type='TwoStepSearcher',
    reid=dict(
        _base_.reid,
        crop_cfg=_base_.tiny_crop_cfg,
        in_channels=_base_.tiny_reid['in_channels'],
        backbone=dict(_base_.reid.backbone, **_base_.tiny_reid['backbone'])))
train_pipeline = [
    dict(step, **_base_.tiny_crop_cfg) if step.type == 'CropPersonPatch' else
    _base_.tiny_resize if step.type == 'Resize' else step
    for step in _base_.rdlr_reid_train_pipeline
    if step.type not in ('Pad', 'RandomCrop')
]
test_pipeline = [
    _base_.tiny_resize if step.type == 'Resize' else step
    for step in _base_.rdlr_reid_test_pipeline
]
train_dataloader = dict(batch_size=32, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
optim_wrapper = dict(optimizer=dict(lr=1e-3))
train_cfg = dict(max_epochs=12)
default_hooks = dict(logger=dict(interval=10))

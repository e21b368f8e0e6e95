# Tiny MGTS re-ID step for the synthetic data (CPU tests); not a paper row:
# the full network's layout (F and O streams, SE, bias-free projection, OIM)
# with ResNet-18 streams from scratch, 64x32 crops, d = 64, Q = 500, masks
# from the synthetic polygons, 64 crops per batch.
_base_ = [
    '../_base_/models/mgts_reid_r50.py', '../_base_/datasets/synthetic_crops.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_tiny_sgd_12e.py'
]
crop_cfg = dict(expand_ratio=1.3, size=(64, 32), mask='instance')
train_pipeline = [
    dict(step, **crop_cfg) if step.type == 'CropPersonPatch' else step
    for step in _base_.train_pipeline
]
train_dataloader = dict(batch_size=64, dataset=dict(pipeline=train_pipeline))
model = dict(
    reid=dict(
        crop_cfg=crop_cfg,
        backbone=dict(depth=18, init_cfg=None),  # conv5: 512 channels
        reid_head=dict(
            in_channels=1024,
            embed_dim=64,
            loss_reid=dict(num_features=64, queue_size=500))))
auto_scale_lr = dict(base_batch_size=64)
default_hooks = dict(logger=dict(interval=10))

# Tiny RDLR refinement for the synthetic data (CPU tests, not a paper row):
# the tiny detector and re-ID network refined together. The parts'
# checkpoints are those of rdlr_det_tiny_synthetic and
# rdlr_reid_tiny_synthetic (tools/train.py's default work dirs).
_base_ = [
    './_base_/rdlr_refine_frcnn_r50_fpn.py', './_base_/rdlr_tiny.py',
    '../_base_/datasets/synthetic.py'
]
model = dict(
    detector=_base_.tiny_detector,
    reid=_base_.tiny_reid,
    detector_checkpoint='work_dirs/rdlr_det_tiny_synthetic/epoch_12.pth',
    reid_checkpoint='work_dirs/rdlr_reid_tiny_synthetic/epoch_12.pth',
    loss_proxy_tri=dict(num_features=128))
train_dataloader = dict(batch_size=4)
# one short epoch; the gradient through the crops is large for these parts
# trained from scratch (norm ~100): clipped at 10, lr 1e-4 (1e-3 unclipped
# loses every box within one epoch)
optim_wrapper = dict(optimizer=dict(lr=1e-4), clip_grad=dict(max_norm=10.0))
max_epochs = 1
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=20)
]
train_cfg = dict(
    _delete_=True, type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=1)
default_hooks = dict(
    checkpoint=dict(by_epoch=True, interval=1), logger=dict(interval=10))
log_processor = dict(by_epoch=True)

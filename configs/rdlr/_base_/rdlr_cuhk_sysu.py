# CUHK-SYSU whole images for RDLR's detector and refinement: Detectron's default
# scale (shorter side 800, longer side at most 1333; the paper is silent),
# flip 0.5 in training.
_base_ = '../../_base_/datasets/cuhk_sysu.py'

rdlr_resize = dict(type='Resize', scale=(1333, 800), keep_ratio=True)
train_pipeline = [
    rdlr_resize if step.type == 'Resize' else step for step in _base_.train_pipeline
]
test_pipeline = [
    rdlr_resize if step.type == 'Resize' else step for step in _base_.test_pipeline
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

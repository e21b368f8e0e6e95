# RDLR Sec. 4.2: re-ID pretraining on PRW ground-truth crops (paper:
# rank-1 76.2 on GT boxes); tested on the GT boxes of the test split.
_base_ = [
    '../_base_/datasets/prw_crops.py', '../_base_/default_runtime.py',
    './_base_/rdlr_reid_r50.py', './_base_/rdlr_reid_120e.py'
]
model = dict(type='TwoStepSearcher', reid=_base_.reid)
# PK batches: 16 identities x 4 crops
train_dataloader = dict(
    batch_size=_base_.pk_batch_size,
    sampler=dict(_delete_=True, **_base_.pk_sampler),
    dataset=dict(pipeline=_base_.rdlr_reid_train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=_base_.rdlr_reid_test_pipeline))
test_dataloader = val_dataloader

# Synthetic person-search data (mmps schema), the demo and test default:
# the CUHK-SYSU pipelines and loaders at the images' own size (240x160,
# w x h), in the main process. Generate the data once (idempotent) with
#   python tools/dataset_converters/make_synthetic.py data/synthetic
# or from Python: mmps.datasets.ensure_synthetic_dataset('data/synthetic').
_base_ = './cuhk_sysu.py'

data_root = 'data/synthetic/'
image_folder = dict(img='images/')
in_process = dict(num_workers=0, persistent_workers=False)

train_pipeline = [
    dict(step, scale=(240, 160)) if step.type == 'Resize' else step
    for step in _base_.train_pipeline
]
test_pipeline = [
    dict(step, scale=(240, 160)) if step.type == 'Resize' else step
    for step in _base_.test_pipeline
]

train_dataloader = dict(
    **in_process,
    dataset=dict(
        data_root=data_root,
        ann_file='annotations/train.json',
        data_prefix=image_folder,
        pipeline=train_pipeline))
val_dataloader = dict(
    **in_process,
    dataset=dict(
        data_root=data_root,
        ann_file='annotations/test.json',
        data_prefix=image_folder,
        pipeline=test_pipeline))
test_dataloader = val_dataloader

# PersonSearchMetric with its defaults (no CUHK-SYSU-specific settings)
val_evaluator = dict(
    _delete_=True,
    type='PersonSearchMetric',
    ann_file=data_root + 'annotations/test.json')
test_evaluator = val_evaluator

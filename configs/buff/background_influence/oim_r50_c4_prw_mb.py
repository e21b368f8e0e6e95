# OIM baseline (../../oim/oim_r50_c4_prw.py) tested on the MB variant of
# BUFF Sec. 3.1 (built on the fly in the test pipeline, before Resize), with
# the ground-truth boxes also searched as the gallery (labeled_*, Table 3).
# For another model, change the first base (e.g. a configs/buff/ config).
_base_ = [
    '../../oim/oim_r50_c4_prw.py',
    '../../_base_/datasets/background_influence/mb.py'
]

test_dataloader = dict(
    dataset=dict(pipeline=[
        _base_.test_dataloader.dataset.pipeline[0],  # LoadImageFromFile
        _base_.background_influence_transform,
        *_base_.test_dataloader.dataset.pipeline[1:]
    ]))
test_evaluator = dict(labeled=True)

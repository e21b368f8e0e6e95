# PRW training set as BUFF counts it (Yang et al., ACM MM 2020, Sec. 5.2:
# "On PRW (totally 11,408 training images, including the flipped images)",
# i.e. 2 x 5,704 frames): one epoch is every training image as is plus
# every image flipped, the py-faster-rcnn / OIM `use_flipped` convention.
# Two copies of the training set of ./prw.py, RandomFlip with prob 0 and
# with prob 1, concatenated (and shuffled together by the sampler); val and
# test as ./prw.py. The construction is that of ./cuhk_sysu_with_flipped.py
# (a base file cannot take another dataset base as a parameter).
# Per-copy overrides need the copy's index, e.g.
#   train_dataloader.dataset.datasets.0.data_root=... (and .1.)
_base_ = './prw.py'

train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='ConcatDataset',
        datasets=[
            dict(
                _base_.train_dataloader.dataset,
                pipeline=[
                    dict(transform, prob=flip_prob) if transform.type ==
                    'RandomFlip' else transform
                    for transform in _base_.train_dataloader.dataset.pipeline
                ]) for flip_prob in (0.0, 1.0)
        ]))

# CUHK-SYSU training set as BUFF counts it (Yang et al., ACM MM 2020, Sec.
# 5.2: "On PRW (totally 11,408 training images, including the flipped
# images)", i.e. 2 x 5,704 PRW frames; the same convention here, 2 x 11,206
# frames): one epoch is every training image as is plus every image
# flipped, the py-faster-rcnn / OIM `use_flipped` convention. Two copies of
# the training set of ./cuhk_sysu.py, RandomFlip with prob 0 and with prob
# 1, concatenated (and shuffled together by the sampler); val and test as
# ./cuhk_sysu.py.
# Per-copy overrides need the copy's index, e.g.
#   train_dataloader.dataset.datasets.0.data_root=... (and .1.)
_base_ = './cuhk_sysu.py'

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

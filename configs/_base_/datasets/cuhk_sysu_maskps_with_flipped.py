# CUHK-SYSU with the maskPS person masks (Zheng et al., Sec. 3.1): the
# training annotations of tools/dataset_converters/maskps.py
# (mmps/train_maskps.json: the CUHK-SYSU training file whose 2,815 labelled
# persons of 1,833 images carry segmentation polygons,
# docs/dataset_prepare.md), masks loaded as polygons (Resize and RandomFlip
# transform them), each image as is and flipped (./cuhk_sysu_with_flipped.py).
# Val and test as ./cuhk_sysu.py. Per-copy overrides need the copy's index:
#   train_dataloader.dataset.datasets.0.mask_subset=... (and .1.)
_base_ = './cuhk_sysu_with_flipped.py'

train_dataloader = dict(
    dataset=dict(datasets=[
        dict(
            flip_copy,
            ann_file='mmps/train_maskps.json',
            pipeline=[
                dict(step, with_mask=True, poly2mask=False) if step.type ==
                'LoadPersonSearchAnnotations' else step for step in flip_copy.pipeline
            ]) for flip_copy in _base_.train_dataloader.dataset.datasets
    ]))

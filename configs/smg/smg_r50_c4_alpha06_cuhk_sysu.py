# SMG, ResNet-50, CUHK-SYSU: Table 4, alpha = 6% (masks on
# round(0.06 x 11,206) = 672 of the 1,833 maskPS images, a seeded subset
# nested in the larger ones: PersonSearchDataset mask_subset).
_base_ = './smg_r50_c4_cuhk_sysu.py'

# the same images in both flip copies (same fraction, same seed)
mask_subset = dict(fraction=0.06, seed=0)
train_dataloader = dict(
    dataset=dict(datasets=[
        dict(flip_copy, mask_subset=mask_subset)
        for flip_copy in _base_.train_dataloader.dataset.datasets
    ]))

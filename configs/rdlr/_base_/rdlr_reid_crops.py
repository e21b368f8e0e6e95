# Augmentation of RDLR's re-ID crops (reid-strong-baseline, 256x128):
# 10-pixel zero pad and random crop, flip 0.5, random erasing with
# probability 0.5 (one rectangle of 2-40% of the area, 0.3-3.3 aspect:
# sides of 14-63% of the crop's, filled with the mean colour). mmdet's
# RandomShift needs gt_bboxes, which a crop has not: mmdet Pad (zeros at the
# right and bottom, to 138x266) then RandomCrop (256x128) shift the person
# by 0-10 px left and up; the flip after them makes the horizontal shift
# two-sided. Appended after CropPersonPatch of a crop dataset base
# (configs/_base_/datasets/*_crops.py), or after the Resize of Market-1501.
# PK sampling of the crop datasets (PersonCropDataset): 16 identities x 4
# crops per batch of 64 (IdentitySampler over the boxes' person ids,
# unlabelled boxes skipped); its batch_size must be the dataloader's.
pk_batch_size = 64
pk_sampler = dict(type='IdentitySampler', batch_size=pk_batch_size, num_instances=4)
mean_bgr = (103.53, 116.28, 123.675)
reid_augmentation = [
    dict(type='Pad', size=(128 + 10, 256 + 10), pad_val=dict(img=0)),
    dict(type='RandomCrop', crop_size=(128, 256)),
    dict(type='RandomFlip', prob=0.5),
    dict(
        type='RandomApply',
        prob=0.5,
        transforms=[
            dict(
                type='RandomErasing',
                n_patches=1,
                ratio=(0.14, 0.63),
                squared=False,
                img_border_value=mean_bgr)
        ])
]

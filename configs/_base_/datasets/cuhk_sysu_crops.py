# CUHK-SYSU person crops for the re-ID step of two-step searchers (MGTS,
# RDLR): PersonCropDataset (one item per GT box of the training split, 128
# per batch as MGTS Sec. 4.3) cut by CropPersonPatch after the detector's
# Resize (shorter side 600, longer at most 1000), so that training and test
# patches share one scale; the test split is the image dataset, searched by
# TwoStepSearcher(detector=None) on its GT boxes, with instance maps from
# offline masks (tools/misc/make_instance_masks.py) for masked crops. A
# config that changes crop_cfg rebuilds train_pipeline with it and sets the
# same dict as model.reid.crop_cfg (a test checks that they agree).
_base_ = './cuhk_sysu.py'

crop_cfg = dict(expand_ratio=1.0, size=(256, 128), mask=None)
resize = dict(type='Resize', scale=(1000, 600), keep_ratio=True)
instance_map_dir = 'data/CUHK-SYSU/mmps/instance_masks/'
train_instance_map = dict(
    type='LoadInstanceMap', source='file', mask_file=instance_map_dir + 'train.json')
test_instance_map = dict(
    type='LoadInstanceMap', source='file', mask_file=instance_map_dir + 'test.json')

train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=None), train_instance_map, resize,
    dict(type='CropPersonPatch', **crop_cfg),
    dict(type='PackCropReIDInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=None), resize,
    dict(type='LoadPersonSearchAnnotations', with_bbox=True), test_instance_map,
    dict(type='PackPersonSearchInputs')
]

train_dataloader = dict(
    batch_size=128,
    batch_sampler=None,
    dataset=dict(type='PersonCropDataset', pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

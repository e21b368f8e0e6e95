# Person crops of the synthetic data for the re-ID step of two-step searchers
# (MGTS, RDLR): PersonCropDataset (one item per GT box of the training split)
# cut by CropPersonPatch after the detector's Resize, so that training and
# test patches share one scale; the test split is the image dataset, searched
# by TwoStepSearcher(detector=None) on its GT boxes, with instance maps
# (LoadInstanceMap from the synthetic polygons) for masked crops. A config
# that changes crop_cfg rebuilds train_pipeline with it and sets the same
# dict as model.reid.crop_cfg (a test checks that they agree).
_base_ = './synthetic.py'

# the synthetic persons are 40-100 px tall
crop_cfg = dict(expand_ratio=1.0, size=(64, 32), mask=None)
resize = dict(type='Resize', scale=(240, 160), keep_ratio=True)
instance_map = dict(type='LoadInstanceMap', source='annotations')

train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=None), instance_map, resize,
    dict(type='CropPersonPatch', **crop_cfg),
    dict(type='PackCropReIDInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=None), resize,
    dict(type='LoadPersonSearchAnnotations', with_bbox=True), instance_map,
    dict(type='PackPersonSearchInputs')
]

train_dataloader = dict(
    batch_size=64,
    batch_sampler=None,
    dataset=dict(type='PersonCropDataset', pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

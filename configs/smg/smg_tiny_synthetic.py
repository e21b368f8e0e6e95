# Tiny SMG for the synthetic data (CPU tests and demo); not a paper row.
# ../oim/oim_tiny_synthetic.py (its control) plus the mask branch, sized for
# its 4 x 4 res5 RoI map (512 channels): an 8 x 8 mask from one 2x
# deconvolution, trained on the masks of a quarter of the training images.
_base_ = '../oim/oim_tiny_synthetic.py'

model = dict(
    roi_head=dict(
        type='SMGRoIHead',
        mask_head=dict(
            type='FCNMaskHead',
            num_convs=0,
            in_channels=512,
            conv_out_channels=64,
            num_classes=1,
            class_agnostic=True,
            loss_mask=dict(type='CrossEntropyLoss', use_mask=True, loss_weight=1.0))),
    train_cfg=dict(rcnn=dict(mask_size=8)))

train_dataloader = dict(
    dataset=dict(
        mask_subset=dict(fraction=0.25, seed=0),
        pipeline=[
            dict(step, with_mask=True, poly2mask=False) if step.type ==
            'LoadPersonSearchAnnotations' else step
            for step in _base_.train_dataloader.dataset.pipeline
        ]))

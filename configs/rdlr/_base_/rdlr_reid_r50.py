# RDLR's re-ID network (Sec. 4.2: the ResNet-50 baseline of
# L1aoXingyu/reid_baseline; its recipe as michuanhaohao/reid-strong-baseline
# configs/softmax_triplet.yml): conv5 at stride 1, GAP, BNNeck, bias-free
# classifier; label-smoothed (0.1) cross entropy + batch-hard triplet loss
# (margin 0.3) on the pooled feature; the embedding is the BNNeck output,
# L2-normalised. 256x128 crops, ImageNet weights by URL. Crops are cut
# after the refinement's Resize (shorter side 800, longer at most 1333), so
# that pretraining, refinement and test patches share one scale; flip,
# 10-px pad-and-crop and random erasing (0.5) as the baseline.
_base_ = './rdlr_reid_crops.py'

reid = dict(
    type='BNNeckReID',
    crop_cfg=dict(expand_ratio=1.0, size=(256, 128), mask=None),
    backbone=dict(
        type='ResNet',
        depth=50,
        strides=(1, 2, 2, 1),
        out_indices=(3, ),
        norm_eval=False,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.pytorch.org/models/resnet50-0676ba61.pth')),
    in_channels=2048,
    num_person_ids=None,
    label_smooth=0.1,
    loss_triplet=dict(type='TripletLoss', margin=0.3))

crop_source_resize = dict(type='Resize', scale=(1333, 800), keep_ratio=True)
rdlr_reid_train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=None), crop_source_resize,
    dict(type='CropPersonPatch', **reid['crop_cfg']), *_base_.reid_augmentation,
    dict(type='PackCropReIDInputs')
]
rdlr_reid_test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=None), crop_source_resize,
    dict(type='LoadPersonSearchAnnotations', with_bbox=True),
    dict(type='PackPersonSearchInputs')
]

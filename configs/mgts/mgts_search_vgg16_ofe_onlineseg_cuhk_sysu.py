# MGTS Table 6 runtime with segmentation: CNNv + MGTS, instance maps from an
# online Mask R-CNN (mmdet has no FCIS; README, Deviations) instead of files.
_base_ = './mgts_search_vgg16_ofe_cuhk_sysu.py'
test_pipeline = [
    step for step in _base_.test_pipeline if step.type != 'LoadInstanceMap'
]
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
model = dict(
    segmentor=dict(
        config='mmdet::mask_rcnn/mask-rcnn_r101_fpn_1x_coco.py',
        score_thr=0.5,  # mask score threshold (README, Deviation 6)
        person_class=0))  # COCO class 0, 'person'

# RDLR Table 4's second detector: mmdet's retinanet_r50_fpn with one class,
# ImageNet weights by URL.
_base_ = 'mmdet::_base_/models/retinanet_r50_fpn.py'

pretrained = 'https://download.pytorch.org/models/resnet50-0676ba61.pth'
model = dict(
    backbone=dict(init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    bbox_head=dict(num_classes=1))

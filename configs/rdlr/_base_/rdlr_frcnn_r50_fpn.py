# RDLR's detector (Sec. 4.2): Detectron's Faster R-CNN with ResNet-50-FPN,
# here mmdet's faster-rcnn_r50_fpn with one class, ImageNet weights by URL.
_base_ = 'mmdet::_base_/models/faster-rcnn_r50_fpn.py'

pretrained = 'https://download.pytorch.org/models/resnet50-0676ba61.pth'
model = dict(
    backbone=dict(init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    roi_head=dict(bbox_head=dict(num_classes=1)))

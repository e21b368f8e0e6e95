# SMG, ResNet-101, CUHK-SYSU with all maskPS masks: Fig. 4(b) (plotted
# only). Backbone conv1..conv4 and the res5 shared head of ResNet-101, its
# ImageNet weights of torchvision given by URL (ResNet101_Weights.
# IMAGENET1K_V1; see ../_base_/models/oim_r50_c4.py for the offline cache).
_base_ = './smg_r50_c4_cuhk_sysu.py'

pretrained = 'https://download.pytorch.org/models/resnet101-63fe2227.pth'
model = dict(
    backbone=dict(depth=101, init_cfg=dict(checkpoint=pretrained)),
    roi_head=dict(shared_head=dict(depth=101, init_cfg=dict(checkpoint=pretrained))))

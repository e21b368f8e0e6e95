# Mean-background (MB) test variant, BUFF (Yang et al., MM 2020) Sec. 3.1:
# every pixel outside the ground-truth boxes set to the ImageNet mean (BGR
# 104, 116, 124 for mmcv's BGR images). A variant config lists this file
# next to its model config in `_base_` and puts the transform right after
# LoadImageFromFile of its test pipeline (original frame, before Resize):
#   test_dataloader = dict(dataset=dict(pipeline=[
#       _base_.test_dataloader.dataset.pipeline[0],
#       _base_.background_influence_transform,
#       *_base_.test_dataloader.dataset.pipeline[1:]]))
# See configs/buff/background_influence/README.md.
background_influence_transform = dict(type='MeanBackground')

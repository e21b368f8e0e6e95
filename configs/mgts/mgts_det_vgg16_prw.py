# MGTS Table 2: CNNv (Faster R-CNN VGG-16) pedestrian detector, PRW.
_base_ = [
    '../_base_/models/faster_rcnn_vgg16.py', '../_base_/datasets/prw_mgts.py',
    '../_base_/default_runtime.py', '../_base_/schedules/mgts_det_100k.py'
]
model = _base_.cnnv
# iteration-based schedule (mgts_det_100k): checkpoints and logs by iteration
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=20000))
log_processor = dict(by_epoch=False)

# MGTS Tables 1, 3a: CNNv (Faster R-CNN VGG-16) pedestrian detector, CUHK-SYSU.
_base_ = [
    '../_base_/models/faster_rcnn_vgg16.py', '../_base_/datasets/cuhk_sysu_mgts.py',
    '../_base_/default_runtime.py', '../_base_/schedules/mgts_det_100k.py'
]
# fc6/fc7 of ImageNet VGG-16 (the convolutions also load through the
# backbone's init_cfg): tools/model_converters/vgg16_to_mmps.py writes them
# for --cfg-options load_from=<file> allow_partial_checkpoint=True
model = _base_.cnnv
# iteration-based schedule (mgts_det_100k): checkpoints and logs by iteration
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=20000))
log_processor = dict(by_epoch=False)

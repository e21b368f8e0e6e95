# MGTS Table 6 'box' runtime: CNNv + MGTS with tight-box masks (no segmentor).
_base_ = [
    './mgts_reid_ofe_boxmask_r50_cuhk_sysu.py', '../_base_/models/faster_rcnn_vgg16.py'
]
model = dict(detector=dict(_base_.cnnv, _delete_=True))

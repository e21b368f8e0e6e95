# MGTS Table 2: CNNv + MGTS, PRW.
_base_ = ['./mgts_reid_ofe_r50_prw.py', '../_base_/models/faster_rcnn_vgg16.py']
# compose the trained parts: tools/model_converters/compose_two_step.py
model = dict(detector=dict(_base_.cnnv, _delete_=True))

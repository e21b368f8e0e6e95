# RDLR Table 5 "Ours (L_tri)" (top-1/mAP 93.48/92.49): refinement by the
# proxy triplet loss alone.
_base_ = './rdlr_frcnn_cuhk_sysu.py'
model = dict(loss_reid_cls_weight=0.0)

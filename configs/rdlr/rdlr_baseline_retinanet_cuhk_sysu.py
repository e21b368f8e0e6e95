# RDLR Table 4 "RetinaNet" (top-1/mAP 92.21/91.84):
# the pretrained RetinaNet and re-ID network of CUHK-SYSU, no refinement.
_base_ = [
    './_base_/rdlr_retinanet_r50_fpn.py', './_base_/rdlr_baseline.py',
    './_base_/rdlr_cuhk_sysu.py'
]
model = dict(_delete_=True, detector=_base_.model, **_base_.rdlr_baseline_searcher)

# RDLR Table 4 "Faster R-CNN" = Table 5 "Baseline" (top-1/mAP 93.24/92.23):
# the pretrained Faster R-CNN and re-ID network of CUHK-SYSU, no refinement.
_base_ = [
    './_base_/rdlr_frcnn_r50_fpn.py', './_base_/rdlr_baseline.py',
    './_base_/rdlr_cuhk_sysu.py'
]
model = dict(_delete_=True, detector=_base_.model, **_base_.rdlr_baseline_searcher)

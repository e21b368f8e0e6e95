# RDLR Table 3 baseline (the paper gives no PRW baseline row): the
# pretrained Faster R-CNN and re-ID network of PRW, no refinement.
_base_ = [
    './_base_/rdlr_frcnn_r50_fpn.py', './_base_/rdlr_baseline.py',
    './_base_/rdlr_prw.py'
]
model = dict(_delete_=True, detector=_base_.model, **_base_.rdlr_baseline_searcher)

# RDLR refinement of the Faster R-CNN R50-FPN detector.
_base_ = ['./rdlr_frcnn_r50_fpn.py', './rdlr_refine.py']
model = dict(_delete_=True, detector=_base_.model, **_base_.rdlr_searcher)

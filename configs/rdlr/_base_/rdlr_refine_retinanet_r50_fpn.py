# RDLR refinement of the RetinaNet R50-FPN detector (Table 4).
_base_ = ['./rdlr_retinanet_r50_fpn.py', './rdlr_refine.py']
model = dict(_delete_=True, detector=_base_.model, **_base_.rdlr_searcher)

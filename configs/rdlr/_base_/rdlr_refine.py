# RDLR refinement (Sec. 3.2, 4.2), everything but the detector: the frozen
# re-ID network, box regression replaced by its losses (L_cls + proxy
# triplet, K=2, m=0.5, weight 1 each) on detections scoring at least 0.5
# that overlap a labelled person at IoU 0.5; the 40k-iteration schedule.
# A config sets model = dict(_delete_=True, detector=..., **rdlr_searcher)
# and the parts' checkpoints (the rdlr_det_* and rdlr_reid_* configs' work
# dirs of tools/train.py).
_base_ = [
    './rdlr_reid_r50.py', './rdlr_refine_40k.py', '../../_base_/default_runtime.py'
]
rdlr_searcher = dict(
    type='RDLRSearcher',
    reid=_base_.reid,
    detector_checkpoint=None,
    reid_checkpoint=None,
    loss_proxy_tri=dict(
        type='ProxyTripletLoss',
        num_features=2048,
        num_person_ids=None,
        num_proxies=2,
        margin=0.5,
        negatives='table'),
    loss_reid_cls_weight=1.0,
    num_person_ids=None,
    drop_det_losses=('loss_bbox', ),
    match_iou=0.5,
    score_thr=0.5)
# iteration-based schedule: checkpoints and logs by iteration
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=10000))
log_processor = dict(by_epoch=False)

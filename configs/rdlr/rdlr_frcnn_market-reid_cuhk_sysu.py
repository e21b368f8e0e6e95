# RDLR Fig. 6(c,d) "ours" (top-1/mAP 62.34/64.15 at gallery size 100): the
# CUHK-SYSU Faster R-CNN refined through the Market-1501 re-ID network by
# the proxy triplet loss alone (its classifier knows other people, Sec. 3.3).
_base_ = './rdlr_frcnn_cuhk_sysu.py'
model = dict(
    reid=dict(num_person_ids=751),
    reid_checkpoint='work_dirs/rdlr_reid_r50_market1501/iter_24360.pth',
    loss_reid_cls_weight=0.0)

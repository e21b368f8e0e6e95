# RDLR Fig. 6(c,d) baseline (top-1/mAP 60.59/61.87 at gallery size 100): the
# CUHK-SYSU Faster R-CNN with the Market-1501 re-ID network, no refinement.
_base_ = './rdlr_baseline_frcnn_cuhk_sysu.py'
model = dict(reid=dict(num_person_ids=751))

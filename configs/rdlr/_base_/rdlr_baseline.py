# RDLR's baseline (Table 4 rows without "+ours", Table 5 "Baseline"): the
# pretrained detector and re-ID network joined without refinement, a
# TwoStepSearcher keeping detections scoring at least 0.5. Test only:
# join the parts with tools/model_converters/compose_two_step.py.
_base_ = ['./rdlr_reid_r50.py', '../../_base_/default_runtime.py']
rdlr_baseline_searcher = dict(type='TwoStepSearcher', reid=_base_.reid, score_thr=0.5)

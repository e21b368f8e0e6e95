# BUFF, Table 3 / Fig. 2 "MB" of the baseline, PRW.
_base_ = [
    '../buff_baseline_r50_prw.py',
    '../../_base_/datasets/background_influence/prw_mb.py'
]
test_dataloader = dict(dataset=_base_.background_influence_test_set)
test_evaluator = _base_.background_influence_evaluator

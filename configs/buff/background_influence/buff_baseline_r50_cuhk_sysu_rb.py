# BUFF, Table 3 / Fig. 2 "RB" of the baseline, CUHK-SYSU.
_base_ = [
    '../buff_baseline_r50_cuhk_sysu.py',
    '../../_base_/datasets/background_influence/cuhk_sysu_rb.py'
]
test_dataloader = dict(dataset=_base_.background_influence_test_set)
test_evaluator = _base_.background_influence_evaluator

# BUFF, Table 3 "MB" of the BUFF, PRW.
_base_ = ['../buff_r50_prw.py', '../../_base_/datasets/background_influence/prw_mb.py']
test_dataloader = dict(dataset=_base_.background_influence_test_set)
test_evaluator = _base_.background_influence_evaluator

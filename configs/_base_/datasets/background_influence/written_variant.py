# A background-influence test split (BUFF Sec. 3.1) as
# tools/misc/make_background_variant.py writes it: OUT_DIR/test.json and
# OUT_DIR/images/. The files beside this one name OUT_DIR per dataset and
# variant. A study config lists one of them after its model config and
# applies the two dicts (mmengine refuses two bases that set one key, so a
# base cannot replace the model config's test split by itself):
#   test_dataloader = dict(dataset=_base_.background_influence_test_set)
#   test_evaluator = _base_.background_influence_evaluator
background_influence_test_set = dict(
    ann_file='test.json', data_prefix=dict(img='images/'))
# ground-truth boxes as the gallery as in Table 3 (labeled_* metrics, next
# to the detected-box ones); the protocol comes from the variant's json
background_influence_evaluator = dict(ann_file=None, labeled=True)

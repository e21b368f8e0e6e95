# OIM baseline (../../oim/oim_r50_c4_cuhk_sysu.py) tested on the CUHK-SYSU
# style RB variant of BUFF Sec. 3.1 (each query box pasted into another
# scene as a new query-only image, galleries unchanged), with the
# ground-truth boxes also searched as the gallery (labeled_*, Table 3).
# Write the variant first:
#   python tools/misc/make_background_variant.py data/CUHK-SYSU/mmps/test.json \
#       data/CUHK-SYSU/Image/SSM data/CUHK-SYSU/background_influence/rb --variant rb
# Only the gallery lists are meaningful here: the "full" gallery would hold
# each query's original image. For another model, change the base.
_base_ = '../../oim/oim_r50_c4_cuhk_sysu.py'

rb_root = 'data/CUHK-SYSU/background_influence/rb/'
test_dataloader = dict(
    dataset=dict(
        data_root=rb_root, ann_file='test.json',
        data_prefix=dict(img='images/')))
test_evaluator = dict(
    ann_file=rb_root + 'test.json', labeled=True, gallery_sizes=[100])

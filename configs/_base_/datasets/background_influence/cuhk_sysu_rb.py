# CUHK-SYSU test split, random background (RB, each query pasted
# into another scene); write it with
#   python tools/misc/make_background_variant.py \
#       data/CUHK-SYSU/mmps/test.json data/CUHK-SYSU/Image/SSM \
#       data/CUHK-SYSU/background_influence/rb --variant rb
_base_ = './written_variant.py'

background_influence_test_set = dict(
    data_root='data/CUHK-SYSU/background_influence/rb/')
# the queries moved to new images, so the "all other images" gallery would
# hold each query's original image: gallery size 100 only (Table 3)
background_influence_evaluator = dict(gallery_sizes=[100])

# CUHK-SYSU test split, mean background (MB); write it with
#   python tools/misc/make_background_variant.py \
#       data/CUHK-SYSU/mmps/test.json data/CUHK-SYSU/Image/SSM \
#       data/CUHK-SYSU/background_influence/mb --variant mb
_base_ = './written_variant.py'

background_influence_test_set = dict(
    data_root='data/CUHK-SYSU/background_influence/mb/')

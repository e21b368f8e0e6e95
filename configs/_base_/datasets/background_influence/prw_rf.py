# PRW test split, random foreground (RF); write it with
#   python tools/misc/make_background_variant.py data/PRW/mmps/test.json \
#       data/PRW/frames data/PRW/background_influence/rf --variant rf \
#       --rf-source image
_base_ = './written_variant.py'

background_influence_test_set = dict(data_root='data/PRW/background_influence/rf/')

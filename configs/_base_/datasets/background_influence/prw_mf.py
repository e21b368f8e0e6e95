# PRW test split, mean foreground (MF); write it with
#   python tools/misc/make_background_variant.py data/PRW/mmps/test.json \
#       data/PRW/frames data/PRW/background_influence/mf --variant mf
_base_ = './written_variant.py'

background_influence_test_set = dict(data_root='data/PRW/background_influence/mf/')

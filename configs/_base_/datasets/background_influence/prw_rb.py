# PRW test split, random background (RB, the boxes pasted onto
# another camera's empty scene); write it with
#   python tools/misc/make_background_variant.py data/PRW/mmps/test.json \
#       data/PRW/frames data/PRW/background_influence/rb --variant rb
# (pure backgrounds: estimated per camera, or --backgrounds DIR)
_base_ = './written_variant.py'

background_influence_test_set = dict(data_root='data/PRW/background_influence/rb/')

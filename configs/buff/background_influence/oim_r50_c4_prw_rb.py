# OIM baseline (../../oim/oim_r50_c4_prw.py) tested on the PRW-style RB
# variant of BUFF Sec. 3.1 (each frame's boxes pasted onto the pure
# background of another camera), with the ground-truth boxes also searched
# as the gallery (labeled_*, Table 3). Write the variant first:
#   python tools/misc/make_background_variant.py data/PRW/mmps/test.json \
#       data/PRW/frames data/PRW/background_influence/rb --variant rb
# (add --backgrounds DIR to use your own pure backgrounds, <cam_id>.png).
# For another model, change the base (e.g. a configs/buff/ config).
_base_ = '../../oim/oim_r50_c4_prw.py'

rb_root = 'data/PRW/background_influence/rb/'
test_dataloader = dict(
    dataset=dict(
        data_root=rb_root, ann_file='test.json',
        data_prefix=dict(img='images/')))
test_evaluator = dict(ann_file=rb_root + 'test.json', labeled=True)

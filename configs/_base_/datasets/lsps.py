# LSPS converted with tools/dataset_converters/lsps.py (docs/dataset_prepare.md):
# the CUHK-SYSU pipelines and loaders (shorter side 600, longer side at most
# 1000, flip in training) over LSPS's frames, which lie in train/ and test/.
# Every query searches all other test frames (no gallery sizes), as PCNetPS
# evaluates LSPS; its 2 pseudo camera views are cameras of their own.
_base_ = './cuhk_sysu.py'

data_root = 'data/LSPS/'

train_dataloader = dict(
    dataset=dict(data_root=data_root, data_prefix=dict(img='train/')))
val_dataloader = dict(dataset=dict(data_root=data_root, data_prefix=dict(img='test/')))
test_dataloader = val_dataloader

# no published CBGM settings for LSPS: set cbgm_k1/cbgm_k2 with cbgm=True
val_evaluator = dict(ann_file=data_root + 'mmps/test.json', cbgm_k1=None, cbgm_k2=None)
test_evaluator = val_evaluator

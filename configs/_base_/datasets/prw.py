# PRW converted with tools/dataset_converters/prw.py: the CUHK-SYSU pipelines
# and loaders (shorter side 600, longer side at most 1000, flip in training)
# over PRW's frames. PRW searches every other test frame (no gallery sizes).
_base_ = './cuhk_sysu.py'

data_root = 'data/PRW/'
image_folder = dict(img='frames/')

train_dataloader = dict(dataset=dict(data_root=data_root, data_prefix=image_folder))
val_dataloader = dict(dataset=dict(data_root=data_root, data_prefix=image_folder))
test_dataloader = val_dataloader

# SeqNet's CBGM settings for PRW (used when cbgm=True)
val_evaluator = dict(ann_file=data_root + 'mmps/test.json', cbgm_k1=30, cbgm_k2=4)
test_evaluator = val_evaluator

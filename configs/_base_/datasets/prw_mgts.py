# PRW for the CNNv detector of MGTS: the CUHK-SYSU detector pipelines
# (cuhk_sysu_mgts.py: 900/1500, flip, batch 1) over PRW's frames.
_base_ = './cuhk_sysu_mgts.py'

data_root = 'data/PRW/'
image_folder = dict(img='frames/')

train_dataloader = dict(dataset=dict(data_root=data_root, data_prefix=image_folder))
val_dataloader = dict(dataset=dict(data_root=data_root, data_prefix=image_folder))
test_dataloader = val_dataloader

val_evaluator = dict(ann_file=data_root + 'mmps/test.json')
test_evaluator = val_evaluator

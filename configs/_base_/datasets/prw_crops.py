# PRW person crops for the re-ID step of two-step searchers: the CUHK-SYSU
# crop pipelines (cuhk_sysu_crops.py) over PRW's frames and offline masks.
_base_ = './cuhk_sysu_crops.py'

data_root = 'data/PRW/'
image_folder = dict(img='frames/')
instance_map_dir = data_root + 'mmps/instance_masks/'
train_instance_map = dict(
    type='LoadInstanceMap', source='file', mask_file=instance_map_dir + 'train.json')
test_instance_map = dict(
    type='LoadInstanceMap', source='file', mask_file=instance_map_dir + 'test.json')
train_pipeline = [
    train_instance_map if step.type == 'LoadInstanceMap' else step
    for step in _base_.train_pipeline
]
test_pipeline = [
    test_instance_map if step.type == 'LoadInstanceMap' else step
    for step in _base_.test_pipeline
]

train_dataloader = dict(
    dataset=dict(
        data_root=data_root, data_prefix=image_folder, pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(data_root=data_root, data_prefix=image_folder, pipeline=test_pipeline))
test_dataloader = val_dataloader

# SeqNet's CBGM settings for PRW (used when cbgm=True)
val_evaluator = dict(ann_file=data_root + 'mmps/test.json', cbgm_k1=30, cbgm_k2=4)
test_evaluator = val_evaluator

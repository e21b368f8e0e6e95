# OIM baseline (Xiao et al., CVPR 2017) on CUHK-SYSU with the SeqNet-era
# recipe (input scale 1000x600, as OIM, set by the dataset base). The
# lookup-table size (5532 identities) comes from the training
# dataset: training tools call mmps.models.fill_num_person_ids(cfg).
_base_ = [
    '../_base_/models/oim_r50_c4.py', '../_base_/datasets/cuhk_sysu.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_oim_sgd_20e.py'
]

# OIM: circular queue of 5000 unlabelled persons on CUHK-SYSU
model = dict(
    roi_head=dict(reid_head=dict(loss_reid=dict(queue_size=5000))))

# 5 images per GPU, one GPU (SeqNet)
train_dataloader = dict(batch_size=5)

# OIM (Xiao et al., CVPR 2017) with the SeqNet-era recipe, PRW.
_base_ = [
    '../_base_/models/oim_r50_c4.py', '../_base_/datasets/prw.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_oim_sgd_20e.py'
]

# OIM: circular queue of 500 unlabelled persons on PRW
model = dict(roi_head=dict(reid_head=dict(loss_reid=dict(queue_size=500))))

# 5 images per GPU, one GPU (SeqNet)
train_dataloader = dict(batch_size=5)

# BUFF (Yang et al., ACM MM 2020; Table 1 "+FAM (BUFF)", Table 6) on
# CUHK-SYSU: baseline + BUF over conv1..conv4 + foreground segmentation and
# FAM. Dataset and schedule as buff_baseline_r50_cuhk_sysu.py.
_base_ = [
    '../_base_/models/buff_r50_buff.py',
    '../_base_/datasets/cuhk_sysu_with_flipped.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_buff_sgd_5e.py'
]

# OIM queue of 5000 unlabelled persons on CUHK-SYSU (OIM; not given by BUFF)
model = dict(roi_head=dict(reid_head=dict(loss_reid=dict(queue_size=5000))))

train_dataloader = dict(batch_size=4)  # batch size 4 (Sec. 5.2)

# BUFF (Yang et al., ACM MM 2020; Table 1 "+FAM (BUFF)", Tables 5 and 7) on
# PRW: baseline + BUF over conv1..conv4 + foreground segmentation and FAM.
# Dataset and schedule as buff_baseline_r50_prw.py.
_base_ = [
    '../_base_/models/buff_r50_buff.py',
    '../_base_/datasets/prw_with_flipped.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_buff_sgd_5e.py'
]

# OIM queue of 500 unlabelled persons on PRW (OIM; not given by BUFF)
model = dict(roi_head=dict(reid_head=dict(loss_reid=dict(queue_size=500))))

train_dataloader = dict(batch_size=4)  # batch size 4 (Sec. 5.2)

# BUFF, Table 1 "+FAM (BUFF)" and Tables 5 and 7, PRW.
_base_ = [
    '../_base_/models/buff_r50_buff.py', '../_base_/datasets/prw_with_flipped.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_buff_sgd_5e.py'
]

# OIM's queue of unlabelled persons on PRW (not given by BUFF)
model = dict(roi_head=dict(reid_head=dict(loss_reid=dict(queue_size=500))))

train_dataloader = dict(batch_size=4)  # batch size 4 (Sec. 5.2)

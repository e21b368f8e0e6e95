# BUFF, Table 1 "Baseline" (= Table 4 "BUF_c4"), CUHK-SYSU.
_base_ = [
    '../_base_/models/buff_r50_baseline.py',
    '../_base_/datasets/cuhk_sysu_with_flipped.py', '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_buff_sgd_5e.py'
]

# OIM's queue of unlabelled persons on CUHK-SYSU (not given by BUFF)
model = dict(roi_head=dict(reid_head=dict(loss_reid=dict(queue_size=5000))))

train_dataloader = dict(batch_size=4)  # batch size 4 (Sec. 5.2)

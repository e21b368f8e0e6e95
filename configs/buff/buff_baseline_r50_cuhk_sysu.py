# BUFF paper's baseline (Yang et al., ACM MM 2020, Sec. 4.1; Table 1
# "Baseline", Table 4 "BUF_c4") on CUHK-SYSU. Input: shorter side 600
# (Sec. 5.2), longer side capped at 1000 by the dataset base; one epoch
# sees every training image as is and flipped (Sec. 5.2, the dataset base).
_base_ = [
    '../_base_/models/buff_r50_baseline.py',
    '../_base_/datasets/cuhk_sysu_with_flipped.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_buff_sgd_5e.py'
]

# OIM queue of 5000 unlabelled persons on CUHK-SYSU (OIM; not given by BUFF)
model = dict(roi_head=dict(reid_head=dict(loss_reid=dict(queue_size=5000))))

train_dataloader = dict(batch_size=4)  # batch size 4 (Sec. 5.2)

# SMG, ResNet-50, CUHK-SYSU with all maskPS masks (1,833 images): Table 2
# "Ours" = Table 4 "Full" (86.3 mAP / 86.5 top-1); Table 3 (Low-Res
# 66.7 / 66.8, Occlusion 70.8 / 71.3) and Fig. 4(a) are evaluations of this
# model (PersonSearchMetric, tools/analysis_tools/gallery_size_curve.py).
_base_ = [
    '../_base_/models/smg_r50_c4.py',
    '../_base_/datasets/cuhk_sysu_maskps_with_flipped.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_smg_sgd_12e.py'
]

# OIM: circular queue of 5000 unlabelled persons on CUHK-SYSU (not given in
# the paper; the base's value)
model = dict(roi_head=dict(reid_head=dict(loss_reid=dict(queue_size=5000))))

# batch size 1 (Sec. 4.2)
train_dataloader = dict(batch_size=1)

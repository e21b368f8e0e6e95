# RDLR Table 4 "Faster R-CNN +ours" = Table 5 "Ours (L_cls + L_tri)" = Table 2
# "Ours" (top-1/mAP 94.24/93.09): refinement on CUHK-SYSU, 4 images per
# iteration (4 GPUs x 1).
_base_ = ['./_base_/rdlr_refine_frcnn_r50_fpn.py', './_base_/rdlr_cuhk_sysu.py']
model = dict(
    detector_checkpoint='work_dirs/rdlr_det_frcnn_cuhk_sysu/epoch_12.pth',
    reid_checkpoint='work_dirs/rdlr_reid_r50_cuhk_sysu/epoch_120.pth')
train_dataloader = dict(batch_size=1)

# RDLR Table 3 "Ours" (top-1/mAP 70.2/42.9): refinement on PRW, 4 images per
# iteration (4 GPUs x 1).
_base_ = ['./_base_/rdlr_refine_frcnn_r50_fpn.py', './_base_/rdlr_prw.py']
model = dict(
    detector_checkpoint='work_dirs/rdlr_det_frcnn_prw/epoch_12.pth',
    reid_checkpoint='work_dirs/rdlr_reid_r50_prw/epoch_120.pth')
train_dataloader = dict(batch_size=1)

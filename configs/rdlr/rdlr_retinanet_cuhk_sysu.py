# RDLR Table 4 "RetinaNet +ours" (top-1/mAP 93.97/92.78): refinement of the
# RetinaNet (its regression loss dropped) on CUHK-SYSU.
_base_ = ['./_base_/rdlr_refine_retinanet_r50_fpn.py', './_base_/rdlr_cuhk_sysu.py']
model = dict(
    detector_checkpoint='work_dirs/rdlr_det_retinanet_cuhk_sysu/epoch_12.pth',
    reid_checkpoint='work_dirs/rdlr_reid_r50_cuhk_sysu/epoch_120.pth')
train_dataloader = dict(batch_size=1)

# PCNet light, PRW: Table 4 "PCNet" (64-channel detection head: one 3x3
# conv tower shared by the classifier and the regressor, PCNetPS *_fast_*;
# no gallery cluster).
_base_ = './pcnet_r50_prw.py'

model = dict(
    bbox_head=dict(
        feat_channels=64, stacked_convs=1, shared_tower=True, gallery_cluster_iou=None))

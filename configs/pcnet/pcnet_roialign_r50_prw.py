# One-stage variants, PRW: Table 3 r3 (RetinaNet towers on P_l; re-ID by
# RoIAlign of the detected box on P3-P7, a 3x3 conv, sum, GAP, BN1d, L2).
_base_ = './pcnet_r50_prw.py'

model = dict(
    bbox_head=dict(
        det_input='pyramid',
        reid_branch='roialign',
        loss_dist=None,
        with_csa=False,
        loss_tri=None,
        gallery_cluster_iou=None,
        roi_extractor=dict(
            type='GenericRoIExtractor',
            aggregation='sum',
            roi_layer=dict(type='RoIAlign', output_size=7, sampling_ratio=0),
            out_channels=256,
            featmap_strides=[8, 16, 32, 64, 128],
            pre_cfg=dict(
                type='ConvModule',
                in_channels=256,
                out_channels=256,
                kernel_size=3,
                padding=1,
                inplace=False))))

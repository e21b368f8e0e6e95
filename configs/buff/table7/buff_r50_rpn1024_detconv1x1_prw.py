# BUFF, Table 7 BUFF, PRW: the head sizes of its 37.01 M parameters.
_base_ = '../buff_r50_prw.py'

model = dict(
    # RPN conv keeps conv4's 1024 channels (torchvision's RPNHead layout)
    rpn_head=dict(feat_channels=1024),
    # detection conv 1x1 with stride 2 and BN (still 14x7 -> 7x4)
    roi_head=dict(
        bbox_head=dict(
            conv_kernel_size=1, norm_cfg=dict(type='BN', requires_grad=True))))

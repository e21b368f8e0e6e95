__version__ = '0.1.0'
# mmdet 3.3 accepts mmcv in [MMCV_MIN, MMCV_MAX)
MMCV_MIN = '2.0.0rc4'
MMCV_MAX = '2.2.0'

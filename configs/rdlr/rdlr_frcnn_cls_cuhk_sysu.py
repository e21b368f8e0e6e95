# RDLR Table 5 "Ours (L_cls)" (top-1/mAP 93.52/92.34): refinement by the
# re-ID classification loss alone.
_base_ = './rdlr_frcnn_cuhk_sysu.py'
model = dict(loss_proxy_tri=None)

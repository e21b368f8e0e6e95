# Mean-foreground (MF) test variant, BUFF Sec. 3.1: every pixel inside a
# ground-truth box set to the ImageNet mean. Used like ./mb.py.
background_influence_transform = dict(type='MeanForeground')

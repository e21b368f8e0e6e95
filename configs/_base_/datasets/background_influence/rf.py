# Random-foreground (RF) test variant, BUFF Sec. 3.1: every pixel inside a
# ground-truth box replaced by a pixel drawn from the image's background
# (per image generator seeded with (seed, img_id)). Used like ./mb.py.
background_influence_transform = dict(
    type='RandomForeground', source='background', seed=0)

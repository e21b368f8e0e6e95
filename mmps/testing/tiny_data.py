"""The tiny synthetic split of the tests."""

# 24 training images (6 identities) and 12 test images (96x128, 3 cameras),
# 3 queries with gallery lists of 4 and 8: a test on it runs in well under a
# second. Arguments of ``mmps.datasets.make_synthetic_dataset``.
TINY_SYNTHETIC_CFG = dict(
    seed=3,
    num_train_images=24,
    num_test_images=12,
    num_train_ids=6,
    num_test_ids=3,
    image_size=(96, 128),
    num_cameras=3,
    gallery_sizes=(4, 8))

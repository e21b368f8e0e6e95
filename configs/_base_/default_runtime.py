# Runtime shared by every mmps config.
# mmps modules register into mmdet's registries, so the scope stays 'mmdet' and
# every mmps config also runs with mmdet's own tools; importing these packages
# registers them (mmps.models checks mmcv's ops and fails loudly without them).
default_scope = 'mmdet'
custom_imports = dict(
    imports=[
        'mmps.datasets', 'mmps.engine', 'mmps.evaluation', 'mmps.models',
        'mmps.visualization'
    ],
    allow_failed_imports=False)

# strict checkpoint loading (load_from, resume, tools/test.py), also with
# mmdet's own tools; allow_partial_checkpoint=True loads a partial one
runner_type = 'StrictCheckpointRunner'

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # atomic saves: a crash leaves the previous checkpoint and last_checkpoint
    checkpoint=dict(type='AtomicCheckpointHook', interval=1),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='DetVisualizationHook'))

# Loss health (mmps/engine/hooks/): stop at the first non-finite loss, gradient
# norm or weight, before it is saved; warn when a loss term stays far above its
# running median. A config that sets custom_hooks replaces this list: keep both.
custom_hooks = [
    dict(type='NonFiniteGuardHook', check_weights=True),
    dict(type='LossDivergenceHook', factor=10., window=50, patience=3),
]

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    # NCCL on GPUs; tools/train.py switches to gloo when CUDA is absent.
    dist_cfg=dict(backend='nccl'))

vis_backends = [dict(type='LocalVisBackend')]
# no fixed `name`: the runner names it after the experiment, so a second run in
# the same process (run_demo twice, a test session) gets its own visualizer
# and logs into its own work dir, not into the first run's
visualizer = dict(type='DetLocalVisualizer', vis_backends=vis_backends)
log_processor = dict(type='LogProcessor', window_size=50, by_epoch=True)

log_level = 'INFO'
load_from = None
resume = False

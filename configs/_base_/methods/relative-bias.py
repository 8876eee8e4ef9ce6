# Relative-bias tuning: per-task relative-position bias tables only
# (2,642,312 on Swin-T).
tuner = dict(
    type='RelativeBiasTuning',
    pattern='relative_position_bias_table',
    shared=False)

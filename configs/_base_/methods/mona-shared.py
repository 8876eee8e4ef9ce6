# Mona with one set of Monas for all tasks (one backbone pass serves every
# task): 1,408,128 Mona parameters, 3,957,152 trainable on Swin-T with the
# heads and per-task output norms.
_base_ = ['./mona.py']
tuner = dict(type='Mona', shared=True)
